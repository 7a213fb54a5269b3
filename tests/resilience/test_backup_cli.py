"""The backup commands as users run them: exit codes, errors, recorded facts and findings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from imagewarden.app import open_store
from imagewarden.catalog import Catalog
from imagewarden.cli.app import app
from imagewarden.model import AssetType, FindingStatus
from tests import factories
from tests.assessing import run_assessment
from tests.resilience.conftest import files_of

runner = CliRunner()


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_verify_then_compare_manifests(archive: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "1.jsonl", tmp_path / "2.jsonl"
    code, stdout, stderr = _run("backup", "verify", str(archive), "--manifest-out", str(first))
    # stdout holds the path written; the summary is on stderr, where no progress bar is drawn
    # when it is not a terminal (not even a blank line)
    assert code == 0 and stdout == f"{first}\n" and stderr.startswith("24 files (")
    assert "24 ok" in stderr
    files_of(archive)[0].write_bytes(b"\x00" * 10)
    code, stdout, stderr = _run(
        "backup", "verify", str(archive), "--manifest-out", str(second), "--against", str(first)
    )
    assert code == 1
    assert "0 missing, 1 changed, 0 added" in stderr
    code, stdout, _ = _run("backup", "compare", str(first), str(second))
    assert code == 1 and "1 changed" in stdout


def test_verify_json_output(archive: Path) -> None:
    code, stdout, _ = _run("backup", "verify", str(archive), "--json", "--jobs", "1")
    summary = json.loads(stdout)
    assert code == 0 and summary["files"] == 24 and summary["studies"] == 4


def test_bad_inputs_exit_2_with_a_located_message(archive: Path, tmp_path: Path) -> None:
    code, _, stderr = _run("backup", "verify", str(tmp_path / "absent"))
    assert code == 2 and "not a folder" in stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"format": "imagewarden-backup-manifest", "version": 1}\n{"path": 3\n')
    code, _, stderr = _run("backup", "compare", str(bad), str(bad))
    assert code == 2 and f"{bad}:2" in stderr and "Traceback" not in stderr
    export = tmp_path / "export.csv"
    export.write_text("study_instance_uid,instances\n1.2.3,many\n")
    out = tmp_path / "m.jsonl"
    code, _, stderr = _run(
        "backup", "verify", str(archive), "--export-csv", str(export), "--manifest-out", str(out)
    )
    assert code == 2 and f"{export}:2" in stderr
    assert not out.exists()  # inputs are read before the scan: nothing half-written


def test_export_counts_find_a_short_study(archive: Path, tmp_path: Path) -> None:
    from imagewarden.resilience.backup.verify import verify

    studies = verify(archive, jobs=1).study_instances
    export = tmp_path / "export.csv"
    rows = [f"{uid},{count}" for uid, count in sorted(studies.items())]
    export.write_text("StudyInstanceUID,Instances\n" + "\n".join(rows) + "\n")
    code, stdout, _ = _run("backup", "verify", str(archive), "--export-csv", str(export))
    assert code == 0 and "match" in stdout
    next((archive / "study00002").rglob("*.dcm")).unlink()
    code, stdout, _ = _run("backup", "verify", str(archive), "--export-csv", str(export))
    assert code == 1 and "DO NOT MATCH" in stdout and "1 short" in stdout


def test_results_become_facts_and_findings(archive: Path, tmp_path: Path, catalog: Catalog) -> None:
    db = str(tmp_path / "iw.db")
    with open_store(db, create=True) as store:
        store.save_inventory(
            factories.inventory(
                factories.asset("PACS-1", type=AssetType.PACS, vendor="Sectra", name="Main PACS")
            )
        )
    files_of(archive)[0].write_bytes(b"")
    code, _, stderr = _run("--db", db, "backup", "verify", str(archive), "--asset", "PACS-1")
    assert code == 1, stderr
    code, stdout, _ = _run(
        "--db", db, "backup", "restore-test", str(archive),
        "--sample", "5", "--rto", "0.0000001", "--asset", "PACS-1",
    )  # fmt: skip
    assert code == 1 and "EXCEEDS" in stdout
    with open_store(db) as store:
        result = run_assessment(store, catalog)
        checks = {f.check_id for f in result.findings if f.status is FindingStatus.OPEN}
    assert "urn:imagewarden:check:backup-integrity-problems" in checks
    assert "urn:imagewarden:check:backup-restore-exceeds-rto" in checks
    assert "urn:imagewarden:check:backup-restore-never-tested" not in checks


def test_unknown_asset_is_refused_before_anything_is_written(archive: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "iw.db")
    open_store(db, create=True).close()
    code, _, stderr = _run("--db", db, "backup", "verify", str(archive), "--asset", "NOPE")
    assert code == 2 and "NOPE" in stderr


def test_manifest_to_stdout_with_the_summary_on_stderr(archive: Path, tmp_path: Path) -> None:
    code, stdout, stderr = _run("backup", "verify", str(archive), "--manifest-out", "-")
    assert code == 0 and "24 files" in stderr and "24 ok" in stderr
    lines = [json.loads(line) for line in stdout.splitlines()]
    assert lines[0]["format"] == "imagewarden-backup-manifest"
    assert len([entry for entry in lines if "path" in entry]) == 24
    assert not Path("-").exists()
    # the manifest read from stdout serves as an earlier manifest
    earlier = tmp_path / "earlier.jsonl"
    earlier.write_text(stdout, encoding="utf-8")
    code, summary, _ = _run("backup", "verify", str(archive), "--against", str(earlier))
    assert code == 0 and "0 missing, 0 changed, 0 added" in summary
    for refused in (["--resume"], ["--format", "json"]):
        code, stdout, stderr = _run("backup", "verify", str(archive), "--manifest-out", "-",
                                    *refused)  # fmt: skip
        assert code == 2 and stdout == "" and "--manifest-out -" in stderr


def _loaded_by(args: list[str], watched: tuple[str, ...]) -> tuple[int, list[str]]:
    """Run ``imagewarden ARGS`` in a fresh interpreter: its exit code, and which of the
    ``watched`` modules it imported."""
    probe = (
        "import sys\n"
        "from imagewarden.cli.app import main\n"
        "watched = sys.argv[1].split(',')\n"
        "sys.argv = ['imagewarden', *sys.argv[2:]]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as done:\n"
        "    print(done.code, ','.join(m for m in watched if m in sys.modules), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, ",".join(watched), *args],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    code, _, loaded = result.stderr.strip().splitlines()[-1].partition(" ")
    assert code.isdigit(), result.stderr
    return int(code), [m for m in loaded.split(",") if m]


def test_backup_verify_without_an_asset_never_loads_the_store(
    archive: Path, tmp_path: Path
) -> None:
    """A verification that records nothing starts light: its start-up is part of the figure
    bench_backup compares with openssl, and the store's imports alone cost more than it."""
    manifest = tmp_path / "m.jsonl"
    args = ["backup", "verify", str(archive), "--manifest-out", str(manifest)]
    assert _loaded_by(args, ("sqlalchemy", "imagewarden.store")) == (0, [])
    assert manifest.exists()


def test_backup_verify_loads_neither_pydantic_nor_the_resilience_catalog(
    archive: Path, tmp_path: Path
) -> None:
    """Nor pydantic (the catalog's schemas, and typer's own conversion of option values:
    about 0.1 s each) nor the drills, recovery planning and playbook modules: with options of
    every common kind (a path, a number, a choice, text, flags)."""
    watched = (
        "pydantic",
        "sqlalchemy",
        "imagewarden.model.catalog",
        "imagewarden.resilience.schema",
        "imagewarden.resilience.data",
        "imagewarden.resilience.drills",
        "imagewarden.resilience.planning",
        "imagewarden.resilience.api",
    )
    manifest = tmp_path / "m.jsonl"
    args = ["--log-level", "warning", "backup", "verify", str(archive), "--jobs", "2",
            "--format", "json", "--manifest-out", str(manifest), "--follow-links"]  # fmt: skip
    assert _loaded_by(args, watched) == (0, [])
    assert manifest.exists()
