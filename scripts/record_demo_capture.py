#!/usr/bin/env python3
"""Record the demo's packet capture from real DICOM, HL7 and TLS traffic on loopback.

Run as root from the repository root (network namespaces):

    .venv/bin/python scripts/record_demo_capture.py \
        src/imagewarden/demo/captures/riverside-lab.pcapng

The script re-runs itself inside a private network namespace (``unshare -n``) that holds
only a loopback interface, gives that interface the addresses some Riverside Medical Center
assets have in the demo inventory, and lets dumpcap record ``lo`` while real peers talk:

- DCMTK ``echoscu``/``storescu`` on the CT (RMC_CT1) to the PACS (a pynetdicom archive);
- a pynetdicom requestor on the MR (RMC_MR1) storing to the PACS;
- the PACS forwarding to the VNA (DCMTK ``dcmqrscp``) and to the on-premises AI;
- DCMTK ``findscu``/``movescu`` on a viewer (RMC_VWR3) querying and retrieving from the VNA,
  whose C-MOVE opens an association back to the viewer's pynetdicom storage SCP;
- a laptop nobody listed (10.20.125.250, AE ANYSCU) querying the PACS;
- the RIS sending HL7 v2 orders over plain MLLP to the PACS;
- the AI orchestrator opening TLS to the cloud AI service (SNI ai.cloud.example).

The images are pydicom's bundled CT and MR test files with a made-up patient. Nothing leaves
the namespace; the namespace and every peer are gone when the script ends. DCMTK tools
choose their own source address, so a local route gives each of them the address of the
asset it plays (``ip route replace local DEST ... src SOURCE``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

CT, MR, PACS, VNA, VIEWER, AI, RIS, ORCHESTRATOR, CLOUD_AI, LAPTOP = (
    "10.20.120.11", "10.20.120.15", "10.20.125.13", "10.20.125.14", "10.20.125.17",
    "10.20.125.18", "10.20.125.15", "10.20.125.20", "10.20.250.11", "10.20.125.250",
)  # fmt: skip
ADDRESSES = (CT, MR, PACS, VNA, VIEWER, AI, RIS, ORCHESTRATOR, CLOUD_AI, LAPTOP)
NODELAY = {**os.environ, "TCP_NODELAY": "1"}
PATIENT = "Demo^Synthetic"


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=20)


def _wait_port(host: str, port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.05)
    raise SystemExit(f"nothing listens on {host}:{port}")


def _images(folder: Path) -> list[Path]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' DICOM helpers
    from tests.traffic.dicom_files import synthetic_copy

    sources = ("CT_small.dcm", "CT_small.dcm", "MR_small.dcm")
    return [
        synthetic_copy(name, folder / f"image-{index}.dcm", (PATIENT, "DEMO-0001"))
        for index, name in enumerate(sources)
    ]


def _pynetdicom_scp(address: str, port: int, ae_title: str, images: list[Path]) -> object:
    """A storage SCP; with ``images``, also an archive answering C-FIND with a count."""
    from pydicom import dcmread
    from pynetdicom import AE, AllStoragePresentationContexts, evt
    from pynetdicom.sop_class import (  # type: ignore[attr-defined]
        StudyRootQueryRetrieveInformationModelFind,
        Verification,
    )

    ae = AE(ae_title=ae_title)
    ae.supported_contexts = AllStoragePresentationContexts
    ae.add_supported_context(Verification)
    ae.add_supported_context(StudyRootQueryRetrieveInformationModelFind)

    def stored(_event: object) -> int:
        return 0x0000

    def found(event: object) -> Iterator[tuple[int, object]]:
        for path in images:
            answer = dcmread(path, stop_before_pixels=True)
            keep = {"StudyInstanceUID", "QueryRetrieveLevel"}
            for keyword in [e.keyword for e in answer if e.keyword not in keep]:
                delattr(answer, keyword)
            answer.QueryRetrieveLevel = "STUDY"
            yield 0xFF00, answer
        yield 0x0000, None

    handlers = [(evt.EVT_C_STORE, stored), (evt.EVT_C_FIND, found)]
    return ae.start_server((address, port), block=False, evt_handlers=handlers)


def _dcmqrscp(folder: Path) -> subprocess.Popen[bytes]:
    store = folder / "vna"
    store.mkdir()
    config = folder / "dcmqrscp.cfg"
    config.write_text(
        textwrap.dedent(
            f"""\
            NetworkTCPPort  = 11112
            MaxPDUSize      = 16384
            MaxAssociations = 16

            HostTable BEGIN
            viewer = (RMC_VWR3, {VIEWER}, 104)
            HostTable END

            VendorTable BEGIN
            VendorTable END

            AETable BEGIN
            RMC_VNA1  {store}  RW  (100, 64mb)  ANY
            AETable END
            """
        )
    )
    process = subprocess.Popen(
        ["dcmqrscp", "-dhl", "-c", str(config)],
        env=NODELAY,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_port(VNA, 11112)
    return process


def _dcmtk(*argv: str) -> None:
    # Output discarded: findscu prints the identifiers it receives.
    done = subprocess.run(
        argv, env=NODELAY, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60
    )
    if done.returncode != 0:
        raise SystemExit(f"{argv[0]} exited {done.returncode}")


def _store(source: str, calling: str, host: str, port: int, called: str, files: list[Path]) -> None:
    from pydicom import dcmread
    from pynetdicom import AE, StoragePresentationContexts

    ae = AE(ae_title=calling)
    ae.requested_contexts = StoragePresentationContexts
    assoc = ae.associate(host, port, ae_title=called, bind_address=(source, 0))
    assert assoc.is_established, f"{calling} -> {called} was not accepted"
    for path in files:
        status = assoc.send_c_store(dcmread(path))
        assert status and status.Status == 0, f"C-STORE {calling} -> {called} failed"
    assoc.release()


def _stranger_queries() -> None:
    from pydicom.dataset import Dataset
    from pynetdicom import AE
    from pynetdicom.sop_class import (  # type: ignore[attr-defined]
        StudyRootQueryRetrieveInformationModelFind,
        Verification,
    )

    ae = AE(ae_title="ANYSCU")
    ae.add_requested_context(Verification)
    ae.add_requested_context(StudyRootQueryRetrieveInformationModelFind)
    assoc = ae.associate(PACS, 104, ae_title="RMC_PACS1", bind_address=(LAPTOP, 0))
    assert assoc.is_established
    assoc.send_c_echo()
    query = Dataset()
    query.QueryRetrieveLevel = "STUDY"
    query.StudyInstanceUID = ""
    for _status, _answer in assoc.send_c_find(query, StudyRootQueryRetrieveInformationModelFind):
        pass  # answers are not kept
    assoc.release()


def _hl7() -> None:
    """Two synthetic ORM orders from the RIS to the PACS over plain MLLP, each ACKed."""
    listener = socket.create_server((PACS, 2575))

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            buffer = b""
            while True:
                data = conn.recv(4096)
                if not data:
                    return
                buffer += data
                while b"\x1c\r" in buffer:
                    _message, buffer = buffer.split(b"\x1c\r", 1)
                    conn.sendall(b"\x0bMSH|^~\\&|PACS|RMC|RIS|RMC|||ACK|1|P|2.3\rMSA|AA|1\r\x1c\r")

    thread = threading.Thread(target=serve)
    thread.start()
    with socket.create_connection((PACS, 2575), source_address=(RIS, 0)) as client:
        for number in (1, 2):
            order = (
                f"MSH|^~\\&|RIS|RMC|PACS|RMC|||ORM^O01|{number}|P|2.3\r"
                f"PID|1||DEMO-0001||{PATIENT}\rORC|NW|{number}\rOBR|1|{number}||CT HEAD\r"
            )
            client.sendall(b"\x0b" + order.encode() + b"\x1c\r")
            client.recv(4096)
    thread.join(timeout=10)
    listener.close()


def _cloud_tls(folder: Path) -> None:
    """A TLS handshake and one request from the AI orchestrator to the cloud AI service."""
    key, cert = folder / "cloud.key", folder / "cloud.crt"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(cert), "-days", "2", "-subj", "/CN=ai.cloud.example"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    listener = socket.create_server((CLOUD_AI, 443))

    def serve() -> None:
        conn, _ = listener.accept()
        with server_context.wrap_socket(conn, server_side=True) as tls:
            tls.recv(4096)
            tls.sendall(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=serve)
    thread.start()
    client_context = ssl.create_default_context(cafile=str(cert))
    with (
        socket.create_connection((CLOUD_AI, 443), source_address=(ORCHESTRATOR, 0)) as raw,
        client_context.wrap_socket(raw, server_hostname="ai.cloud.example") as tls,
    ):
        tls.sendall(b"POST /v1/studies HTTP/1.1\r\nHost: ai.cloud.example\r\n\r\n")
        tls.recv(4096)
    thread.join(timeout=10)
    listener.close()


@contextlib.contextmanager
def _dumpcap(out: Path) -> Iterator[None]:
    process = subprocess.Popen(
        ["dumpcap", "-q", "-i", "lo", "-f", "tcp", "-w", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while not (out.exists() and out.stat().st_size > 0):
        if time.monotonic() > deadline or process.poll() is not None:
            raise SystemExit("dumpcap did not start")
        time.sleep(0.05)
    time.sleep(0.3)
    try:
        yield
    finally:
        time.sleep(0.3)
        process.send_signal(signal.SIGINT)
        process.wait(timeout=15)


def record(out: Path) -> None:
    """Inside the private namespace: give lo the addresses, start the peers, capture."""
    _ip("link", "set", "lo", "up")
    for address in ADDRESSES:
        _ip("addr", "add", f"{address}/32", "dev", "lo")
    # DCMTK clients: the CT reaches the PACS, the viewer the VNA, the VNA the viewer.
    for destination, source in ((PACS, CT), (VNA, VIEWER), (VIEWER, VNA)):
        _ip("route", "replace", "local", destination, "dev", "lo", "table", "local",
            "src", source, "scope", "host")  # fmt: skip
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        images = _images(folder)
        servers = [
            _pynetdicom_scp(PACS, 104, "RMC_PACS1", images),
            _pynetdicom_scp(VIEWER, 104, "RMC_VWR3", []),
            _pynetdicom_scp(AI, 104, "RMC_AI1", []),
        ]
        vna = _dcmqrscp(folder)
        capture = folder / "capture.pcapng"
        try:
            with _dumpcap(capture):
                _dcmtk("echoscu", "-aet", "RMC_CT1", "-aec", "RMC_PACS1", PACS, "104")
                ct_images = [str(p) for p in images[:2]]
                _dcmtk("storescu", "-aet", "RMC_CT1", "-aec", "RMC_PACS1", PACS, "104", *ct_images)
                _store(MR, "RMC_MR1", PACS, 104, "RMC_PACS1", images[2:])
                _store(PACS, "RMC_PACS1", VNA, 11112, "RMC_VNA1", images)
                _store(PACS, "RMC_PACS1", AI, 104, "RMC_AI1", images[:1])
                _dcmtk("findscu", "-aet", "RMC_VWR3", "-aec", "RMC_VNA1", "-S",
                       "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID",
                       VNA, "11112")  # fmt: skip
                _dcmtk("movescu", "-aet", "RMC_VWR3", "-aec", "RMC_VNA1", "-aem", "RMC_VWR3",
                       "-S", "-k", "QueryRetrieveLevel=STUDY", "-k", "PatientID=DEMO-0001",
                       VNA, "11112")  # fmt: skip
                _stranger_queries()
                _hl7()
                _cloud_tls(folder)
        finally:
            vna.terminate()
            vna.wait(timeout=10)
            for server in servers:
                server.shutdown()  # type: ignore[attr-defined]
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(capture, out)
        out.chmod(0o644)
    print(f"{out}: {out.stat().st_size} bytes")


def main() -> None:
    """Re-run inside a private network namespace, then record."""
    if len(sys.argv) < 2:
        raise SystemExit(f"usage: {sys.argv[0]} OUT.pcapng")
    out = Path(sys.argv[1]).resolve()
    if sys.argv[2:] == ["--inside"]:
        record(out)
        return
    if os.geteuid() != 0:
        raise SystemExit("needs root: the capture is recorded in a private network namespace")
    for tool in ("unshare", "ip", "dumpcap", "storescu", "dcmqrscp", "openssl"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed (scripts/system-deps test)")
    os.execvp("unshare", ["unshare", "-n", sys.executable, __file__, str(out), "--inside"])


if __name__ == "__main__":
    main()
