"""The report's "Known vulnerabilities" section: KEV and ransomware flags, per site and
asset, and the CVEs to handle first."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from imagewarden.contracts import ReportSection
from imagewarden.model import Asset, Finding, FindingStatus, Site
from imagewarden.vulns.details import VulnFinding, is_vuln_finding
from imagewarden.vulns.interface import Priority

TOP_CVES = 15
TOP_ASSETS = 25
_ACTIVE = (FindingStatus.OPEN, FindingStatus.ACCEPTED)


def _row_order(row: dict[str, Any]) -> tuple[int, bool, int]:
    return (int(row["urgency"]), not row["kev"], -int(row["risk"]))


def _count(rows: Sequence[VulnFinding], priority: Priority) -> int:
    return sum(r.details.priority is priority for r in rows)


def _site_rows(active: list[VulnFinding], site_names: dict[str, str]) -> list[dict[str, Any]]:
    by_site: dict[str, list[VulnFinding]] = defaultdict(list)
    for row in active:
        by_site[row.finding.site_id].append(row)
    rows = []
    for site_id, members in sorted(by_site.items()):
        rows.append(
            {
                "site": site_names.get(site_id, site_id),
                "assets": len({r.finding.asset_id for r in members}),
                "cves": len({r.details.cve for r in members}),
                "kev": sum(r.details.kev for r in members),
                "ransomware": sum(r.details.ransomware for r in members),
                "act": _count(members, Priority.ACT),
                "attend": _count(members, Priority.ATTEND),
                "track": _count(members, Priority.TRACK),
            }
        )
    return rows


def _urgency(row: VulnFinding) -> tuple[int, int]:
    return (row.details.urgency, -row.finding.risk.score)


def _asset_rows(
    active: list[VulnFinding], asset_names: dict[str, str], site_names: dict[str, str]
) -> list[dict[str, Any]]:
    by_asset: dict[str, list[VulnFinding]] = defaultdict(list)
    for row in active:
        by_asset[row.finding.asset_id or ""].append(row)
    rows = []
    for asset_id, members in by_asset.items():
        members.sort(key=_urgency)
        top = members[0]
        rows.append(
            {
                "asset": asset_names.get(asset_id, asset_id),
                "asset_id": asset_id,
                "site": site_names.get(top.finding.site_id, top.finding.site_id),
                "priority": top.details.priority.value,
                "urgency": top.details.urgency,
                "cves": [r.details.cve for r in members[:6]],
                "more": max(0, len(members) - 6),
                "kev": any(r.details.kev for r in members),
                "ransomware": any(r.details.ransomware for r in members),
                "risk": top.finding.risk.score,
            }
        )
    rows.sort(key=_row_order)
    return rows[:TOP_ASSETS]


def _cve_rows(active: list[VulnFinding]) -> list[dict[str, Any]]:
    by_cve: dict[str, list[VulnFinding]] = defaultdict(list)
    for row in active:
        by_cve[row.details.cve].append(row)
    rows = []
    for cve, members in by_cve.items():
        first = min(members, key=_urgency)
        details = first.details
        rows.append(
            {
                "cve": cve,
                "priority": details.priority.value,
                "urgency": details.urgency,
                "kev": details.kev,
                "ransomware": details.ransomware,
                "kev_due": details.kev_due,
                "epss": details.epss_text,
                "cvss": details.cvss if details.cvss is not None else "",
                "assets": len({r.finding.asset_id for r in members}),
                "confidence": details.confidence.value,
                "reason": details.priority_reason,
                "matched": details.matched,
                "compared": details.compared,
                "match_reason": details.match_reason,
                "fixed_version": details.fixed_version,
                "risk": first.finding.risk.score,
            }
        )
    rows.sort(key=lambda r: (*_row_order(r), str(r["cve"])))
    return rows[:TOP_CVES]


def vulnerabilities_section(
    all_findings: Iterable[Finding], sites: Sequence[Site], assets: Sequence[Asset]
) -> ReportSection | None:
    """The section, or None when no CVE finding was ever raised (``all_findings`` may hold
    others: they are left out)."""
    findings = [VulnFinding.of(f) for f in all_findings if is_vuln_finding(f)]
    if not findings:
        return None
    active = [r for r in findings if r.finding.status in _ACTIVE]
    site_names = {s.id: s.name for s in sites}
    asset_names = {a.id: a.name for a in assets}
    data = {
        "totals": {
            "findings": len(active),
            "cves": len({r.details.cve for r in active}),
            "assets": len({r.finding.asset_id for r in active}),
            "kev": sum(r.details.kev for r in active),
            "ransomware": sum(r.details.ransomware for r in active),
            "act": _count(active, Priority.ACT),
            "false_positive": sum(
                r.finding.status is FindingStatus.FALSE_POSITIVE for r in findings
            ),
            "accepted": sum(r.finding.status is FindingStatus.ACCEPTED for r in findings),
        },
        "sites": _site_rows(active, site_names),
        "assets": _asset_rows(active, asset_names, site_names),
        "cves": _cve_rows(active),
    }
    return ReportSection(
        key="vulnerabilities",
        title="Known vulnerabilities",
        template="vulns/section.html.j2",
        data=data,
    )
