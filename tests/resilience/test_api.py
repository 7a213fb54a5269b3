"""The resilience application API as the CLI, the web workspace and site workers use it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from imagewarden.app import open_store
from imagewarden.catalog import Catalog, default_catalog_dir
from imagewarden.model import ObservationSource, UserInputError
from imagewarden.resilience import api
from imagewarden.resilience.records import BackupCheckKind, NewTeamMember
from tests.cli_runner import expect
from tests.resilience.conftest import files_of, workspace_on
from tests.resilience.department import department


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "iw.db"
    with open_store(str(path), create=True) as store:
        store.save_inventory(department())
    return path


@pytest.fixture
def own_catalog(tmp_path: Path) -> Path:
    """A copy of the shipped catalog whose resilience texts say where they come from."""
    root = tmp_path / "catalog"
    shutil.copytree(default_catalog_dir(), root)
    section = root / "resilience"
    for path, old, new in (
        (section / "playbooks" / "ransomware-pacs.yaml", "title: Ransomware on the PACS or VNA",
         "title: Local ransomware playbook"),
        (section / "roles.yaml", "title: PACS administrator", "title: Local PACS custodian"),
        (section / "scenarios" / "ransomware.yaml",
         "title: Ransomware reaches the image archive on a weekend night",
         "title: Local weekend scenario"),
        (section / "services.yaml", "title: Vendor neutral archive (",
         "title: Local VNA service ("),
    ):  # fmt: skip
        text = path.read_text(encoding="utf-8")
        assert old in text, (path, old)
        path.write_text(text.replace(old, new), encoding="utf-8")
    return root


def test_catalog_dir_is_honoured_by_every_resilience_command(
    db: Path, own_catalog: Path, tmp_path: Path
) -> None:
    cat = ("--catalog", own_catalog)
    roles = expect(0, *cat, "ir", "team", "roles", db=db).stdout
    assert "pacs-admin: Local PACS custodian" in roles
    plan = tmp_path / "plan.html"
    expect(0, *cat, "ir", "plan", "--site", "north", "--out", plan, db=db)
    html = plan.read_text(encoding="utf-8")
    assert "Local ransomware playbook" in html and "Local PACS custodian" in html
    package = tmp_path / "pkg"
    expect(0, *cat, "tabletop", "generate", "--site", "north", "--out", package, "--no-pdf",
           db=db)  # fmt: skip
    assert "Local weekend scenario" in (package / "tabletop.html").read_text(encoding="utf-8")
    plans = json.loads(expect(0, *cat, "recovery", "plan", "--format", "json", db=db).stdout)
    titles = [step["title"] for p in plans for step in p["order"]]
    assert "Local VNA service (long-term images, prior studies)" in titles
    added = expect(0, *cat, "ir", "team", "add", "--role", "pacs-admin", "--name", "Rota", db=db)
    assert added.stdout.strip().isdigit()


def test_a_broken_reference_in_catalog_dir_is_refused_by_commands(
    db: Path, own_catalog: Path, tmp_path: Path
) -> None:
    roles = own_catalog / "resilience" / "roles.yaml"
    roles.write_text(
        roles.read_text(encoding="utf-8").replace("id: pacs-admin", "id: archive-admin"),
        encoding="utf-8",
    )
    refused = expect(2, "--catalog", own_catalog, "ir", "plan", "--out", tmp_path / "p.html",
                     db=db)  # fmt: skip
    assert "unknown role 'pacs-admin'" in refused.stderr
    assert "imagewarden catalog validate" in refused.stderr
    assert not (tmp_path / "p.html").exists()
    validated = expect(2, "--catalog", own_catalog, "catalog", "validate")
    problems = [line for line in validated.stderr.splitlines() if "unknown role" in line]
    assert len(problems) > 1  # every broken reference is listed, not only the first


def test_verification_is_collected_without_a_database_and_applied_once(
    archive: Path, db: Path, catalog: Catalog, tmp_path: Path
) -> None:
    files_of(archive)[0].write_bytes(b"")
    request = api.VerifyRequest(archive, jobs=1, asset_id="PACS-1")
    result = api.collect_verification(request)  # no workspace: a site worker's half
    assert result.failed
    assert result.facts == {"backup.integrity_problems": 1, "backup.empty_archive": False}
    sent = json.loads(json.dumps(result.to_json()))  # what travels to the centre
    received = api.BackupVerification.from_json(sent)
    assert received == result
    with open_store(str(db)) as store:
        workspace = workspace_on(store, catalog, actor="site-north")
        stored = api.apply_verification(workspace, received)
        assert stored.kind is BackupCheckKind.VERIFY and stored.problem_files == 1
        assert api.backup_checks(workspace) == [stored]
        facts = {
            (o.subject_id, o.name): o.value
            for o in store.observations(source=ObservationSource.PROBED)
        }
        assert facts[("PACS-1", "backup.integrity_problems")] == 1
        entry = store.audit_entries(action="backup.verify")[0]
        assert (entry.actor, entry.target) == ("site-north", "asset:PACS-1")
        with pytest.raises(UserInputError, match="no asset with id 'NOPE'"):
            api.apply_verification(workspace, api.BackupVerification.from_json(
                {**sent, "asset_id": "NOPE"}
            ))  # fmt: skip
    with pytest.raises(UserInputError, match="not a backup verification result"):
        api.BackupVerification.from_json({"files": "many"})


def test_restore_test_result_travels_and_names_failed_files(
    archive: Path, db: Path, catalog: Catalog
) -> None:
    result = api.collect_restore_test(api.RestoreRequest(archive, sample=5, asset_id="PACS-1"))
    again = api.RestoreTestResult.from_json(json.loads(json.dumps(result.to_json())))
    assert again == result
    assert set(result.facts) == {
        "backup.last_tested",
        "backup.restore_hours_estimate",
        "backup.restore_within_rto",
        "backup.restore_failed_files",
        "backup.empty_archive",
    }
    with open_store(str(db)) as store:
        stored = api.apply_restore_test(workspace_on(store, catalog), again)
    assert stored.kind is BackupCheckKind.RESTORE_TEST and stored.files == 5


def test_people_s_writes_are_audited_with_their_actor(db: Path, catalog: Catalog) -> None:
    with open_store(str(db)) as store:
        workspace = workspace_on(store, catalog, actor="dr-who")
        member = api.add_team_member(workspace, NewTeamMember("pacs-admin", "PACS rota", "x1"))
        assert api.team(workspace) == [member]
        with pytest.raises(UserInputError, match="control character"):
            api.add_team_member(workspace, NewTeamMember("pacs-admin", "Rota\x1b[2J"))
        with pytest.raises(UserInputError, match="no site 'mars'"):
            api.add_team_member(workspace, NewTeamMember("pacs-admin", "Rota", site_id="mars"))
        entries = [e for e in store.audit_entries() if e.action != "inventory.import"]
    assert [(e.actor, e.action, e.target) for e in entries] == [
        ("dr-who", "ir.team.add", "role:pacs-admin")
    ]


def test_listings_as_json_and_written_paths_on_stdout(
    db: Path, archive: Path, tmp_path: Path
) -> None:
    expect(0, "ir", "team", "add", "--role", "pacs-admin", "--name", "PACS rota", db=db)
    members = json.loads(expect(0, "ir", "team", "list", "--format", "json", db=db).stdout)
    assert [(m["role"], m["name"], m["site"]) for m in members] == [("pacs-admin", "PACS rota", "")]
    roles = json.loads(expect(0, "ir", "team", "roles", "--format", "json").stdout)
    assert any(r["id"] == "pacs-admin" and r["title"] == "PACS administrator" for r in roles)
    both = json.loads(expect(0, "recovery", "plan", "--json", db=db).stdout)
    assert both == json.loads(expect(0, "recovery", "plan", "--format", "json", db=db).stdout)
    html, pdf = tmp_path / "plan.html", tmp_path / "plan.pdf"
    written = expect(0, "ir", "plan", "--site", "north", "--out", html, "--pdf", pdf, db=db)
    assert written.stdout.split() == [str(html), str(pdf)]
    package = tmp_path / "pkg"
    written = expect(0, "tabletop", "generate", "--site", "north", "--out", package, db=db)
    assert written.stdout.split() == [str(package / "tabletop.html"), str(package / "tabletop.pdf")]
    manifest = tmp_path / "m.jsonl"
    verified = expect(0, "backup", "verify", archive, "--manifest-out", manifest, "--jobs", "1")
    assert verified.stdout.splitlines()[-1] == str(manifest)
