"""Per-connection reassembly and the DICOM parser on crafted captures: any segmentation,
reordering, retransmission, loss and snapshot length; PDUs that lie; endless streams."""

from __future__ import annotations

import random
import struct
import tracemalloc
from pathlib import Path

import pytest

from imagewarden.traffic.dicom_ul import MAX_ASSOCIATIONS
from tests.traffic import pdus
from tests.traffic.crafted import DATA_SET, analyse, dicom_flows, facts, store_association
from tests.traffic.packets import Conversation, Packet, write_pcap


def _reference(tmp_path: Path) -> tuple[object, ...]:
    conv = Conversation().handshake()
    store_association(conv)
    conv.close()
    (flow,) = dicom_flows(analyse(conv.packets, tmp_path, "reference.pcap"))
    return facts(flow)


def test_a_whole_association_is_read(tmp_path: Path) -> None:
    conv = Conversation().handshake()
    store_association(conv, stores=3)
    conv.close()
    (flow,) = dicom_flows(analyse(conv.packets, tmp_path))
    assert (flow.client, flow.server, flow.port) == ("10.1.0.5", "10.1.0.20", 104)
    assert (flow.calling_ae, flow.called_ae) == ("MODALITY1", "ARCHIVE1")
    assert flow.associations == {"accepted": 1} and flow.endings == {"released": 1}
    assert flow.requests == {"C-STORE": 3}
    assert flow.responses == {"C-STORE success": 3}
    assert flow.sop_classes == (pdus.CT_STORAGE,)
    assert flow.accepted_syntaxes == (pdus.CT_STORAGE,)
    assert flow.data_sets_to_server == 3 and flow.data_bytes_to_server == 3 * len(DATA_SET)
    assert flow.client_implementation == "1.2.3.4.5 TESTSCU_1"
    assert flow.server_implementation == "1.2.3.4.6 TESTSCP_1"
    assert flow.malformed == 0 and flow.lost_bytes == 0 and flow.resyncs == 0


@pytest.mark.parametrize("segment", [1, 2, 5, 7, 13, 100, 1448, 9000])
def test_any_segmentation_gives_the_same_facts(tmp_path: Path, segment: int) -> None:
    """Down to a PDU header, a PDV header and a command split into 1-byte segments."""
    conv = Conversation().handshake()
    store_association(conv, segment=segment, data=DATA_SET[:5000] if segment < 50 else DATA_SET)
    conv.close()
    (flow,) = dicom_flows(analyse(conv.packets, tmp_path))
    assert flow.requests == {"C-STORE": 3} and flow.responses == {"C-STORE success": 3}
    if segment >= 50:
        assert facts(flow) == _reference(tmp_path)


def test_reordered_and_retransmitted_segments_give_the_same_facts(tmp_path: Path) -> None:
    conv = Conversation().handshake()
    store_association(conv, segment=700)
    conv.close()
    head, body = conv.packets[:3], conv.packets[3:]
    rng = random.Random(3)
    mixed: list[Packet] = []
    for start in range(0, len(body), 5):
        window = body[start : start + 5]
        rng.shuffle(window)
        mixed += window
        if start % 15 == 0:
            mixed.append(window[0])  # a retransmission
    (flow,) = dicom_flows(analyse(head + mixed, tmp_path))
    assert facts(flow)[2:6] == _reference(tmp_path)[2:6]
    assert flow.lost_bytes == 0


def test_overlapping_retransmission_is_trimmed(tmp_path: Path) -> None:
    """A retransmission that covers old and new bytes delivers only the new ones."""
    conv = Conversation().handshake()
    rq = pdus.associate_rq("MODALITY1", "ARCHIVE1", [(1, pdus.VERIFICATION)])
    conv.send(True, rq[:40])
    conv.client_seq -= 40
    conv.send(True, rq)  # bytes 0..40 again, then the rest
    conv.send(False, pdus.associate_ac("MODALITY1", "ARCHIVE1", [(1, 0)]))
    conv.close()
    (flow,) = dicom_flows(analyse(conv.packets, tmp_path))
    assert flow.calling_ae == "MODALITY1" and flow.associations == {"accepted": 1}
    assert flow.malformed == 0


def test_a_lost_segment_inside_a_data_set_loses_no_fact(tmp_path: Path) -> None:
    conv = Conversation().handshake()
    parts = store_association(conv, segment=1000)
    conv.close()
    dropped = parts["store2"][10]  # well inside the second data set
    packets = [p for i, p in enumerate(conv.packets) if i != dropped]
    (flow,) = dicom_flows(analyse(packets, tmp_path))
    assert facts(flow)[2:6] == _reference(tmp_path)[2:6]
    assert flow.lost_bytes == 0


def test_a_lost_command_is_missed_and_the_parser_resynchronises(tmp_path: Path) -> None:
    conv = Conversation().handshake()
    parts = store_association(conv, segment=1448)
    conv.close()
    dropped = parts["store2"][0]  # the P-DATA with the second C-STORE-RQ command
    packets = [p for i, p in enumerate(conv.packets) if i != dropped]
    (flow,) = dicom_flows(analyse(packets, tmp_path))
    assert flow.requests == {"C-STORE": 2}  # the first and third
    assert flow.responses == {"C-STORE success": 3}
    assert flow.resyncs >= 1 and flow.lost_bytes > 0
    assert any("packet" in note and "not captured" in note for note in flow.notes)
    assert flow.endings == {"released": 1}


def test_snaplen_truncated_packets_still_give_every_command(tmp_path: Path) -> None:
    """With each PDU starting its own segment, a 200-byte snapshot keeps every command."""
    conv = Conversation().handshake()
    parts = store_association(conv, segment=1448)
    conv.close()
    for packet in conv.packets[parts["store1"][0] :]:
        packet.snaplen = 200
    (flow,) = dicom_flows(analyse(conv.packets, tmp_path))
    assert facts(flow)[2:6] == _reference(tmp_path)[2:6]
    assert flow.truncated_bytes > 0 and flow.lost_bytes == 0
    assert flow.bytes_to_server > 3 * len(DATA_SET)  # counted from IP lengths, not snapshots


def test_a_snapshot_too_short_for_the_association_request(tmp_path: Path) -> None:
    """The A-ASSOCIATE-RQ is cut: AE titles are unknown, the commands are still counted."""
    conv = Conversation().handshake()
    store_association(conv, segment=1448)
    conv.close()
    for packet in conv.packets:
        packet.snaplen = 200
    (flow,) = dicom_flows(analyse(conv.packets, tmp_path))
    assert flow.calling_ae == "" and flow.associations == {"unknown": 1}
    assert flow.requests == {"C-STORE": 3}
    assert flow.lost_bytes > 0


def test_sequence_numbers_wrap_around(tmp_path: Path) -> None:
    conv = Conversation(client_seq=0xFFFFFFFF - 30_000, server_seq=0xFFFFFFFF - 5).handshake()
    store_association(conv)
    conv.close()
    (flow,) = dicom_flows(analyse(conv.packets, tmp_path))
    assert facts(flow) == _reference(tmp_path)


def test_a_capture_that_starts_mid_association_on_a_dicom_port(tmp_path: Path) -> None:
    conv = Conversation().handshake()
    parts = store_association(conv, segment=1448)
    conv.close()
    start = parts["store2"][0]
    (flow,) = dicom_flows(analyse(conv.packets[start:], tmp_path))
    assert flow.associations == {"unknown": 1}
    assert flow.calling_ae == "" and flow.requests == {"C-STORE": 2}
    assert (flow.client, flow.server) == ("10.1.0.5", "10.1.0.20")


def test_mid_association_on_another_port_needs_dicom_port(tmp_path: Path) -> None:
    conv = Conversation(server_port=40404).handshake()
    parts = store_association(conv, segment=1448)
    conv.close()
    packets = conv.packets[parts["store2"][0] :]
    assert not dicom_flows(analyse(packets, tmp_path))
    options = {"dicom_ports": frozenset({40404})}
    (flow,) = dicom_flows(analyse(packets, tmp_path, "again.pcap", **options))
    assert flow.requests == {"C-STORE": 2}


def _lying(tmp_path: Path, client_bytes: bytes, name: str) -> tuple[object, ...]:
    """A lying association next to an honest one: the honest one is read in full."""
    liar = Conversation(client_port=40001).handshake()
    liar.send(True, client_bytes)
    liar.close()
    honest = Conversation(client_port=40002).handshake()
    store_association(honest)
    honest.close()
    batch = analyse(liar.packets + honest.packets, tmp_path, name)
    flows = {f.calling_ae: f for f in batch.flows}
    assert facts(flows["MODALITY1"]) == _reference(tmp_path)
    return tuple(f for f in batch.flows if f.calling_ae != "MODALITY1")


def test_an_associate_request_whose_length_lies(tmp_path: Path) -> None:
    rq = bytearray(pdus.associate_rq("LIAR", "ARCHIVE1", [(1, pdus.VERIFICATION)]))
    rq[2:6] = struct.pack(">I", 0xFFFFFFF0)
    (flow,) = _lying(tmp_path, bytes(rq) + pdus.release_rq(), "rq.pcap")
    assert flow.protocol in ("dicom", "other")


def test_a_pdv_longer_than_its_pdu(tmp_path: Path) -> None:
    body = pdus.associate_rq("LIAR", "ARCHIVE1", [(1, pdus.VERIFICATION)])
    bad = bytearray(pdus.p_data((1, 3, pdus.command(0x0030, pdus.VERIFICATION))))
    bad[6:10] = struct.pack(">I", 0x00FFFFFF)  # the PDV claims far more than the PDU holds
    (flow,) = _lying(tmp_path, body + bytes(bad) + pdus.release_rq(), "pdv.pcap")
    assert flow.malformed >= 1
    assert any("does not fit" in n for n in flow.notes)
    assert flow.endings == {"released": 1}  # resynchronised on the release


def test_a_p_data_pdu_that_never_ends(tmp_path: Path) -> None:
    """4 GiB announced, 3 MB sent, connection never closed: skipped, no hang, no growth."""
    conv = Conversation().handshake()
    conv.send(True, pdus.associate_rq("ENDLESS", "ARCHIVE1", [(1, pdus.CT_STORAGE)]))
    conv.send(False, pdus.associate_ac("ENDLESS", "ARCHIVE1", [(1, 0)]))
    header = struct.pack(">BBI", 4, 0, 0xFFFFFFFF) + struct.pack(">IBB", 0xFFFFFFF0, 1, 0)
    conv.send(True, header + bytes(3_000_000))
    (flow,) = dicom_flows(analyse(conv.packets, tmp_path))
    assert flow.calling_ae == "ENDLESS" and flow.associations == {"accepted": 1}
    assert flow.data_bytes_to_server == 0xFFFFFFF0 - 2  # announced; never held


def test_endless_association_requests_on_one_connection_are_capped(tmp_path: Path) -> None:
    conv = Conversation().handshake()
    rq = pdus.associate_rq("FLOOD", "ARCHIVE1", [(1, pdus.VERIFICATION)])
    conv.send(True, rq * (MAX_ASSOCIATIONS * 20))
    flows = dicom_flows(analyse(conv.packets, tmp_path))
    assert sum(sum(f.associations.values()) for f in flows) == MAX_ASSOCIATIONS
    assert flows[0].malformed == 1


def test_memory_stays_bounded_with_thousands_of_holes(tmp_path: Path) -> None:
    """Thousands of connections that each wait for a missing segment: the budget holds."""
    packets: list[Packet] = []
    for number in range(3000):
        conv = Conversation(client_port=10000 + number).handshake()
        rq = pdus.associate_rq("HOLE", "ARCHIVE1", [(1, pdus.VERIFICATION)])
        conv.send(True, rq[:10])  # sent...
        packets += conv.packets[:3]
        conv.send(True, bytes(1400) * 1)  # ...then a segment after a hole
        packets.append(conv.packets[-1])
    path = write_pcap(tmp_path / "holes.pcap", packets)
    tracemalloc.start()
    from imagewarden.traffic.analyze import analyze_files
    from imagewarden.traffic.decode import AnalyzeOptions

    batch = analyze_files([path], AnalyzeOptions(buffer_budget=1 << 20))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert batch.stats.connections == 3000
    assert batch.stats.budget_refusals > 0
    assert peak < 60 << 20


def test_connection_table_is_bounded(tmp_path: Path) -> None:
    packets: list[Packet] = []
    for number in range(500):
        conv = Conversation(client_port=20000 + number).handshake()
        conv.send(True, pdus.associate_rq(f"AE{number}", "ARCHIVE1", [(1, pdus.VERIFICATION)]))
        packets += conv.packets
    batch = analyse(packets, tmp_path, max_connections=100)
    assert batch.stats.connections == 500
    assert batch.stats.connections_evicted > 0
    assert sum(sum(f.associations.values()) for f in dicom_flows(batch)) == 500


def test_user_identity_keeps_the_type_never_the_secret(tmp_path: Path) -> None:
    conv = Conversation().handshake()
    rq = pdus.associate_rq(
        "WITHID", "ARCHIVE1", [(1, pdus.VERIFICATION)], user_identity=(2, b"alice", b"s3cret-pw")
    )
    conv.send(True, rq)
    conv.send(False, pdus.associate_ac("WITHID", "ARCHIVE1", [(1, 0)]))
    conv.close()
    batch = analyse(conv.packets, tmp_path)
    (flow,) = dicom_flows(batch)
    assert flow.user_identity == "username-and-passcode"
    text = repr(batch.to_json())
    assert "alice" not in text and "s3cret" not in text


def test_c_get_sub_operations_are_counted_as_the_servers(tmp_path: Path) -> None:
    conv = Conversation().handshake()
    get = "1.2.840.10008.5.1.4.1.2.2.3"
    conv.send(True, pdus.associate_rq("VIEWER", "ARCHIVE1", [(1, get), (3, pdus.CT_STORAGE)]))
    conv.send(False, pdus.associate_ac("VIEWER", "ARCHIVE1", [(1, 0), (3, 0)]))
    conv.send(True, pdus.p_data((1, 3, pdus.command(0x0010, get, 1, data_set=True))))
    conv.send(True, pdus.p_data((1, 2, b"\x08\x00\x52\x00\x06\x00\x00\x00STUDY ")))
    store, answer = pdus.store_exchange(3, DATA_SET[:3000], 7)
    conv.send(False, b"".join(store))
    conv.send(True, b"".join(answer))
    conv.send(False, pdus.p_data((1, 3, pdus.command(0x8010, get, 1, status=0))))
    conv.close()
    (flow,) = dicom_flows(analyse(conv.packets, tmp_path))
    assert flow.requests == {"C-GET": 1}
    assert flow.server_requests == {"C-STORE": 1}
    assert flow.images_in_clear == 1


def test_abort_and_reject_outcomes(tmp_path: Path) -> None:
    rejected = Conversation(client_port=40010).handshake()
    rejected.send(True, pdus.associate_rq("NOBODY", "ARCHIVE1", [(1, pdus.VERIFICATION)]))
    rejected.send(False, pdus.associate_rj(1, 1, 3))
    rejected.close()
    aborted = Conversation(client_port=40011).handshake()
    aborted.send(True, pdus.associate_rq("ABORTED", "ARCHIVE1", [(1, pdus.VERIFICATION)]))
    aborted.send(False, pdus.abort(2, 0))
    aborted.close()
    silent = Conversation(client_port=40012).handshake()
    silent.send(True, pdus.associate_rq("SILENT", "ARCHIVE1", [(1, pdus.VERIFICATION)]))
    silent.close()
    batch = analyse(rejected.packets + aborted.packets + silent.packets, tmp_path)
    flows = {f.calling_ae: f for f in batch.flows}
    assert flows["NOBODY"].associations == {"rejected": 1}
    assert flows["NOBODY"].rejections == {"1/1/3": 1}
    assert flows["ABORTED"].associations == {"aborted": 1}
    assert flows["ABORTED"].endings == {"aborted": 1}
    assert flows["SILENT"].associations == {"no-answer": 1}
