"""The capture reader: formats, link types, rotated files, and damaged files (exit 2, named
file and packet, nothing written)."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import pytest

from imagewarden.traffic import api, pcapfile
from imagewarden.traffic.analyze import analyze_files, capture_files
from imagewarden.traffic.pcapfile import CaptureFileError
from tests.cli_runner import expect
from tests.traffic.crafted import dicom_flows, facts, store_association
from tests.traffic.packets import Conversation, Packet, write_pcap, write_pcapng


def _conversation(**kw: object) -> Conversation:
    conv = Conversation(**kw).handshake()  # type: ignore[arg-type]
    store_association(conv)
    conv.close()
    return conv


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, ...]:
    folder = tmp_path_factory.mktemp("reference")
    (flow,) = dicom_flows(analyze_files([write_pcap(folder / "r.pcap", _conversation().packets)]))
    return facts(flow)


@pytest.mark.parametrize(
    ("name", "writer"),
    [
        ("le.pcap", lambda p, k: write_pcap(p, k)),
        ("be.pcap", lambda p, k: write_pcap(p, k, endian=">")),
        ("ns.pcap", lambda p, k: write_pcap(p, k, nano=True)),
        ("gz.pcap.gz", lambda p, k: write_pcap(p, k, compress=True)),
        ("le.pcapng", lambda p, k: write_pcapng(p, k)),
        ("be.pcapng", lambda p, k: write_pcapng(p, k, endian=">")),
        ("ns.pcapng", lambda p, k: write_pcapng(p, k, tsresol=9)),
        ("simple.pcapng", lambda p, k: write_pcapng(p, k, simple=True)),
    ],
)
def test_every_format_gives_the_same_facts(
    tmp_path: Path, name: str, writer: object, reference: tuple[object, ...]
) -> None:
    conv = _conversation()
    path = writer(tmp_path / name, conv.packets)  # type: ignore[operator]
    batch = analyze_files([path])
    (flow,) = dicom_flows(batch)
    assert facts(flow) == reference
    (info,) = batch.files
    assert info.packets == len(conv.packets)
    if "simple" not in name:
        assert batch.started == pytest.approx(conv.packets[0].ts, abs=1e-6)
        assert batch.ended == pytest.approx(conv.packets[-1].ts, abs=1e-6)


def test_records_straddling_reads_are_framed_right(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: tuple[object, ...]
) -> None:
    monkeypatch.setattr(pcapfile, "CHUNK", 997)
    conv = _conversation()
    for path in (
        write_pcap(tmp_path / "small.pcap", conv.packets),
        write_pcapng(tmp_path / "small.pcapng", conv.packets),
    ):
        (flow,) = dicom_flows(analyze_files([path]))
        assert facts(flow) == reference


def _frames(link: str, conv: Conversation) -> list[Packet]:
    """The same packets under another link layer."""
    out = []
    for packet in conv.packets:
        ip = packet.frame[14:]
        if link == "sll":
            head = struct.pack("!HHH8sH", 0, 1, 6, b"\0" * 8, 0x0800)
        elif link == "sll2":
            head = struct.pack("!HHIHBB8s", 0x0800, 0, 1, 1, 0, 6, b"\0" * 8)
        elif link == "null":
            head = struct.pack("<I", 2)
        else:
            head = b""
        out.append(Packet(head + ip, packet.ts))
    return out


@pytest.mark.parametrize(("link", "linktype"), [("sll", 113), ("sll2", 276), ("raw", 101),
                                                ("null", 0)])  # fmt: skip
def test_other_link_layers(
    tmp_path: Path, link: str, linktype: int, reference: tuple[object, ...]
) -> None:
    packets = _frames(link, _conversation())
    path = write_pcap(tmp_path / f"{link}.pcap", packets, linktype=linktype)
    (flow,) = dicom_flows(analyze_files([path]))
    assert facts(flow) == reference


def test_vlan_tags_and_ipv6(tmp_path: Path, reference: tuple[object, ...]) -> None:
    tagged = _conversation(vlan=120)
    v6 = _conversation(client="fd00::5", server="fd00::20", client_port=40100)
    path = write_pcap(tmp_path / "mixed.pcap", tagged.packets + v6.packets)
    flows = dicom_flows(analyze_files([path]))
    assert [f.client for f in flows] == ["10.1.0.5", "fd00::5"]
    assert all(facts(f) == reference for f in flows)


def test_unknown_link_type_is_counted_not_decoded(tmp_path: Path) -> None:
    path = write_pcap(tmp_path / "usb.pcap", _conversation().packets, linktype=189)
    batch = analyze_files([path])
    assert batch.flows == () and batch.stats.undecoded_link_packets == len(_conversation().packets)


def test_rotated_files_are_read_in_time_order_as_one_capture(
    tmp_path: Path, reference: tuple[object, ...]
) -> None:
    packets = _conversation().packets
    ring = tmp_path / "ring"
    ring.mkdir()
    thirds = [packets[:20], packets[20:45], packets[45:]]
    # dumpcap ring-buffer names, wrapped: the oldest file does not sort first by name
    for name, part in zip(("cap_00003.pcapng", "cap_00001.pcapng", "cap_00002.pcapng"), thirds,
                          strict=True):  # fmt: skip
        write_pcapng(ring / name, part)
    assert [p.name for p in capture_files([ring])] == [
        "cap_00003.pcapng", "cap_00001.pcapng", "cap_00002.pcapng"
    ]  # fmt: skip
    batch = analyze_files([ring])
    (flow,) = dicom_flows(batch)
    assert facts(flow) == reference
    assert flow.connections == 1
    assert sum(f.packets for f in batch.files) == len(packets)


def test_tcpdump_rotation_names_and_compressed_files_are_read_in_time_order(
    tmp_path: Path, reference: tuple[object, ...]
) -> None:
    # tcpdump -C N -z gzip: trace, trace1, ..., trace10 (trace10 sorts before trace2 by
    # name), the older files compressed after rotation.
    packets = _conversation().packets
    ring = tmp_path / "tcpdump"
    ring.mkdir()
    size = -(-len(packets) // 11)
    names = ["trace"] + [f"trace{n}" for n in range(1, 11)]
    for index, name in enumerate(names):
        part = packets[index * size : (index + 1) * size]
        compress = 0 < index < 8
        write_pcap(ring / (f"{name}.gz" if compress else name), part, compress=compress)
    ordered = [p.name for p in capture_files([ring])]
    assert ordered == ["trace"] + [f"trace{n}.gz" for n in range(1, 8)] + names[8:]
    seen: list[tuple[int, int]] = []
    batch = api.analyze([ring], progress=lambda done, total: seen.append((done, total)))
    (flow,) = dicom_flows(batch)
    assert facts(flow) == reference and flow.connections == 1
    total = sum(p.stat().st_size for p in ring.iterdir())
    assert seen[-1] == (total, total), "progress ends at the size of every file together"
    assert all(t == total for _d, t in seen)
    assert [d for d, _t in seen] == sorted(d for d, _t in seen), "progress never goes back"
    assert len({d for d, _t in seen}) > 2, "progress is reported as the files are read"


def _good(tmp_path: Path) -> bytes:
    return write_pcap(tmp_path / "good.pcap", _conversation().packets).read_bytes()


def test_wrong_magic(tmp_path: Path) -> None:
    path = tmp_path / "notes.pcap"
    path.write_bytes(b"hello, this is not a capture\n" * 4)
    with pytest.raises(CaptureFileError, match=r"notes.pcap: is not a pcap or pcapng capture"):
        analyze_files([path])


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.pcap"
    path.write_bytes(b"")
    with pytest.raises(CaptureFileError, match=r"empty.pcap: is empty"):
        analyze_files([path])


def test_cut_short_in_a_packet_names_the_packet(tmp_path: Path) -> None:
    data = _good(tmp_path)
    path = tmp_path / "cut.pcap"
    path.write_bytes(data[:-30])
    count = len(_conversation().packets)
    with pytest.raises(
        CaptureFileError, match=rf"cut.pcap: packet {count}: the capture is cut short"
    ):
        analyze_files([path])


def test_cut_short_pcapng(tmp_path: Path) -> None:
    data = write_pcapng(tmp_path / "good.pcapng", _conversation().packets).read_bytes()
    path = tmp_path / "cut.pcapng"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CaptureFileError, match=r"cut.pcapng: packet \d+: the capture is cut short"):
        analyze_files([path])


def test_a_record_length_no_capture_can_hold(tmp_path: Path) -> None:
    data = bytearray(_good(tmp_path))
    offset = 24  # first record header
    offset += 16 + struct.unpack_from("<I", data, offset + 8)[0]  # second record
    data[offset + 8 : offset + 12] = struct.pack("<I", 0x7FFFFFFF)
    path = tmp_path / "damaged.pcap"
    path.write_bytes(bytes(data))
    with pytest.raises(CaptureFileError, match=r"damaged.pcap: packet 2: record claims"):
        analyze_files([path])


def test_a_pcapng_block_length_that_is_impossible(tmp_path: Path) -> None:
    data = bytearray(write_pcapng(tmp_path / "g.pcapng", _conversation().packets).read_bytes())
    shb = struct.unpack_from("<I", data, 4)[0]
    idb = struct.unpack_from("<I", data, shb + 4)[0]
    first = shb + idb
    data[first + 4 : first + 8] = struct.pack("<I", 13)
    path = tmp_path / "bad.pcapng"
    path.write_bytes(bytes(data))
    with pytest.raises(CaptureFileError, match=r"bad.pcapng: packet 1: pcapng block .*impossible"):
        analyze_files([path])


def test_a_damaged_gzip_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.pcap.gz"
    path.write_bytes(gzip.compress(_good(tmp_path))[:-40])
    with pytest.raises(CaptureFileError, match=r"bad.pcap.gz"):
        analyze_files([path])


def test_malformed_input_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "iw.db"
    expect(0, "init", db=db)
    good = write_pcap(tmp_path / "a-good.pcap", _conversation().packets)
    bad = tmp_path / "b-cut.pcap"
    bad.write_bytes(good.read_bytes()[:-30])
    before = db.read_bytes()
    ran = expect(2, "traffic", "analyze", good, bad, db=db)
    assert "b-cut.pcap: packet" in ran.stderr and "cut short" in ran.stderr
    assert "Traceback" not in ran.stderr
    assert db.read_bytes() == before  # the good file's flows were not stored either
    batch = tmp_path / "batch.json"
    expect(2, "traffic", "analyze", bad, "--batch-out", batch)
    assert not batch.exists()
    expect(2, "traffic", "analyze", tmp_path / "missing.pcap", db=db)
