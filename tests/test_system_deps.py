"""Installing the test peers never leaves a PACS enabled or listening on the machine."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


@pytest.mark.integration
def test_system_deps_leaves_orthanc_disabled_and_silent() -> None:
    ran = subprocess.run(
        [str(ROOT / "scripts" / "system-deps"), "test"], capture_output=True, text=True,
        timeout=900, check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert sorted(Path("/etc").glob("rc[2-5].d/S*orthanc")) == []
    assert not Path("/etc/systemd/system/multi-user.target.wants/orthanc.service").exists()
    for port in (4242, 8042):  # Orthanc's DICOM and HTTP ports on the host's network
        with socket.socket() as probe:
            probe.settimeout(1)
            assert probe.connect_ex(("127.0.0.1", port)) != 0, f"something listens on {port}"


def test_weasyprint_font_subsetting_library_is_listed() -> None:
    text = (ROOT / "scripts" / "system-deps").read_text(encoding="utf-8")
    assert "libharfbuzz-subset0" in text
