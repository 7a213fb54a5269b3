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


STUB = '#!/bin/sh\necho "STUB $(basename "$0") $*"\n'
SLOW = ("apt-get", "pip install", "imagewarden demo", "-m pytest")
"""Steps that take more than two seconds on a fresh machine."""


def _stub(folder: Path, *names: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_text(STUB, encoding="utf-8")
        (folder / name).chmod(0o755)


@pytest.mark.parametrize("script", ["system-deps", "demo", "test"])
def test_set_up_scripts_announce_every_slow_step_and_show_its_progress(
    tmp_path: Path, script: str
) -> None:
    """Each script runs in a copy of the project whose installers and tools are stand-ins that
    print their command line: every slow step is announced just before it runs, and apt and
    pip are never told to be quiet (their own progress shows)."""
    (tmp_path / "scripts").mkdir()
    for name in ("system-deps", "demo", "test"):
        copy = tmp_path / "scripts" / name
        copy.write_text((ROOT / "scripts" / name).read_text(encoding="utf-8"), encoding="utf-8")
        copy.chmod(0o755)
    tools = tmp_path / "tools"
    _stub(tools, "apt-get", "python3", "sudo")
    (tools / "dpkg-query").write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")  # all missing
    (tools / "dpkg-query").chmod(0o755)
    _stub(tmp_path / ".venv" / "bin", "python", "imagewarden", "ruff", "mypy", "lint-imports",
          "interrogate")  # fmt: skip
    ran = subprocess.run(
        [str(tmp_path / "scripts" / script), *(["runtime"] if script == "system-deps" else [])],
        env={"PATH": f"{tools}:/usr/bin:/bin", "HOME": str(tmp_path)},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stdout
    lines = ran.stdout.splitlines()
    slow = [i for i, line in enumerate(lines) if line.startswith("STUB") and any(
        step in line for step in SLOW)]  # fmt: skip
    assert slow, ran.stdout
    for i in slow:
        assert lines[i - 1].startswith("== "), f"not announced: {lines[i]}\n{ran.stdout}"
        # pip -q hides everything; apt -q still prints a line per package, -qq nothing
        hiding = {"-q", "-qq", "--quiet"} if " pip " in lines[i] else {"-qq", "-qqq"}
        assert not hiding & set(lines[i].split()), lines[i]
