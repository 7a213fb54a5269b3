"""The findings CSV export: one row per finding, stable columns, safe to open in a spreadsheet.

Cells that a spreadsheet would read as a formula (starting with = + - @, or a tab or carriage
return) are prefixed with a single quote, as OWASP advises against CSV injection: asset names
and evidence come from inventories and the network, which an attacker may control.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from imagewarden.model import FactValue
from imagewarden.render.atomic import atomic_text_writer
from imagewarden.render.csv import write_rows
from imagewarden.render.labels import ref_label
from imagewarden.report.interface import ReportContext
from imagewarden.report.views import FindingView, view_findings

COLUMNS: tuple[str, ...] = (
    "id",
    "site_id",
    "site_name",
    "asset_id",
    "asset_name",
    "asset_type",
    "subject_kind",
    "subject_id",
    "check_id",
    "title",
    "severity",
    "status",
    "risk_score",
    "risk_factors",
    "evidence",
    "safeguards",
    "safeguard_titles",
    "framework_refs",
    "first_seen",
    "last_seen",
    "status_reason",
    "accepted_until",
    "details",
)
"""Column order is part of the export's contract: append new columns, never reorder."""


def _evidence_value(value: FactValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _iso(value: object) -> str:
    isoformat = getattr(value, "isoformat", None)
    return str(isoformat()) if callable(isoformat) else ""


def finding_row(view: FindingView) -> list[str]:
    """The CSV cells of one finding, in ``COLUMNS`` order, as the CSV writer neutralises them."""
    f = view.finding
    refs = list(
        dict.fromkeys(
            ref_label(r) for r in (*view.refs, *(x for s in view.safeguards for x in s.refs))
        )
    )
    values = {
        "id": f.id,
        "site_id": f.site_id,
        "site_name": view.site_name,
        "asset_id": f.asset_id or "",
        "asset_name": view.asset_name,
        "asset_type": view.asset.type.value if view.asset else "",
        "subject_kind": f.subject_kind.value,
        "subject_id": f.subject_id,
        "check_id": f.check_id,
        "title": f.title,
        "severity": f.severity.value,
        "status": f.status.value,
        "risk_score": str(f.risk.score),
        "risk_factors": "; ".join(
            f"{x.name}={x.level} ({round(x.points, 1):g})" for x in f.risk.factors
        ),
        "evidence": "; ".join(f"{k}={_evidence_value(v)}" for k, v in f.evidence.items()),
        "safeguards": ";".join(f.safeguards),
        "safeguard_titles": "; ".join(s.title for s in view.safeguards),
        "framework_refs": "; ".join(refs),
        "first_seen": _iso(f.first_seen),
        "last_seen": _iso(f.last_seen),
        "status_reason": f.status_reason,
        "accepted_until": _iso(f.accepted_until),
        # What the producing capability adds (a CVE finding's match details), key=value.
        "details": "; ".join(f"{k}={_evidence_value(v)}" for k, v in f.extra.items()),
    }
    return [values[c] for c in COLUMNS]


def write_csv(views: Iterable[FindingView], handle: TextIO) -> None:
    """Write the header and one row per finding."""
    write_rows(handle, COLUMNS, (finding_row(view) for view in views))


class CsvRenderer:
    """The findings CSV export."""

    format = "csv"

    def render(self, context: ReportContext, out: Path) -> None:
        """Write every finding of ``context`` as CSV to ``out``, atomically."""
        views = view_findings(context)
        with atomic_text_writer(out, newline="") as handle:
            write_csv(views, handle)
