"""Crafted DICOM conversations, and a one-call analysis of crafted packets."""

from __future__ import annotations

from pathlib import Path

from imagewarden.traffic.analyze import analyze_files
from imagewarden.traffic.decode import AnalyzeOptions
from imagewarden.traffic.model import CaptureBatch, FlowRecord
from tests.traffic import pdus
from tests.traffic.packets import Conversation, Packet, write_pcap

DATA_SET = bytes(range(256)) * 160  # 40 KiB: three PDVs at 16 KiB


def store_association(
    conv: Conversation, stores: int = 3, segment: int = 1448, data: bytes = DATA_SET
) -> dict[str, list[int]]:
    """Associate, C-STORE ``stores`` data sets, release; the packet indexes of each part."""
    parts: dict[str, list[int]] = {}
    parts["rq"] = conv.send(
        True, pdus.associate_rq("MODALITY1", "ARCHIVE1", [(1, pdus.CT_STORAGE)]), segment
    )
    parts["ac"] = conv.send(False, pdus.associate_ac("MODALITY1", "ARCHIVE1", [(1, 0)]), segment)
    for number in range(1, stores + 1):
        client, server = pdus.store_exchange(1, data, number)
        # one send per PDU, as DICOM toolkits write them
        parts[f"store{number}"] = [i for pdu in client for i in conv.send(True, pdu, segment)]
        parts[f"rsp{number}"] = [i for pdu in server for i in conv.send(False, pdu, segment)]
    parts["release"] = conv.send(True, pdus.release_rq(), segment)
    parts["released"] = conv.send(False, pdus.release_rp(), segment)
    return parts


def analyse(
    packets: list[Packet], folder: Path, name: str = "crafted.pcap", **options: object
) -> CaptureBatch:
    """Write ``packets`` as a pcap and analyse it."""
    path = write_pcap(folder / name, packets)
    return analyze_files([path], AnalyzeOptions(**options))  # type: ignore[arg-type]


def dicom_flows(batch: CaptureBatch) -> list[FlowRecord]:
    """The DICOM flows of a batch."""
    return [f for f in batch.flows if f.protocol == "dicom"]


def facts(flow: FlowRecord) -> tuple[object, ...]:
    """What must not change however the stream was cut into segments."""
    return (
        flow.calling_ae,
        flow.called_ae,
        dict(flow.associations),
        dict(flow.endings),
        dict(flow.requests),
        dict(flow.responses),
        flow.sop_classes,
        flow.data_sets_to_server,
        flow.data_bytes_to_server,
        flow.client_implementation,
        flow.server_implementation,
    )
