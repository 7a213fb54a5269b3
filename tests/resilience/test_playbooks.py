"""Incident response: playbook catalog data, rendering for the real inventory, RACI, team."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from imagewarden.app import open_store
from imagewarden.cli.app import app
from imagewarden.model import Site
from imagewarden.resilience.data import ResilienceData
from imagewarden.resilience.inventory_view import SiteView
from imagewarden.resilience.ir import build_plan, render_playbook, shared_procedures
from imagewarden.resilience.records import TeamMember
from imagewarden.resilience.schema import PHASES
from tests.resilience.department import department

runner = CliRunner()
NORTH = Site("north", "North Hospital")
REQUIRED = {
    "ransomware-pacs-vna",
    "compromised-modality",
    "ai-vendor-breach",
    "cloud-teleradiology-outage",
    "dicom-exfiltration",
    "insider-misuse",
}


def _view() -> SiteView:
    return SiteView.build(NORTH, department().assets)


def test_catalog_has_every_imaging_playbook_with_all_phases(data: ResilienceData) -> None:
    assert set(data.playbooks) >= REQUIRED
    for playbook in data.playbooks.values():
        assert tuple(p.phase for p in playbook.phases) == PHASES
    downtime = " ".join(s.text for s in data.procedures["clinical-downtime"].steps).lower()
    for topic in ("standalone", "paper requisitions", "removable media", "reconcile"):
        assert topic in downtime


def test_rendered_playbook_names_the_departments_systems(data: ResilienceData) -> None:
    playbook = data.playbooks["ransomware-pacs-vna"]
    rendered = render_playbook(playbook, _view(), data)
    text = " ".join(s.text for _phase, steps in rendered.phases for s in steps)
    text += " ".join(s.text for p in shared_procedures([playbook], _view(), data) for s in p.steps)
    assert "Main PACS (Sectra)" in text and "Enterprise VNA (Hyland)" in text
    assert "ED CT (GE HealthCare)" in text
    assert "South CT" not in text  # another site's modality
    assert not re.search(r"\{[a-z_]+\}", text)  # every placeholder filled
    assert "ED CT: unknown (measure it)" in text


def test_raci_marks_each_steps_owner(data: ResilienceData) -> None:
    rendered = render_playbook(data.playbooks["compromised-modality"], _view(), data)
    raci = dict(rendered.raci)
    clinical_engineering = raci["Clinical engineering (biomedical)"]
    assert clinical_engineering[PHASES.index("detect")] == "A/R"
    assert raci["Vendor liaison"][PHASES.index("eradicate")] == "A/R"


def test_contact_tree_and_unstaffed_roles(data: ResilienceData) -> None:
    members = [
        TeamMember("incident-commander", "On-call admin", "x1", 1, "", id=1),
        TeamMember("pacs-admin", "PACS rota", "x2", 1, "south", id=2),
    ]
    plan = build_plan(_view(), data, members)
    assert plan.tree[0].role.id == "incident-commander" and plan.tree[0].depth == 0
    assert plan.tree[0].people[0].name == "On-call admin"
    assert "PACS administrator" in plan.unstaffed  # staffed only at another site
    depth = {level.role.id: level.depth for level in plan.tree}
    assert depth["clinical-engineering"] == depth["pacs-admin"] + 1


def test_ir_plan_command_writes_html_and_pdf(tmp_path: Path) -> None:
    db = str(tmp_path / "iw.db")
    with open_store(db, create=True) as store:
        store.save_inventory(department())
    result = runner.invoke(
        app, ["--db", db, "ir", "team", "add", "--role", "pacs-admin", "--name", "PACS rota"]
    )
    assert result.exit_code == 0
    html, pdf = tmp_path / "plan.html", tmp_path / "plan.pdf"
    result = runner.invoke(
        app, ["--db", db, "ir", "plan", "--site", "north", "--out", str(html), "--pdf", str(pdf)]
    )
    assert result.exit_code == 0, result.stderr
    text = html.read_text()
    assert "Main PACS (Sectra)" in text and "PACS rota" in text
    assert pdf.read_bytes().startswith(b"%PDF")
    bad = runner.invoke(app, ["--db", db, "ir", "team", "add", "--role", "boss", "--name", "x"])
    assert bad.exit_code == 2 and "unknown role 'boss'" in bad.stderr
    bad = runner.invoke(app, ["--db", db, "ir", "plan", "--site", "nowhere"])
    assert bad.exit_code == 2 and "no site 'nowhere'" in bad.stderr
