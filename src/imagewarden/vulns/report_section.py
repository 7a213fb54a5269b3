"""The report's "Known vulnerabilities" section: KEV and ransomware flags, per site and
asset, and the CVEs to handle first."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from imagewarden.contracts import ReportSection
from imagewarden.model import Asset, Finding, FindingStatus, Site
from imagewarden.vulns.producer import CVE_CHECK, KEV_CHECK

if TYPE_CHECKING:
    pass

TOP_CVES = 15
TOP_ASSETS = 25
_ORDER = {"act": 0, "attend": 1, "track": 2}
_ACTIVE = (FindingStatus.OPEN, FindingStatus.ACCEPTED)


def _priority(f: Finding) -> str:
    return str(f.extra.get("priority", "track"))


def _row_order(row: dict[str, Any]) -> tuple[int, bool, int]:
    return (_ORDER.get(str(row["priority"]), 3), not row["kev"], -int(row["risk"]))


def _site_rows(active: list[Finding], site_names: dict[str, str]) -> list[dict[str, Any]]:
    by_site: dict[str, list[Finding]] = defaultdict(list)
    for f in active:
        by_site[f.site_id].append(f)
    rows = []
    for site_id, members in sorted(by_site.items()):
        rows.append(
            {
                "site": site_names.get(site_id, site_id),
                "assets": len({f.asset_id for f in members}),
                "cves": len({f.extra.get("cve") for f in members}),
                "kev": sum(f.extra.get("kev") is True for f in members),
                "ransomware": sum(f.extra.get("kev_ransomware") is True for f in members),
                "act": sum(_priority(f) == "act" for f in members),
                "attend": sum(_priority(f) == "attend" for f in members),
                "track": sum(_priority(f) == "track" for f in members),
            }
        )
    return rows


def _asset_rows(
    active: list[Finding], asset_names: dict[str, str], site_names: dict[str, str]
) -> list[dict[str, Any]]:
    by_asset: dict[str, list[Finding]] = defaultdict(list)
    for f in active:
        by_asset[f.asset_id or ""].append(f)
    rows = []
    for asset_id, members in by_asset.items():
        members.sort(key=lambda f: (_ORDER.get(_priority(f), 3), -f.risk.score))
        top = members[0]
        rows.append(
            {
                "asset": asset_names.get(asset_id, asset_id),
                "asset_id": asset_id,
                "site": site_names.get(top.site_id, top.site_id),
                "priority": _priority(top),
                "cves": [str(f.extra.get("cve")) for f in members[:6]],
                "more": max(0, len(members) - 6),
                "kev": any(f.extra.get("kev") is True for f in members),
                "ransomware": any(f.extra.get("kev_ransomware") is True for f in members),
                "risk": top.risk.score,
            }
        )
    rows.sort(key=_row_order)
    return rows[:TOP_ASSETS]


def _cve_rows(active: list[Finding]) -> list[dict[str, Any]]:
    by_cve: dict[str, list[Finding]] = defaultdict(list)
    for f in active:
        by_cve[str(f.extra.get("cve"))].append(f)
    rows = []
    for cve, members in by_cve.items():
        first = min(members, key=lambda f: (_ORDER.get(_priority(f), 3), -f.risk.score))
        epss = first.extra.get("epss")
        rows.append(
            {
                "cve": cve,
                "priority": _priority(first),
                "kev": first.extra.get("kev") is True,
                "ransomware": first.extra.get("kev_ransomware") is True,
                "kev_due": str(first.extra.get("kev_due", "")),
                "epss": f"{float(epss):.1%}" if isinstance(epss, int | float) else "",
                "cvss": first.extra.get("cvss", ""),
                "assets": len({f.asset_id for f in members}),
                "confidence": str(first.extra.get("confidence", "")),
                "reason": str(first.extra.get("priority_reason", "")),
                "risk": first.risk.score,
            }
        )
    rows.sort(key=lambda r: (*_row_order(r), str(r["cve"])))
    return rows[:TOP_CVES]


def vulnerabilities_section(
    all_findings: Sequence[Finding], sites: Sequence[Site], assets: Sequence[Asset]
) -> ReportSection | None:
    findings = [f for f in all_findings if f.check_id in (KEV_CHECK, CVE_CHECK)]
    if not findings:
        return None
    active = [f for f in findings if f.status in _ACTIVE]
    site_names = {s.id: s.name for s in sites}
    asset_names = {a.id: a.name for a in assets}
    data = {
        "totals": {
            "findings": len(active),
            "cves": len({f.extra.get("cve") for f in active}),
            "assets": len({f.asset_id for f in active}),
            "kev": sum(f.extra.get("kev") is True for f in active),
            "ransomware": sum(f.extra.get("kev_ransomware") is True for f in active),
            "act": sum(_priority(f) == "act" for f in active),
            "false_positive": sum(f.status is FindingStatus.FALSE_POSITIVE for f in findings),
            "accepted": sum(f.status is FindingStatus.ACCEPTED for f in findings),
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
