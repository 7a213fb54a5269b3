"""The demo's resilience step: a small sample archive it writes itself, checked and restored,
plus an incident response plan, a drill with an after-action report and a tabletop package.

It drives the capability through its application API only, as a user's commands would.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from imagewarden.model import AssetType, SubjectKind
from imagewarden.resilience import api
from imagewarden.resilience.backup.sample import write_study_files
from imagewarden.resilience.drills import DrillItemKind, DrillLogKind, NewDrillItem
from imagewarden.resilience.records import NewTeamMember, fact_batch

if TYPE_CHECKING:
    from imagewarden.app import Workspace

# Demo roster: on-call rotas rather than people, so no names look like real staff.
_ROSTER = (
    ("incident-commander", "Administrator on call", "ext. 4000"),
    ("pacs-admin", "PACS team on-call rota", "pager 4100"),
    ("radiology-lead", "Radiologist in charge", "ext. 4200"),
    ("it-security", "Security operations centre", "ext. 4300"),
    ("clinical-engineering", "Biomed on-call", "pager 4400"),
    ("communications", "Communications office", "ext. 4500"),
)


def run_demo(workspace: Workspace, out_dir: Path) -> dict[str, Path]:
    """Writes everything under ``out_dir/resilience``; returns the main files."""
    folder = out_dir / "resilience"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    now = dt.datetime.now(dt.UTC)
    view = api.site_view(workspace, None)
    archive_asset = next((a for a in view.archives if a.type is AssetType.PACS), None)
    asset_id = archive_asset.id if archive_asset is not None else ""

    # a small synthetic archive: 3 studies x 2 series x 2 instances, then one file damaged
    archive = folder / "backup-sample"
    list(write_study_files(archive, studies=3, series_per_study=2, instances_per_series=2))
    manifest = folder / "backup-manifest.jsonl"
    api.collect_verification(api.VerifyRequest(archive, jobs=1, manifest_out=manifest))
    victim = sorted(archive.rglob("*.dcm"))[-1]
    victim.write_bytes(victim.read_bytes()[:2000])  # what a failed copy job leaves behind
    second = api.VerifyRequest(
        archive,
        jobs=1,
        manifest_out=folder / "backup-manifest-2.jsonl",
        against=manifest,
        asset_id=asset_id,
    )
    api.verify_backup(workspace, second)
    api.restore_test_backup(
        workspace, api.RestoreRequest(archive, sample=4, rto_hours=72, asset_id=asset_id)
    )
    for hours, modality in zip((48, 12, 6), view.modalities[:3], strict=False):
        workspace.store.apply_observations(
            fact_batch(SubjectKind.ASSET, modality.id, {"modality.local_storage_hours": hours}, now)
        )

    for role, name, contact in _ROSTER:
        api.add_team_member(workspace, NewTeamMember(role, name, contact))
    ir_plan = api.write_ir_plan(
        workspace, api.IrPlanRequest(folder / "ir-plan.html", site_id=view.site.id)
    )
    api.plan_recovery(workspace, now=now)

    drill = api.schedule_drill(
        workspace,
        site_id=view.site.id,
        title="PACS ransomware downtime drill",
        on=now.date(),
        scenario="ransomware-pacs-vna",
    )
    start = now - dt.timedelta(hours=2)
    for minutes, kind, text in (
        (0, DrillLogKind.INJECT, "Ransom note on reading stations"),
        (9, DrillLogKind.ACTION, "Downtime declared"),
        (21, DrillLogKind.ACTION, "CT in standalone mode"),
    ):
        api.log_drill(workspace, drill.id, text, kind, start + dt.timedelta(minutes=minutes))
    after_action = api.report_drill(
        workspace,
        api.DrillReportRequest(
            drill.id,
            folder / "after-action.html",
            went_well=("Contact tree reached every role within 20 minutes",),
            gaps=("Paper requisition forms were out of date",),
            improvements=(
                NewDrillItem(
                    DrillItemKind.IMPROVEMENT,
                    "Refresh downtime kits in every reading room",
                    "Radiology manager",
                    now.date() + dt.timedelta(days=30),
                ),
            ),
        ),
        now=now,
    )
    tabletop = api.generate_tabletop(
        workspace, api.TabletopRequest(folder, "ransomware-weekend", 1, view.site.id)
    )
    return {
        "ir_plan": ir_plan.paths[0],
        "tabletop": tabletop.paths[0],
        "after_action": after_action.paths[0],
        "manifest": manifest,
    }
