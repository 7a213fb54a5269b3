"""What every report shows, computed once from a ReportContext.

Only open and accepted findings are current risk; mitigated and false-positive findings are
kept apart (``Summary.resolved``) so a report can show progress without counting it as risk.
All functions here are pure: same context in, same summary out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass

from imagewarden.model import (
    ENTERPRISE_SITE_ID,
    Asset,
    DefenseLayer,
    Finding,
    FindingStatus,
    Severity,
    Site,
)
from imagewarden.render.labels import CATEGORY_LABEL, SEVERITIES_DESC
from imagewarden.report.end_of_life import EndOfLifeAsset, end_of_life_assets
from imagewarden.report.interface import ReportContext
from imagewarden.report.narrative import ExecutiveSummary, executive_summary
from imagewarden.report.readiness import Readiness, readiness
from imagewarden.report.safeguard_plan import SafeguardPlan, safeguard_plan
from imagewarden.report.views import FindingView, risk_order, site_names, view_findings

TOP_RISKS = 10


@dataclass(frozen=True, slots=True)
class SiteCounts:
    """Current findings of one site per severity, and its asset count."""

    site_id: str
    name: str
    assets: int
    by_severity: Mapping[Severity, int]

    @property
    def total(self) -> int:
        """Current findings at this site."""
        return sum(self.by_severity.values())


@dataclass(frozen=True, slots=True)
class TopRisk:
    """One asset (or whole site) among the top risks."""

    view: FindingView
    """Its highest-risk current finding."""
    findings: int
    """Its current findings."""

    @property
    def finding(self) -> Finding:
        """The highest-risk current finding."""
        return self.view.finding


@dataclass(frozen=True, slots=True)
class UnmanagedHost:
    """A host that is not in the managed inventory (found by discovery, capture or a scan)."""

    asset: Asset
    site_name: str
    findings: int
    """Its current findings."""
    highest: Severity | None
    """The highest severity among them; None without findings."""


@dataclass(frozen=True, slots=True)
class Summary:
    """What every report shows, computed once from a context."""

    findings: tuple[FindingView, ...]
    """Every finding, any status, in risk order."""
    current: tuple[FindingView, ...]
    """Open and accepted findings, in risk order: the current risk."""
    resolved: tuple[FindingView, ...]
    """Mitigated and false-positive findings, in risk order."""
    asset_count: int
    """Managed assets: the inventory."""
    site_count: int
    """Inventory sites (see ``counted_sites``)."""
    unmanaged: tuple[UnmanagedHost, ...]
    """Hosts found on the network that are not in the inventory, counted apart."""
    unmanaged_findings: int
    """Current findings on unmanaged hosts (not in ``by_site``)."""
    enterprise_findings: int
    """Current enterprise-wide findings, about no one site (not in ``by_site``)."""
    other_site_findings: int
    """Current site-wide findings about sites that hold only unmanaged hosts (not in
    ``by_site``)."""
    by_severity: Mapping[Severity, int]
    by_status: Mapping[FindingStatus, int]
    by_site: tuple[SiteCounts, ...]
    by_layer: Mapping[DefenseLayer, int]
    """Current findings per defense layer; a finding counts in each layer of its safeguards."""
    without_layer: int
    """Current findings none of whose safeguards is in the loaded catalog."""
    by_category: Mapping[str, int]
    """Current findings per asset category value (``site`` for site-wide findings)."""
    readiness: Readiness
    top_risks: tuple[TopRisk, ...]
    """Distinct assets (or whole sites), highest risk first."""
    end_of_life: tuple[EndOfLifeAsset, ...]
    plan: SafeguardPlan
    executive: ExecutiveSummary


def split_current(
    views: Iterable[FindingView],
) -> tuple[tuple[FindingView, ...], tuple[FindingView, ...]]:
    """(current, resolved), each keeping the input order."""
    current: list[FindingView] = []
    resolved: list[FindingView] = []
    for view in views:
        (current if view.is_current else resolved).append(view)
    return tuple(current), tuple(resolved)


def counts_by_severity(views: Iterable[FindingView]) -> dict[Severity, int]:
    """Every severity, critical first, including those with no findings."""
    counts = Counter(v.finding.severity for v in views)
    return {s: counts.get(s, 0) for s in SEVERITIES_DESC}


def counts_by_status(views: Iterable[FindingView]) -> dict[FindingStatus, int]:
    """Findings per status, every status included."""
    counts = Counter(v.finding.status for v in views)
    return {s: counts.get(s, 0) for s in FindingStatus}


def counted_sites(context: ReportContext) -> tuple[Site, ...]:
    """The sites of the inventory: those with a managed asset, or with no asset at all.

    A site that holds only unmanaged hosts (e.g. one a discovery run created for what it
    found) is not one of the enterprise's sites; its hosts are listed apart.
    """
    with_assets: set[str] = set()
    with_managed: set[str] = set()
    for asset in context.assets:
        with_assets.add(asset.site_id)
        if asset.managed:
            with_managed.add(asset.site_id)
    return tuple(s for s in context.sites if s.id in with_managed or s.id not in with_assets)


def on_unmanaged(view: FindingView) -> bool:
    """Whether a finding is about a host that is not in the managed inventory."""
    return view.asset is not None and not view.asset.managed


def _bucket(view: FindingView, apart_sites: Set[str]) -> str | None:
    """Where a current finding counts: its site id, or None when it is counted apart
    (on an unmanaged host, enterprise-wide, or at a site of unmanaged hosts only)."""
    site_id = view.finding.site_id
    if on_unmanaged(view) or site_id == ENTERPRISE_SITE_ID or site_id in apart_sites:
        return None
    return site_id


def apart_site_ids(context: ReportContext) -> frozenset[str]:
    """Sites of the context that are not inventory sites (they hold only unmanaged hosts)."""
    counted = {s.id for s in counted_sites(context)}
    return frozenset(s.id for s in context.sites if s.id not in counted)


def counts_by_site(
    context: ReportContext, current: Iterable[FindingView]
) -> tuple[SiteCounts, ...]:
    """Every inventory site (with or without findings), most findings first.

    Findings on unmanaged hosts and enterprise-wide findings are not counted here (see
    ``Summary.unmanaged_findings`` and ``Summary.enterprise_findings``). A finding whose site
    is no longer in the inventory still counts, under its site id.
    """
    sites = counted_sites(context)
    apart = apart_site_ids(context)
    names = {s.id: s.name for s in sites}
    per_site: dict[str, Counter[Severity]] = {s.id: Counter() for s in sites}
    for view in current:
        site_id = _bucket(view, apart)
        if site_id is None:
            continue
        names.setdefault(site_id, view.site_name)
        per_site.setdefault(site_id, Counter())[view.finding.severity] += 1
    assets = Counter(a.site_id for a in context.assets if a.managed)
    rows = [
        SiteCounts(
            site_id=site_id,
            name=names[site_id],
            assets=assets.get(site_id, 0),
            by_severity={s: counts.get(s, 0) for s in SEVERITIES_DESC},
        )
        for site_id, counts in per_site.items()
    ]
    return tuple(sorted(rows, key=lambda r: (-r.total, r.name)))


def unmanaged_hosts(
    context: ReportContext, current: Iterable[FindingView]
) -> tuple[UnmanagedHost, ...]:
    """Every unmanaged asset with its current findings, most findings first."""
    names = site_names(context.sites)
    counts: Counter[str] = Counter()
    highest: dict[str, Severity] = {}
    for view in current:
        asset_id = view.finding.asset_id
        if view.asset is None or view.asset.managed or asset_id is None:
            continue
        counts[asset_id] += 1
        severity = view.finding.severity
        if asset_id not in highest or severity.rank > highest[asset_id].rank:
            highest[asset_id] = severity
    hosts = [
        UnmanagedHost(a, names.get(a.site_id, a.site_id), counts.get(a.id, 0), highest.get(a.id))
        for a in context.assets
        if not a.managed
    ]
    return tuple(sorted(hosts, key=lambda h: (-h.findings, h.site_name, h.asset.name)))


def counts_by_layer(current: Iterable[FindingView]) -> tuple[dict[DefenseLayer, int], int]:
    """(findings per layer in defense-in-depth order, findings with no known layer)."""
    counts: Counter[DefenseLayer] = Counter()
    without = 0
    for view in current:
        layers = view.layers
        counts.update(layers)
        without += not layers
    return {layer: counts.get(layer, 0) for layer in DefenseLayer}, without


def counts_by_category(current: Iterable[FindingView]) -> dict[str, int]:
    """Findings per asset category, in the order of ``CATEGORY_LABEL``; empty ones omitted."""
    counts = Counter(v.category for v in current)
    ordered = {key: counts[key] for key in CATEGORY_LABEL if counts.get(key)}
    ordered.update({k: n for k, n in counts.items() if k not in ordered})
    return ordered


def subject_key(view: FindingView) -> tuple[str, str]:
    """What a top risk is about: an asset, or a whole site."""
    f = view.finding
    return ("asset", f.asset_id) if f.asset_id is not None else ("site", f.site_id)


def top_risks(current: Iterable[FindingView], n: int = TOP_RISKS) -> tuple[TopRisk, ...]:
    """The ``n`` assets (or whole sites) with the highest-risk current findings, each with
    its riskiest finding and its number of current findings: one row per asset."""
    best: dict[tuple[str, str], FindingView] = {}
    counts: Counter[tuple[str, str]] = Counter()
    for view in current:
        key = subject_key(view)
        counts[key] += 1
        held = best.get(key)
        if held is None or risk_order(view) < risk_order(held):
            best[key] = view
    ranked = sorted(best.items(), key=lambda item: risk_order(item[1]))[:n]
    return tuple(TopRisk(view, counts[key]) for key, view in ranked)


def build_summary(context: ReportContext, top_n: int = TOP_RISKS) -> Summary:
    """The summary of ``context`` (pure)."""
    views = view_findings(context)
    current, resolved = split_current(views)
    sites = counted_sites(context)
    managed = [a for a in context.assets if a.managed]
    score = readiness(
        (v.finding for v in current),
        (a.id for a in managed),
        (s.id for s in sites),
    )
    end_of_life = end_of_life_assets(context)
    plan = safeguard_plan(current, frozenset(s.id for s in sites))
    by_layer, without_layer = counts_by_layer(current)
    unmanaged = unmanaged_hosts(context, current)
    unmanaged_findings = sum(h.findings for h in unmanaged)
    apart = apart_site_ids(context)
    enterprise_findings = sum(
        1 for v in current if v.finding.site_id == ENTERPRISE_SITE_ID and not on_unmanaged(v)
    )
    other_site_findings = sum(
        1 for v in current if v.finding.site_id in apart and not on_unmanaged(v)
    )
    return Summary(
        findings=views,
        current=current,
        resolved=resolved,
        asset_count=len(managed),
        site_count=len(sites),
        unmanaged=unmanaged,
        unmanaged_findings=unmanaged_findings,
        enterprise_findings=enterprise_findings,
        other_site_findings=other_site_findings,
        by_severity=counts_by_severity(current),
        by_status=counts_by_status(views),
        by_site=counts_by_site(context, current),
        by_layer=by_layer,
        without_layer=without_layer,
        by_category=counts_by_category(current),
        readiness=score,
        top_risks=top_risks(current, top_n),
        end_of_life=end_of_life,
        plan=plan,
        executive=executive_summary(
            readiness=score,
            assets=len(managed),
            sites=len(sites),
            current=current,
            end_of_life=end_of_life,
            plan=plan,
            unmanaged=len(unmanaged),
            unmanaged_findings=unmanaged_findings,
        ),
    )
