"""A real Orthanc storage area, filled over REST inside a private network namespace."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from imagewarden.resilience.backup.verify import verify
from imagewarden.resilience.backup.walk import is_orthanc_storage
from tests.resilience.conftest import aes_encrypt, files_of

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("Orthanc") is None, reason="Debian package orthanc missing"),
    pytest.mark.skipif(os.geteuid() != 0, reason="unshare -n needs root"),
]
PEER = Path(__file__).with_name("orthanc_peer.py")


@pytest.fixture(scope="module")
def orthanc_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    from imagewarden.resilience.backup.sample import write_study_files

    source = tmp_path_factory.mktemp("upload")
    files = list(write_study_files(source, studies=3, series_per_study=2, instances_per_series=2))
    work = tmp_path_factory.mktemp("orthanc")
    done = subprocess.run(
        ["unshare", "-n", sys.executable, str(PEER), str(work), *map(str, files)],
        capture_output=True, text=True, timeout=180,
        env=dict(os.environ, PYTHONPATH=str(Path(__file__).parents[2])),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return work / "storage", json.loads(done.stdout)


def test_orthanc_storage_verifies_and_matches_its_statistics(
    orthanc_run: tuple[Path, dict[str, object]],
) -> None:
    storage, report = orthanc_run
    statistics = report["statistics"]
    assert isinstance(statistics, dict)
    assert statistics["CountInstances"] == 12 and statistics["CountStudies"] == 3
    summary = report["summary"]
    assert isinstance(summary, dict), report["verify_stderr"]
    assert report["verify_rc"] == 0, summary
    assert summary["layout"] == "orthanc"
    assert (summary["files"], summary["ok"], summary["studies"]) == (12, 12, 3)
    assert summary["counts"]["matches"] is True
    assert is_orthanc_storage(storage)


def test_ransomware_in_orthanc_storage_is_found(
    orthanc_run: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    storage = tmp_path / "storage"
    shutil.copytree(orthanc_run[0], storage)
    victims = sorted(p for p in storage.rglob("*") if p.is_file())[:3]
    for victim in victims:
        victim.write_bytes(aes_encrypt(victim.read_bytes()))
    result = verify(storage, jobs=2)
    assert result.problem_counts["encrypted_suspect"] == 3
    assert result.ok == 9 and not files_of(storage)  # Orthanc names files without extension
