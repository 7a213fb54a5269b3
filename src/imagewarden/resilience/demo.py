"""The demo's resilience step: a small sample archive it writes itself, checked and restored,
plus an incident response plan, a drill with an after-action report and a tabletop package."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from imagewarden.model import AssetType, SubjectKind
from imagewarden.resilience import drills
from imagewarden.resilience.backup.restore import restore_test
from imagewarden.resilience.backup.run import record_restore_test, record_verify, run_verify
from imagewarden.resilience.backup.sample import write_study_files
from imagewarden.resilience.data import shipped
from imagewarden.resilience.ir import build_plan
from imagewarden.resilience.planning import plans_for, record_plans, site_view
from imagewarden.resilience.records import add_team_member, record_facts, team
from imagewarden.resilience.render import render_html, write_outputs
from imagewarden.resilience.tabletop import generate
from imagewarden.store import Store

# Demo roster: on-call rotas rather than people, so no names look like real staff.
_ROSTER = (
    ("incident-commander", "Administrator on call", "ext. 4000"),
    ("pacs-admin", "PACS team on-call rota", "pager 4100"),
    ("radiology-lead", "Radiologist in charge", "ext. 4200"),
    ("it-security", "Security operations centre", "ext. 4300"),
    ("clinical-engineering", "Biomed on-call", "pager 4400"),
    ("communications", "Communications office", "ext. 4500"),
)


def run_demo(store: Store, out_dir: Path) -> dict[str, Path]:
    """Writes everything under ``out_dir/resilience``; returns the main files."""
    folder = out_dir / "resilience"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    now = dt.datetime.now(dt.UTC)
    view = site_view(store, None)
    archive_asset = next((a for a in view.archives if a.type is AssetType.PACS), None)

    # a small synthetic archive: 3 studies x 2 series x 2 instances, then one file damaged
    archive = folder / "backup-sample"
    list(write_study_files(archive, studies=3, series_per_study=2, instances_per_series=2))
    manifest = folder / "backup-manifest.jsonl"
    run_verify(archive, jobs=1, manifest_out=manifest, against=None, resume=False,
               export_csv=None, orthanc_url=None)  # fmt: skip
    victim = sorted(archive.rglob("*.dcm"))[-1]
    victim.write_bytes(victim.read_bytes()[:2000])  # what a failed copy job leaves behind
    result, counts = run_verify(
        archive, jobs=1, manifest_out=folder / "backup-manifest-2.jsonl", against=manifest,
        resume=False, export_csv=None, orthanc_url=None,
    )  # fmt: skip
    test = restore_test(archive, sample=4, rto_hours=72)
    if archive_asset is not None:
        record_verify(store, archive_asset.id, result, counts, manifest, now)
        record_restore_test(store, archive_asset.id, test, now)
    modalities = view.modalities[:3]
    for hours, modality in zip((48, 12, 6), modalities, strict=False):
        record_facts(
            store, SubjectKind.ASSET, modality.id, {"modality.local_storage_hours": hours}, now
        )

    for role, name, contact in _ROSTER:
        add_team_member(store, role=role, name=name, contact=contact, rank=1, site_id="")
    data = shipped()
    view = site_view(store, view.site.id)  # again, with the storage hours just recorded
    plan = build_plan(view, data, team(store))
    ir_html = folder / "ir-plan.html"
    write_outputs(
        render_html("ir_plan.html.j2", plan=plan, values=view.placeholders(), generated=""),
        ir_html,
    )
    record_plans(store, plans_for(store), now)

    drill_id = drills.schedule(
        store, view.site.id, "PACS ransomware downtime drill", now.date(), "ransomware-pacs-vna"
    )
    start = now - dt.timedelta(hours=2)
    drills.log(store, drill_id, "inject", "Ransom note on reading stations", start)
    drills.log(store, drill_id, "action", "Downtime declared", start + dt.timedelta(minutes=9))
    drills.log(store, drill_id, "action", "CT in standalone mode", start + dt.timedelta(minutes=21))
    drills.finish(
        store,
        drill_id,
        [
            drills.NewItem("went_well", "Contact tree reached every role within 20 minutes"),
            drills.NewItem("gap", "Paper requisition forms were out of date"),
            drills.NewItem(
                "improvement", "Refresh downtime kits in every reading room",
                "Radiology manager", now.date() + dt.timedelta(days=30),
            ),
        ],
        now,
    )  # fmt: skip
    aar = folder / "after-action.html"
    write_outputs(
        render_html(
            "after_action.html.j2", drill=drills.get(store, drill_id), site=view.site,
            events=drills.events(store, drill_id), items=drills.items(store, drill_id),
            today=now.date(),
        ),
        aar,
    )  # fmt: skip

    package = generate(data.scenarios["ransomware-weekend"], view, data, seed=1)
    tabletop = folder / "tabletop.html"
    write_outputs(render_html("tabletop.html.j2", pkg=package), tabletop, folder / "tabletop.pdf")
    return {"ir_plan": ir_html, "tabletop": tabletop, "after_action": aar, "manifest": manifest}
