"""Real DICOM traffic between DCMTK tools and pynetdicom and DCMTK SCPs, captured by dumpcap.

The server namespace runs dcmqrscp (an archive: storage, C-FIND, C-MOVE), a pynetdicom storage
SCP and, for the TLS capture, storescp with TLS. The client namespace runs echoscu, storescu,
findscu, movescu (with its own storage SCP for the moved images) and a pynetdicom requestor.
``EXPECTED`` is what was sent: the test compares ImageWarden's facts with it and with
tshark's own dissection of the same capture.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from tests.traffic.dicom_files import write_files
from tests.traffic.netlab import NODELAY, NetnsPair, capturing, netns_pair

ARCHIVE_PORT = 11112
MOVE_PORT = 11113
PYNET_PORT = 11114
TLS_PORT = 2762
FILES = 3


@dataclass(frozen=True)
class Expected:
    """One flow as sent: (client, server, port, calling, called) -> operations."""

    client: str
    server: str
    port: int
    calling: str
    called: str
    outcome: str
    requests: dict[str, int] = field(default_factory=dict)


def _dcmqrscp_config(folder: Path, pair: NetnsPair) -> Path:
    store = folder / "archive"
    store.mkdir(parents=True, exist_ok=True)
    config = folder / "dcmqrscp.cfg"
    config.write_text(
        textwrap.dedent(
            f"""\
            NetworkTCPPort  = {ARCHIVE_PORT}
            MaxPDUSize      = 16384
            MaxAssociations = 16

            HostTable BEGIN
            movescu = (MOVESCU, {pair.client_ip}, {MOVE_PORT})
            HostTable END

            VendorTable BEGIN
            VendorTable END

            AETable BEGIN
            LABQR  {store}  RW  (100, 64mb)  ANY
            AETable END
            """
        )
    )
    return config


PYNET_SCP = """
import sys, time
from pynetdicom import AE, AllStoragePresentationContexts, evt
from pynetdicom.sop_class import Verification
ae = AE(ae_title="PYSCP")
ae.supported_contexts = AllStoragePresentationContexts
ae.add_supported_context(Verification)
def stored(event):
    return 0x0000
server = ae.start_server((sys.argv[1], int(sys.argv[2])), block=False,
                         evt_handlers=[(evt.EVT_C_STORE, stored)])
time.sleep(float(sys.argv[3]))
server.shutdown()
"""

PYNET_ECHO = """
import sys
from pynetdicom import AE
from pynetdicom.sop_class import Verification
ae = AE(ae_title="PYECHO")
ae.add_requested_context(Verification)
assoc = ae.associate(sys.argv[1], int(sys.argv[2]), ae_title="PYSCP")
assert assoc.is_established
for _ in range(2):
    status = assoc.send_c_echo()
    assert status and status.Status == 0
assoc.release()
"""


def record_plain(folder: Path) -> tuple[Path, list[Expected]]:
    """Capture echo, store, find, move (with sub-operations), a reject, and pynetdicom."""
    files = write_files(folder / "files", FILES)
    capture = folder / "plain.pcapng"
    with netns_pair("10.97.0") as pair:
        config = _dcmqrscp_config(folder, pair)
        pair.start("server", ["dcmqrscp", "-dhl", "-c", config], env=NODELAY)
        pair.start(
            "server", [sys.executable, "-c", PYNET_SCP, pair.server_ip, str(PYNET_PORT), "60"]
        )
        pair.wait_port(ARCHIVE_PORT)
        pair.wait_port(PYNET_PORT)
        srv = pair.server_ip
        with capturing(pair, capture):
            pair.run(
                "client",
                ["echoscu", "-aet", "ECHOSCU", "-aec", "LABQR", srv, str(ARCHIVE_PORT)],
                env=NODELAY,
            )
            pair.run(
                "client",
                ["storescu", "-aet", "STORESCU", "-aec", "LABQR", srv, str(ARCHIVE_PORT), *files],
                env=NODELAY,
            )
            pair.run(
                "client",
                ["findscu", "-aet", "FINDSCU", "-aec", "LABQR", "-S",
                 "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID", "-k", "PatientName",
                 srv, str(ARCHIVE_PORT)],
                env=NODELAY,
            )  # fmt: skip
            moved = folder / "moved"
            moved.mkdir(exist_ok=True)
            pair.run(
                "client",
                ["movescu", "-aet", "MOVESCU", "-aec", "LABQR", "-aem", "MOVESCU",
                 "+P", str(MOVE_PORT), "-od", moved, "-S",
                 "-k", "QueryRetrieveLevel=STUDY", "-k", "PatientID=SYN-7730-PHI",
                 srv, str(ARCHIVE_PORT)],
                env=NODELAY,
            )  # fmt: skip
            rejected = pair.run(
                "client",
                ["echoscu", "-aet", "ECHOSCU", "-aec", "NOSUCHAE", srv, str(ARCHIVE_PORT)],
                env=NODELAY,
                check=False,
            )
            assert rejected != 0, "dcmqrscp accepted an unknown called AE title"
            pair.run(
                "client",
                ["storescu", "-aet", "PYCLIENT", "-aec", "PYSCP", srv, str(PYNET_PORT), *files[:2]],
                env=NODELAY,
            )
            pair.run("client", [sys.executable, "-c", PYNET_ECHO, srv, str(PYNET_PORT)])
        moved_files = sorted(moved.iterdir())
        assert len(moved_files) == FILES, f"C-MOVE delivered {len(moved_files)} files"
    cli, srv = pair.client_ip, pair.server_ip
    expected = [
        Expected(cli, srv, ARCHIVE_PORT, "ECHOSCU", "LABQR", "accepted", {"C-ECHO": 1}),
        Expected(cli, srv, ARCHIVE_PORT, "STORESCU", "LABQR", "accepted", {"C-STORE": FILES}),
        Expected(cli, srv, ARCHIVE_PORT, "FINDSCU", "LABQR", "accepted", {"C-FIND": 1}),
        Expected(cli, srv, ARCHIVE_PORT, "MOVESCU", "LABQR", "accepted", {"C-MOVE": 1}),
        # the C-MOVE's sub-operations: the archive opens an association back to movescu
        Expected(srv, cli, MOVE_PORT, "LABQR", "MOVESCU", "accepted", {"C-STORE": FILES}),
        Expected(cli, srv, ARCHIVE_PORT, "ECHOSCU", "NOSUCHAE", "rejected", {}),
        Expected(cli, srv, PYNET_PORT, "PYCLIENT", "PYSCP", "accepted", {"C-STORE": 2}),
        Expected(cli, srv, PYNET_PORT, "PYECHO", "PYSCP", "accepted", {"C-ECHO": 2}),
    ]
    return capture, expected


def _certificates(folder: Path) -> dict[str, Path]:
    paths = {}
    for name, cn in (("server", "labserver"), ("client", "labclient")):
        key, crt = folder / f"{name}.key", folder / f"{name}.crt"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
             "-out", crt, "-days", "2", "-subj", f"/CN={cn}"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        paths[f"{name}.key"], paths[f"{name}.crt"] = key, crt
    return paths


def record_tls(folder: Path) -> tuple[Path, int]:
    """Capture TLS-protected echo and store to storescp; returns (capture, associations)."""
    files = write_files(folder / "files", 2)
    certs = _certificates(folder)
    capture = folder / "tls.pcapng"
    received = folder / "received"
    received.mkdir(exist_ok=True)
    with netns_pair("10.96.0") as pair:
        pair.start(
            "server",
            ["storescp", "-aet", "TLSSCP", "-od", received,
             "+tls", certs["server.key"], certs["server.crt"], "+cf", certs["client.crt"],
             str(TLS_PORT)],
            env=NODELAY,
        )  # fmt: skip
        pair.wait_port(TLS_PORT)
        tls = ["+tls", certs["client.key"], certs["client.crt"], "+cf", certs["server.crt"]]
        srv = pair.server_ip
        with capturing(pair, capture):
            pair.run(
                "client",
                ["echoscu", "-aet", "TLSECHO", "-aec", "TLSSCP", *tls, srv, str(TLS_PORT)],
                env=NODELAY,
            )
            pair.run(
                "client",
                [
                    "storescu",
                    "-aet",
                    "TLSSTORE",
                    "-aec",
                    "TLSSCP",
                    *tls,
                    srv,
                    str(TLS_PORT),
                    *files,
                ],
                env=NODELAY,
            )
        assert len(list(received.iterdir())) == 2
    return capture, 2
