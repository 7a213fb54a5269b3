"""Backup results that agree with themselves: manifest and JSON, verify and compare, the RTO
verdict and failed files, an empty archive, every problem file in machine-readable output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from imagewarden.app import open_store
from imagewarden.catalog import Catalog
from imagewarden.model import AssetType, FindingStatus
from imagewarden.resilience import api
from imagewarden.resilience.backup.manifest import read_records
from tests import factories
from tests.assessing import run_assessment
from tests.cli_runner import expect
from tests.resilience.conftest import files_of


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A database whose inventory holds the archive PACS-1."""
    path = tmp_path / "iw.db"
    with open_store(str(path), create=True) as store:
        store.save_inventory(
            factories.inventory(
                factories.asset("PACS-1", type=AssetType.PACS, vendor="Sectra", name="Main PACS")
            )
        )
    return path


def _open_checks(db: Path, catalog: Catalog) -> set[str]:
    with open_store(str(db)) as store:
        result = run_assessment(store, catalog)
    return {f.check_id for f in result.findings if f.status is FindingStatus.OPEN}


def _listed(stdout: str) -> dict[str, list[str]]:
    return {p["path"]: p["problems"] for p in json.loads(stdout)["problem_files_listed"]}


def test_manifest_and_json_agree_on_a_duplicate_sop_instance(archive: Path, tmp_path: Path) -> None:
    original = files_of(archive)[5]
    (original.parent / "copy.dcm").write_bytes(original.read_bytes())
    manifest = tmp_path / "m.jsonl"
    ran = expect(1, "backup", "verify", archive, "--manifest-out", manifest, "--json")
    in_manifest = {
        r["path"]: r["problems"] for r in read_records(manifest) if r["status"] == "problem"
    }
    assert list(in_manifest.values()) == [["duplicate_sop_instance"]]
    assert json.loads(ran.stdout)["duplicate_sop_instances"] == 1
    assert in_manifest == _listed(ran.stdout)


def test_verify_against_and_compare_use_one_comparison(archive: Path, tmp_path: Path) -> None:
    # entries without a hash: a link loop, a broken link, a link back to an ancestor
    (archive / "self").symlink_to("self")
    (archive / "gone.dcm").symlink_to("nowhere.dcm")
    (archive / "study00000" / "up").symlink_to("..")
    first, second = tmp_path / "1.jsonl", tmp_path / "2.jsonl"
    expect(1, "backup", "verify", archive, "--manifest-out", first)
    ran = expect(1, "backup", "verify", archive, "--manifest-out", second, "--against", first,
                 "--format", "json")  # fmt: skip
    against = json.loads(ran.stdout)["comparison"]
    assert (against["missing"], against["changed"]) == (0, 0)
    assert against["unverified"] == 3
    compared = json.loads(expect(0, "backup", "compare", first, second, "--format", "json").stdout)
    assert {k: compared[k] for k in against} == against
    result = api.collect_verification(api.VerifyRequest(archive, jobs=1, against=first))
    assert result.facts["backup.files_missing_or_changed"] == 0


def test_restore_failures_are_their_own_verdict_not_the_rto(
    archive: Path, db: Path, catalog: Catalog
) -> None:
    victim = files_of(archive)[2]
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    rel = victim.relative_to(archive).as_posix()
    ran = expect(1, "backup", "restore-test", archive, "--sample", "100", "--rto", "72",
                 "--asset", "PACS-1", "--format", "json", db=db)  # fmt: skip
    test = json.loads(ran.stdout)
    assert test["within_rto"] is True
    assert test["failed_files"] == [{"path": rel, "problems": ["truncated"]}]
    assert test["facts"]["backup.restore_within_rto"] is True
    assert test["facts"]["backup.restore_failed_files"] == 1
    text = expect(1, "backup", "restore-test", archive, "--sample", "100", "--rto", "72")
    assert "within the RTO" in text.stdout and "1 restored files FAILED" in text.stdout
    assert f"{rel}: truncated" in text.stdout
    checks = _open_checks(db, catalog)
    assert "urn:imagewarden:check:backup-restore-files-failed" in checks
    assert "urn:imagewarden:check:backup-restore-exceeds-rto" not in checks


def test_an_empty_archive_is_a_failed_check(tmp_path: Path, db: Path, catalog: Catalog) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    text = expect(1, "backup", "verify", empty)
    assert "0 files" in text.stdout and "empty_archive: 1" in text.stdout
    ran = expect(1, "backup", "verify", empty, "--format", "json", "--asset", "PACS-1", db=db)
    assert _listed(ran.stdout) == {".": ["empty_archive"]}
    assert "urn:imagewarden:check:backup-empty-archive" in _open_checks(db, catalog)
    restored = expect(1, "backup", "restore-test", empty)
    assert "EMPTY" in restored.stdout
    refused = expect(2, "backup", "verify", tmp_path / "absent")
    assert "not a folder" in refused.stderr


def test_verify_json_lists_every_problem_file(archive: Path, tmp_path: Path) -> None:
    notes = [f"study00001/HOW_TO_DECRYPT_{i:02d}.txt" for i in range(30)]
    for rel in notes:
        (archive / rel).write_text("send bitcoin")
    manifest = tmp_path / "m.jsonl"
    ran = expect(1, "backup", "verify", archive, "--format", "json", "--manifest-out", manifest)
    listed = _listed(ran.stdout)
    assert listed == {rel: ["ransom_note"] for rel in notes}  # all 30, not the first 20
    alias = expect(1, "backup", "verify", archive, "--json")
    assert _listed(alias.stdout) == listed
    summary = json.loads(ran.stdout)
    assert summary["problem_files"] == 30 and summary["files"] == 54
