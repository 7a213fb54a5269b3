"""A small imaging department and the flows a capture of it showed (built directly)."""

from __future__ import annotations

import datetime as dt

from imagewarden.model import (
    Asset,
    AssetType,
    Inventory,
    NetworkZone,
    Service,
    ServiceProtocol,
    Site,
)
from imagewarden.traffic.model import CaptureBatch, CaptureFile, CaptureStats, FlowRecord

T0 = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC).timestamp()
IMG, SRV, RDG = "NTH-IMG-120", "NTH-SRV-125", "NTH-RDG-122"
DICOM = ServiceProtocol.DICOM


def _asset(asset_id: str, kind: AssetType, ip: str, segment: str, *services: Service,
           zone: NetworkZone = NetworkZone.IMAGING) -> Asset:  # fmt: skip
    return Asset(
        id=asset_id, site_id="north", name=asset_id.title(), type=kind, ip_addresses=(ip,),
        segment=segment, network_zone=zone, services=services,
    )  # fmt: skip


def department() -> Inventory:
    """Modalities, an archive, a reading workstation, RIS, AI and vendor access."""
    assets = (
        _asset("CT-1", AssetType.CT, "10.20.120.11", IMG, Service(DICOM, 104, False, "CT1")),
        _asset("MR-1", AssetType.MR, "10.20.120.12", IMG, Service(DICOM, 104, False, "MR1")),
        _asset(
            "PACS-1",
            AssetType.PACS,
            "10.20.125.13",
            SRV,
            Service(DICOM, 104, False, "PACS1"),
            Service(DICOM, 2762, True, "PACS1"),
            Service(ServiceProtocol.HL7, 2575, False),
        ),
        _asset("WS-1", AssetType.VIEWER, "10.20.122.14", RDG, Service(DICOM, 104, False, "WS1")),
        _asset("RIS-1", AssetType.RIS, "10.20.125.15", SRV, Service(ServiceProtocol.HL7, 2575)),
        _asset("AIO-1", AssetType.AI_ORCHESTRATOR, "10.20.125.20", SRV),
        _asset(
            "AI-CLOUD",
            AssetType.AI_APPLICATION,
            "203.0.113.80",
            "",
            Service(ServiceProtocol.HTTPS, 443, True),
            zone=NetworkZone.CLOUD,
        ),
        _asset(
            "RA-1", AssetType.REMOTE_ACCESS, "10.20.200.11", "NTH-DMZ-200", zone=NetworkZone.DMZ
        ),
    )
    return Inventory(sites=(Site("north", "North Hospital"), Site("south", "South")), assets=assets)


def _flow(client: str, server: str, port: int, protocol: str, **fields: object) -> FlowRecord:
    values: dict[str, object] = {
        "connections": 1, "packets": 100, "bytes_to_server": 50_000, "bytes_to_client": 2_000,
        "first_seen": T0, "last_seen": T0 + 60,
    }  # fmt: skip
    if protocol == "dicom":
        values["associations"] = {"accepted": 1}
        values["endings"] = {"released": 1}
    values.update(fields)
    return FlowRecord(client, server, port, protocol, **values)  # type: ignore[arg-type]


ROGUE = "10.20.130.99"
TELERAD = "198.51.100.7"


def flows() -> tuple[FlowRecord, ...]:
    """What the capture showed (see the module docstring of test_api)."""
    return (
        _flow("10.20.120.11", "10.20.125.13", 104, "dicom", calling_ae="CT1", called_ae="PACS1",
              requests={"C-STORE": 20}, responses={"C-STORE success": 20}),
        _flow("10.20.120.12", "10.20.125.13", 2762, "tls", tls_version="TLSv1.3"),
        _flow("10.20.122.14", "10.20.125.13", 104, "dicom", calling_ae="WS1", called_ae="PACS1",
              requests={"C-FIND": 3, "C-MOVE": 1}, move_destinations=("WS1",),
              responses={"C-FIND pending": 12, "C-FIND success": 3, "C-MOVE success": 1}),
        _flow(ROGUE, "10.20.125.13", 104, "dicom", calling_ae="ROGUE", called_ae="PACS1",
              requests={"C-FIND": 5, "C-MOVE": 1}, move_destinations=("EXFIL",),
              responses={"C-FIND pending": 40, "C-FIND success": 5}),
        _flow("10.20.125.13", TELERAD, 104, "dicom", calling_ae="PACS1", called_ae="TELERAD",
              requests={"C-STORE": 10}),
        _flow("10.20.125.20", "203.0.113.80", 443, "tls", tls_version="TLSv1.3",
              tls_server_names=("ai.vendor.example",), tls_alpn="h2"),
        _flow("10.20.125.15", "10.20.125.13", 2575, "hl7", hl7_messages_to_server=12,
              hl7_messages_to_client=12),
        _flow("10.20.120.11", "10.20.120.12", 104, "dicom", calling_ae="CT1", called_ae="MR1",
              requests={"C-STORE": 1}),
        _flow("10.20.200.11", "10.20.120.11", 5900, "other"),
        _flow("10.20.122.14", "10.20.125.13", 8080, "http",
              http_requests={"GET /dicom-web/studies/{uid}/series": 4}),
    )  # fmt: skip


def batch(
    flow_records: tuple[FlowRecord, ...] | None = None, name: str = "north.pcapng"
) -> CaptureBatch:
    """The flows as a capture batch, as ``traffic.api.analyze`` would return it."""
    records = flows() if flow_records is None else flow_records
    return CaptureBatch(
        files=(CaptureFile(name, "pcapng", 123456, 999, T0, T0 + 600),),
        flows=records,
        stats=CaptureStats(packets=999, bytes=123000, connections=len(records)),
        started=T0,
        ended=T0 + 600,
        analyzed_at="2026-11-20T09:00:00+00:00",
    )
