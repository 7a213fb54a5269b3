"""Files that may hold personal or sensitive data are created readable by their owner only:
the database, exports, charts, imported culture data the demo writes, backup manifests and
restored copies, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from imagewarden.app import open_store
from imagewarden.catalog import Catalog
from imagewarden.demo.history import write_demo_history
from imagewarden.render.atomic import open_private
from imagewarden.resilience.backup.verify import verify
from tests.cli_runner import expect
from tests.factories import asset, inventory
from tests.governance.conftest import DATA


@pytest.fixture(autouse=True)
def _permissive_umask() -> Iterator[None]:
    """A umask that would make new files readable by everyone."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _private(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    assert mode & 0o077 == 0, f"{path.name} is {oct(mode)}"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "iw.db"
    expect(0, "init", db=path)
    with open_store(str(path)) as store:
        store.save_inventory(inventory(asset("CT-1", "north"), asset("MR-1", "south")))
    expect(0, "culture", "import", "training", DATA / "training.csv", db=path)
    expect(0, "maturity", "--record", db=path)
    return path


WRITERS = {
    "checklist export": ("checklist", "export", "-o", "{out}/answers.csv"),
    "checklist template": ("checklist", "export", "--template", "-o", "{out}/sheet.csv"),
    "culture report": ("culture", "report", "--csv", "{out}/culture.csv"),
    "crosswalk": ("crosswalk", "--csv", "{out}/crosswalk.csv"),
    "maturity chart": ("maturity", "--chart", "{out}/trend.svg"),
    "poam": ("poam", "--csv", "{out}/poam.csv"),
    "export oscal": ("export", "oscal", "--out", "{out}"),
    "export defectdojo": ("export", "defectdojo", "-o", "{out}/dojo.json"),
}


@pytest.mark.parametrize("command", WRITERS.values(), ids=WRITERS.keys())
def test_files_a_command_writes_are_owner_only(
    db: Path, tmp_path: Path, command: tuple[str, ...]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    expect(0, *(part.format(out=out) for part in command), db=db)
    written = sorted(p for p in out.rglob("*") if p.is_file())
    assert written
    for path in written:
        _private(path)


def test_the_database_is_owner_only(db: Path) -> None:
    _private(db)
    for sidecar in db.parent.glob(db.name + "-*"):  # SQLite's WAL and shared memory
        _private(sidecar)


def test_demo_culture_files_are_owner_only(tmp_path: Path, catalog: Catalog) -> None:
    with open_store(str(tmp_path / "iw.db"), create=True) as store:
        store.save_inventory(inventory(asset("CT-1", "north")))
        write_demo_history(store, catalog, tmp_path / "culture")
    files = sorted((tmp_path / "culture").iterdir())
    assert any("training" in p.name for p in files) and any("phishing" in p.name for p in files)
    for path in files:
        _private(path)


def test_backup_manifest_and_copies_are_owner_only(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "IM000001.dcm").write_bytes(b"\0" * 128 + b"DICM")
    manifest = tmp_path / "manifest.jsonl"
    verify(archive, jobs=1, manifest_out=manifest)
    _private(manifest)
    copy = tmp_path / "restored.dcm"
    with open_private(copy, "wb") as handle:  # how restore-test copies a file
        handle.write(b"data")
    _private(copy)


def test_the_lab_certificate_and_key_are_owner_only(tmp_path: Path) -> None:
    from imagewarden.discovery.lab.certs import self_signed

    cert, key = self_signed(tmp_path / "tls", "lab.test.invalid", "127.0.0.1")
    _private(key)
    _private(cert)
    _private(tmp_path / "tls")
