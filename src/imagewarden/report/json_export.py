"""The findings JSON export, schema ``imagewarden-findings/1``.

Shape (every key always present; ``null`` where a value is unknown)::

    {
      "schema": "imagewarden-findings/1",
      "generated_at": ISO 8601 datetime, "title": str,
      "catalog_version": str,
      "assessment": null | {"id", "started_at", "finished_at", "catalog_version", "assets",
                            "findings_open", "findings_new", "findings_mitigated"},
      "summary": {
        "assets": int, "sites": int,       # the managed inventory and its sites
        "unmanaged_assets": int, "unmanaged_findings": int, "enterprise_findings": int,
        "other_site_findings": int,     # about sites that hold only unmanaged hosts
        "findings_total": int, "findings_current": int, "findings_resolved": int,
        "by_severity": {severity: int}, "by_status": {status: int},
        "by_site": [{"site_id", "name", "assets", "total", "by_severity"}],
        "by_layer": {layer: int}, "without_layer": int, "by_category": {category: int},
        "readiness": {"score", "grade", "label", "asset_penalty", "site_penalty",
                      "critical_ceiling_applied", "assets", "sites", "formula": [str]},
        "top_risks": [{"subject": {"kind", "id"}, "finding_id", "risk_score", "findings"}],
        "end_of_life_assets": int,
        "executive_summary": [str],
        "top_asks": [{"safeguard_id", "title", "findings", "high_or_critical", "assets",
                      "sites"}]
      },
      "findings": [{
        "id", "check_id", "title", "severity", "status",
        "risk": {"score": int, "factors": [{"name", "level", "weight", "points", "reason"}]},
        "site": {"id", "name"},
        "asset": null | {"id", "name", "type", "category"},
        "subject": {"kind", "id"},
        "evidence": {fact: value},
        "safeguards": [{"id", "title", "type", "layer", "refs": [ref]}],
        "refs": [ref],            # the check's own framework references
        "first_seen", "last_seen", "mitigated_at": ISO datetime | null,
        "status_reason": str, "accepted_until": ISO date | null,
        "details": {key: JSON scalar}   # what the producing capability adds, e.g. a CVE
                                        # finding's match details (docs/vulnerabilities.md)
      }]
    }

where ``ref`` is ``{"framework", "id", "edition"}``. Findings are in risk order (highest
score first) and include every status; ``summary`` counts only open and accepted findings.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from imagewarden.model import FactValue, FrameworkRef, Safeguard
from imagewarden.render.atomic import atomic_text_writer
from imagewarden.report.interface import ReportContext
from imagewarden.report.readiness import FORMULA
from imagewarden.report.summary import Summary, build_summary
from imagewarden.report.views import FindingView

SCHEMA = "imagewarden-findings/1"


def _when(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def json_value(value: FactValue) -> bool | int | float | str | None:
    """Evidence as strict JSON: dates as ISO text, non-finite floats as text."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def ref_record(ref: FrameworkRef) -> dict[str, Any]:
    """A framework reference as JSON."""
    return {"framework": ref.framework, "id": ref.id, "edition": ref.edition}


def _safeguard_record(safeguard: Safeguard) -> dict[str, Any]:
    return {
        "id": safeguard.id,
        "title": safeguard.title,
        "type": safeguard.type.value,
        "layer": safeguard.layer.value,
        "refs": [ref_record(r) for r in safeguard.refs],
    }


def finding_record(view: FindingView) -> dict[str, Any]:
    """One finding as the JSON export writes it."""
    f = view.finding
    asset = view.asset
    safeguards = [_safeguard_record(s) for s in view.safeguards]
    safeguards += [
        {"id": urn, "title": None, "type": None, "layer": None, "refs": []}
        for urn in view.unknown_safeguards
    ]
    return {
        "id": f.id,
        "check_id": f.check_id,
        "title": f.title,
        "severity": f.severity.value,
        "status": f.status.value,
        "risk": {
            "score": f.risk.score,
            "factors": [
                {
                    "name": x.name,
                    "level": x.level,
                    "weight": x.weight,
                    "points": x.points,
                    "reason": x.reason,
                }
                for x in f.risk.factors
            ],
        },
        "site": {"id": f.site_id, "name": view.site_name},
        "asset": None
        if f.asset_id is None
        else {
            "id": f.asset_id,
            "name": view.asset_name,
            "type": asset.type.value if asset else None,
            "category": asset.type.category.value if asset else None,
        },
        "subject": {"kind": f.subject_kind.value, "id": f.subject_id},
        "evidence": {k: json_value(v) for k, v in f.evidence.items()},
        "safeguards": safeguards,
        "refs": [ref_record(r) for r in view.refs],
        "first_seen": _when(f.first_seen),
        "last_seen": _when(f.last_seen),
        "mitigated_at": _when(f.mitigated_at),
        "status_reason": f.status_reason,
        "accepted_until": _when(f.accepted_until),
        "details": {k: json_value(v) for k, v in f.extra.items()},
    }


def _enum_counts(counts: Mapping[Any, int]) -> dict[str, int]:
    return {getattr(k, "value", str(k)): n for k, n in counts.items()}


def summary_record(summary: Summary) -> dict[str, Any]:
    """The summary as the JSON export writes it."""
    r = summary.readiness
    return {
        "assets": summary.asset_count,
        "sites": summary.site_count,
        "unmanaged_assets": len(summary.unmanaged),
        "unmanaged_findings": summary.unmanaged_findings,
        "enterprise_findings": summary.enterprise_findings,
        "other_site_findings": summary.other_site_findings,
        "findings_total": len(summary.findings),
        "findings_current": len(summary.current),
        "findings_resolved": len(summary.resolved),
        "by_severity": _enum_counts(summary.by_severity),
        "by_status": _enum_counts(summary.by_status),
        "by_site": [
            {
                "site_id": s.site_id,
                "name": s.name,
                "assets": s.assets,
                "total": s.total,
                "by_severity": _enum_counts(s.by_severity),
            }
            for s in summary.by_site
        ],
        "by_layer": _enum_counts(summary.by_layer),
        "without_layer": summary.without_layer,
        "by_category": dict(summary.by_category),
        "readiness": {
            "score": r.score,
            "grade": r.grade,
            "label": r.label,
            "asset_penalty": r.asset_penalty,
            "site_penalty": r.site_penalty,
            "critical_ceiling_applied": r.critical_ceiling_applied,
            "assets": r.assets,
            "sites": r.sites,
            "formula": list(FORMULA),
        },
        "top_risks": [
            {
                "subject": {
                    "kind": "asset" if t.finding.asset_id else "site",
                    "id": t.finding.asset_id or t.finding.site_id,
                },
                "finding_id": t.finding.id,
                "risk_score": t.finding.risk.score,
                "findings": t.findings,
            }
            for t in summary.top_risks
        ],
        "end_of_life_assets": len(summary.end_of_life),
        "executive_summary": list(summary.executive.sentences),
        "top_asks": [
            {
                "safeguard_id": a.safeguard.id,
                "title": a.safeguard.title,
                "findings": a.findings,
                "high_or_critical": a.high_or_critical,
                "assets": a.assets,
                "sites": a.sites,
            }
            for a in summary.executive.asks
        ],
    }


def findings_document(context: ReportContext) -> dict[str, Any]:
    """The whole JSON export of ``context`` (see the module docstring); its ``findings``
    are made one at a time as they are written (a large assessment's are streamed)."""
    summary = build_summary(context)
    a = context.assessment
    return {
        "schema": SCHEMA,
        "generated_at": context.generated_at.isoformat(),
        "title": context.title,
        "catalog_version": a.catalog_version if a else context.catalog.version,
        "assessment": None
        if a is None
        else {
            "id": a.id,
            "started_at": a.started_at.isoformat(),
            "finished_at": a.finished_at.isoformat(),
            "catalog_version": a.catalog_version,
            "assets": a.assets,
            "findings_open": a.findings_open,
            "findings_new": a.findings_new,
            "findings_mitigated": a.findings_mitigated,
        },
        "summary": summary_record(summary),
        "sections": {s.key: dict(s.data) for s in context.sections},
        "findings": map(finding_record, summary.findings),
    }


def write_document(document: Mapping[str, Any], handle: TextIO) -> None:
    """Write the document with its header indented and one finding per line.

    ``json.dump`` with ``indent`` runs the pure-Python encoder, which takes several seconds
    for 50,000 findings; dumping each finding in one call uses the C encoder and still gives
    a file that diffs and greps line by line.
    """
    options: dict[str, Any] = {"ensure_ascii": False, "allow_nan": False}
    head = {k: v for k, v in document.items() if k != "findings"}
    handle.write("{\n")
    for key, value in head.items():
        text = json.dumps(value, indent=2, **options).replace("\n", "\n  ")
        handle.write(f"  {json.dumps(key)}: {text},\n")
    handle.write('  "findings": [')
    for index, record in enumerate(document["findings"]):
        handle.write(",\n    " if index else "\n    ")
        handle.write(json.dumps(record, **options))
    handle.write("\n  ]\n}\n")


class JsonRenderer:
    """The findings JSON export."""

    format = "json"

    def render(self, context: ReportContext, out: Path) -> None:
        """Write the JSON export of ``context`` to ``out``, atomically."""
        document = findings_document(context)
        with atomic_text_writer(out) as handle:
            write_document(document, handle)
