"""Run inside ``unshare -n``: start a real Orthanc, upload DICOM files over REST, run
``imagewarden backup verify`` against its storage with ``--orthanc-url``, stop Orthanc.

    unshare -n python orthanc_peer.py WORKDIR FILE...

Prints one JSON object: Orthanc's statistics and the verify command's exit code and summary.
Every wait is bounded; Orthanc is always stopped, even on failure.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

HTTP_PORT = 48042
URL = f"http://127.0.0.1:{HTTP_PORT}"


def _config(work: Path) -> Path:
    config = {
        "Name": "ImageWardenBackupTest",
        "StorageDirectory": str(work / "storage"),
        "IndexDirectory": str(work / "index"),
        "Plugins": [],
        "HttpServerEnabled": True,
        "HttpPort": HTTP_PORT,
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": False,
        "RegisteredUsers": {},
        "DicomServerEnabled": False,
        "ExecuteLuaEnabled": False,
        "RestApiWriteToFileSystemEnabled": False,
    }
    path = work / "orthanc.json"
    path.write_text(json.dumps(config))
    return path


def _wait_ready(client: httpx.Client) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if client.get(f"{URL}/system", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError("Orthanc did not answer within 20 s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def main() -> None:
    work = Path(sys.argv[1])
    files = [Path(p) for p in sys.argv[2:]]
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True, timeout=10)
    log = (work / "orthanc.log").open("wb")
    env = dict(os.environ, TCP_NODELAY="1")
    process = subprocess.Popen(
        ["Orthanc", str(_config(work))], stdout=log, stderr=subprocess.STDOUT, env=env
    )
    try:
        with httpx.Client() as client:
            _wait_ready(client)
            for path in files:
                response = client.post(
                    f"{URL}/instances",
                    content=path.read_bytes(),
                    headers={"Content-Type": "application/dicom"},
                    timeout=10,
                )
                response.raise_for_status()
            statistics = client.get(f"{URL}/statistics", timeout=5).json()
        imagewarden = Path(sys.executable).with_name("imagewarden")
        verify = subprocess.run(
            [str(imagewarden), "backup", "verify", str(work / "storage"),
             "--orthanc-url", URL, "--json", "--jobs", "2"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        summary = json.loads(verify.stdout) if verify.stdout.strip() else None
        print(
            json.dumps(
                {"statistics": statistics, "verify_rc": verify.returncode, "summary": summary,
                 "verify_stderr": verify.stderr[-2000:]}
            )
        )  # fmt: skip
    finally:
        _stop(process)
        log.close()


if __name__ == "__main__":
    main()
