"""Run one real-peer discovery scenario inside a private network namespace.

Started by the tests as ``unshare -n python netns_scenario.py SCENARIO DIR``: the namespace
has only a loopback interface, so peers that bind every interface (Orthanc, dcmqrscp) are
reachable from nowhere else. The script brings ``lo`` up, starts the peer (its files under
DIR/peer), runs the real ``imagewarden`` CLI (its files under DIR/iw), and writes
DIR/result.json. Every process it starts is killed before it exits.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import yaml

DICOMWEB_PLUGIN = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so"
CANARY_NAME = "CANARY^PHI"
CANARY_ID = "CANARY-PID-7731"
SCENARIOS = ("orthanc-insecure", "orthanc-hardened", "orthanc-default-credentials", "dcmqrscp")
# Each scenario gets its own ports, so all peers can share one namespace (and one start-up).
PORTS = {name: (41104 + i, 48042 + i) for i, name in enumerate(SCENARIOS)}


def wait_port(port: int, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise RuntimeError(f"port {port} did not open")


def orthanc_config(peer: Path, variant: str, dicom_port: int, http_port: int) -> dict[str, object]:
    conf: dict[str, object] = {
        "Name": "LabOrthanc",
        "StorageDirectory": str(peer / "storage"),
        "IndexDirectory": str(peer / "index"),
        "Plugins": [],
        "HttpPort": http_port,
        "DicomPort": dicom_port,
        "DicomAet": "ORTHANC",
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": False,
        "RegisteredUsers": {},
        "DicomCheckCalledAet": False,
        "DicomAlwaysAllowEcho": True,
        "DicomAlwaysAllowStore": True,
        "DicomAlwaysAllowFind": True,
        "DicomAlwaysAllowGet": False,
        "DicomAlwaysAllowMove": False,
        "DicomModalities": {},
        "ExecuteLuaEnabled": False,
        "RestApiWriteToFileSystemEnabled": False,
    }
    if variant == "insecure":
        # The DICOMweb plugin (Debian orthanc-dicomweb) answers QIDO-RS without credentials.
        conf["Plugins"] = [DICOMWEB_PLUGIN]
    if variant == "hardened":
        conf.update(
            {
                "AuthenticationEnabled": True,
                "RegisteredUsers": {"labadmin": "Lab-Only-Passphrase-4417"},
                "DicomCheckCalledAet": True,
                "DicomAlwaysAllowEcho": False,
                "DicomAlwaysAllowStore": False,
                "DicomAlwaysAllowFind": False,
                "DicomModalities": {"peer": ["PACSPEER", "127.0.0.1", 11112]},
                "DicomCheckModalityHost": True,
            }
        )
    elif variant == "default-credentials":
        # Remote access on, authentication not configured: Orthanc creates orthanc/orthanc.
        conf["RemoteAccessAllowed"] = True
        del conf["AuthenticationEnabled"]
    return conf


def store_canary(http_port: int) -> None:
    """Put one synthetic study with canary identifiers into the insecure Orthanc over REST."""
    import httpx
    from pydicom import dcmread
    from pydicom.data import get_testdata_file

    path = get_testdata_file("CT_small.dcm", download=False)
    ds = dcmread(str(path))
    ds.PatientName = CANARY_NAME
    ds.PatientID = CANARY_ID
    buffer = io.BytesIO()
    ds.save_as(buffer)
    response = httpx.post(
        f"http://127.0.0.1:{http_port}/instances",
        content=buffer.getvalue(),
        headers={"Content-Type": "application/dicom"},
        timeout=10,
    )
    response.raise_for_status()


def dcmqrscp_config(peer: Path, dicom_port: int) -> Path:
    (peer / "restricted").mkdir(parents=True)
    (peer / "open").mkdir()
    cfg = peer / "dcmqrscp.cfg"
    cfg.write_text(
        f"""NetworkTCPPort  = {dicom_port}
MaxPDUSize      = 16384
MaxAssociations = 16

HostTable BEGIN
labscu1    = (LABSCU1, 127.0.0.1, 41201)
labpeers   = labscu1
HostTable END

VendorTable BEGIN
VendorTable END

AETable BEGIN
LABQR       {peer}/restricted  RW  (100, 64mb)  labpeers
AETable END
"""
    )
    return cfg


def scope(path: Path, scenario: str, http: bool, dicom_port: int, http_port: int) -> Path:
    now = dt.datetime.now(dt.UTC)
    known = []
    if scenario == "orthanc-hardened":
        known = [
            {
                "host": "127.0.0.1",
                "port": dicom_port,
                "called_ae": "ORTHANC",
                "calling_ae": "PACSPEER",
            }
        ]
    if scenario == "dcmqrscp":
        known = [
            {"host": "127.0.0.1", "port": dicom_port, "called_ae": "LABQR", "calling_ae": "LABSCU1"}
        ]
    data = {
        "authorised_by": "integration test (private network namespace)",
        "window": {
            "start": (now - dt.timedelta(hours=1)).isoformat(),
            "end": (now + dt.timedelta(hours=1)).isoformat(),
        },
        "site": "lab",
        "hosts": ["127.0.0.1"],
        "ports": {
            "dicom": [dicom_port],
            "dicom_tls": [],
            "http": [http_port] if http else [],
            "https": [],
            "hl7": [],
        },
        "dicom": {"services": known},
        "rate": {
            "global_per_second": 200,
            "per_host_per_second": 50,
            "connect_timeout": 2,
            "read_timeout": 2,
        },
    }
    path.write_text(yaml.safe_dump(data))
    return path


def run(args: list[str], stdout: Path, stderr: Path | None = None) -> int:
    """Run the real CLI in this process (its start-up costs seconds), output to files."""
    from imagewarden.cli.app import app

    with (
        stdout.open("a") as out,
        (stderr or stdout).open("a") as err,
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        try:
            code = app(args, standalone_mode=False)
        except SystemExit as exc:
            code = exc.code
        except Exception as exc:  # typer's Exit carries the code
            if not hasattr(exc, "exit_code"):
                raise
            code = exc.exit_code
    return int(code or 0)


def scenario(name: str, root: Path) -> None:
    dicom_port, http_port = PORTS[name]
    peer, iw = root / "peer", root / "iw"
    peer.mkdir(parents=True)
    iw.mkdir(parents=True)
    env = {**os.environ, "TCP_NODELAY": "1"}
    proc: subprocess.Popen[bytes]
    log = (peer / "peer.log").open("wb")
    if name.startswith("orthanc-"):
        variant = name.removeprefix("orthanc-")
        config = orthanc_config(peer, variant, dicom_port, http_port)
        (peer / "config.json").write_text(json.dumps(config))
        proc = subprocess.Popen(
            ["Orthanc", str(peer / "config.json")], stdout=log, stderr=log, env=env
        )
    else:
        proc = subprocess.Popen(
            ["dcmqrscp", "-dhl", "-c", str(dcmqrscp_config(peer, dicom_port)), str(dicom_port)],
            stdout=log,
            stderr=log,
            env=env,
        )
    http = name.startswith("orthanc-")
    result: dict[str, object] = {"scenario": name}
    try:
        wait_port(dicom_port)
        if http:
            wait_port(http_port)
        if name == "orthanc-insecure":
            store_canary(http_port)
        db = f"sqlite:///{iw / 'iw.db'}"
        scope_path = scope(iw / "scope.yaml", name, http, dicom_port, http_port)
        logfile = iw / "cli.log"
        run(["--db", db, "init"], logfile)
        started = time.monotonic()
        result["discover_rc"] = run(
            [
                "--db",
                db,
                "discover",
                "--scope",
                str(scope_path),
                "--profile",
                "standard",
                "--allow-query",
                "--allow-credential-checks",
            ],
            iw / "discover.out",
            iw / "discover.err",
        )
        result["discover_seconds"] = time.monotonic() - started
        result["assess_rc"] = run(["--db", db, "assess"], logfile)
        # Reports only where the PHI canary is checked (each report loads the whole catalog).
        formats = (("json", "report.json"), ("html", "report.html"))
        for fmt, out in formats if name == "orthanc-insecure" else ():
            run(["--db", db, "report", "--format", fmt, "-o", str(iw / out)], logfile)
    finally:
        proc.kill()
        proc.wait(timeout=10)
        log.close()
        (root / "result.json").write_text(json.dumps(result))


def main() -> None:
    root = Path(sys.argv[1])
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    for name in sys.argv[2:] or SCENARIOS:
        scenario(name, root / name)


if __name__ == "__main__":
    main()
