"""DefectDojo "Generic Findings Import" JSON: ``{"findings": [ {...}, ... ]}``.

Field names follow DefectDojo's generic JSON parser (dojo/tools/generic/json_parser.py): it
requires title, severity and description and rejects any field outside its allowed list, so
only fields from that list are written (``ALLOWED``). Severity is DefectDojo's capitalised
scale; ``unique_id_from_tool`` is the stable finding id, so re-imports deduplicate.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from imagewarden.catalog import Catalog
from imagewarden.model import Finding, FindingStatus, Severity

SEVERITY = {
    Severity.CRITICAL: "Critical",
    Severity.HIGH: "High",
    Severity.MEDIUM: "Medium",
    Severity.LOW: "Low",
    Severity.INFO: "Info",
}
REQUIRED = frozenset({"title", "severity", "description"})
ALLOWED = REQUIRED | frozenset(
    {
        "date",
        "mitigation",
        "impact",
        "references",
        "active",
        "verified",
        "false_p",
        "risk_accepted",
        "is_mitigated",
        "component_name",
        "unique_id_from_tool",
        "vuln_id_from_tool",
        "severity_justification",
        "service",
        "planned_remediation_date",
        "tags",
        "static_finding",
        "dynamic_finding",
    }
)


def _references(finding: Finding, catalog: Catalog) -> str:
    check = catalog.checks.get(finding.check_id)
    refs = [f"{r.framework} {r.id}" for r in (check.refs if check else ())]
    return "\n".join([finding.check_id, *refs])


def defectdojo_findings(
    findings: Iterable[Finding], catalog: Catalog, due: dict[str, str] | None = None
) -> dict[str, Any]:
    """Every finding, any status, so DefectDojo also learns what was mitigated."""
    out = []
    for f in findings:
        check = catalog.checks.get(f.check_id)
        safeguards = [catalog.safeguards[s] for s in f.safeguards if s in catalog.safeguards]
        evidence = "\n".join(f"- {k}: {v}" for k, v in sorted(f.evidence.items()))
        details = "\n".join(f"- {k}: {v}" for k, v in sorted(f.extra.items()))
        description = (
            "\n\n".join(
                part
                for part in (
                    check.why if check else "",
                    f"Evidence:\n{evidence}" if evidence else "",
                    f"Details:\n{details}" if details else "",
                )
                if part
            )
            or f.title
        )
        seen = f.first_seen or f.last_seen
        item: dict[str, Any] = {
            "title": f.title,
            "severity": SEVERITY[f.severity],
            "description": description,
            "date": seen.date().isoformat() if seen else None,
            "mitigation": "\n".join(f"- {s.title}: {s.description}" for s in safeguards)
            or "See the recommended safeguards.",
            "impact": f"Risk score {f.risk.score}/100: "
            + "; ".join(f"{x.name} {x.level} ({x.reason})" for x in f.risk.factors),
            "references": _references(f, catalog),
            "unique_id_from_tool": f.id,
            "vuln_id_from_tool": f.check_id,
            "component_name": f.asset_id or f.site_id,
            "severity_justification": f"risk score {f.risk.score}",
            "active": f.status in (FindingStatus.OPEN, FindingStatus.ACCEPTED),
            "verified": False,
            "false_p": f.status is FindingStatus.FALSE_POSITIVE,
            "risk_accepted": f.status is FindingStatus.ACCEPTED,
            "is_mitigated": f.status is FindingStatus.MITIGATED,
            "static_finding": False,
            "dynamic_finding": True,
        }
        if due and f.id in due:
            item["planned_remediation_date"] = due[f.id]
        if item["date"] is None:
            del item["date"]
        out.append(item)
    return {"findings": out}
