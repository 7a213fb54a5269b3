"""What every report shows, computed once from a ReportContext.

Only open and accepted findings are current risk; mitigated and false-positive findings are
kept apart (``Summary.resolved``) so a report can show progress without counting it as risk.
All functions here are pure: same context in, same summary out.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from imagewarden.model import (
    ENTERPRISE_SITE_ID,
    Asset,
    DefenseLayer,
    Finding,
    FindingStatus,
    RiskFactor,
    Severity,
    Site,
)
from imagewarden.render.labels import CATEGORY_LABEL, SEVERITIES_DESC
from imagewarden.report.end_of_life import EndOfLifeAsset, end_of_life_assets
from imagewarden.report.interface import ReportContext
from imagewarden.report.narrative import ExecutiveSummary, executive_summary
from imagewarden.report.readiness import Loads, Readiness
from imagewarden.report.safeguard_plan import PlanTally, SafeguardPlan
from imagewarden.report.views import (
    CURRENT_STATUSES,
    FindingView,
    FindingViews,
    StreamedViews,
    site_names,
    view_findings,
)

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

    findings: FindingViews
    """Every finding, any status, in risk order (held, or streamed on each pass)."""
    current: FindingViews
    """Open and accepted findings, in risk order: the current risk."""
    resolved: FindingViews
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
    risk_factors: Mapping[str, float]
    """The risk factors the engine used in this assessment, with their weights."""
    executive: ExecutiveSummary


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


def apart_site_ids(context: ReportContext) -> frozenset[str]:
    """Sites of the context that are not inventory sites (they hold only unmanaged hosts)."""
    counted = {s.id for s in counted_sites(context)}
    return frozenset(s.id for s in context.sites if s.id not in counted)


def subject_key(view: FindingView) -> tuple[str, str]:
    """What a top risk is about: an asset, or a whole site."""
    f = view.finding
    return ("asset", f.asset_id) if f.asset_id is not None else ("site", f.site_id)


class _Tally:
    """Everything the summary counts, in one pass over the findings in risk order.

    It keeps counts per site, asset and safeguard, never the findings themselves, so a
    report streamed from the store holds one batch of findings at a time.
    """

    def __init__(self, context: ReportContext, top_n: int) -> None:
        self.apart = apart_site_ids(context)
        self.top_n = top_n
        self.by_status: Counter[FindingStatus] = Counter()
        self.by_severity: Counter[Severity] = Counter()
        self.by_safeguards: Counter[tuple[str, ...]] = Counter()
        """Current findings per recommendation list: counted into layers at the end."""
        self.layers: dict[tuple[str, ...], frozenset[DefenseLayer]] = {}
        """The layers of each recommendation list, shared by the findings that have it."""
        self.by_category: Counter[str] = Counter()
        self.per_site: dict[str, Counter[Severity]] = defaultdict(Counter)
        self.site_names: dict[str, str] = {}
        self.unmanaged: Counter[str] = Counter()
        self.unmanaged_highest: dict[str, Severity] = {}
        self.enterprise = 0
        self.other_site = 0
        self.accepted = 0
        self.subjects: Counter[tuple[str, str]] = Counter()
        self.top: dict[tuple[str, str], FindingView] = {}
        """The riskiest finding of the first ``top_n`` subjects: findings come in risk order."""
        self.factor_weights: dict[str, float] = {}
        self.factor_sets: dict[int, tuple[RiskFactor, ...]] = {}
        """The sets of risk factors counted in ``factor_weights``, by identity: findings
        share a few (held, so an id is not reused while remembered)."""
        self.assets: dict[str, tuple[tuple[str, str], str, bool]] = {}
        """Per asset id: its subject key, category and whether it is unmanaged, which every
        finding of the asset shares."""
        self.loads = Loads()
        self.plan = PlanTally()

    def add(self, view: FindingView) -> None:
        """Count one finding, any status."""
        f = view.finding
        self.by_status[f.status] += 1
        factors = f.risk.factors
        if id(factors) not in self.factor_sets:
            self.factor_sets[id(factors)] = factors
            for factor in factors:
                self.factor_weights.setdefault(factor.name, factor.weight)
        if f.status in CURRENT_STATUSES:
            self._add_current(view, f)

    def _asset(self, view: FindingView, asset_id: str) -> tuple[tuple[str, str], str, bool]:
        known = self.assets.get(asset_id)
        if known is None:
            known = self.assets[asset_id] = (subject_key(view), view.category, on_unmanaged(view))
        return known

    def _add_current(self, view: FindingView, f: Finding) -> None:
        severity, asset_id, site_id = f.severity, f.asset_id, f.site_id
        self.by_severity[severity] += 1
        self.accepted += f.status is FindingStatus.ACCEPTED
        self.loads.add(f)
        self.plan.add(view)
        if f.safeguards not in self.layers:
            self.layers[f.safeguards] = view.layers
        self.by_safeguards[f.safeguards] += 1
        if asset_id is None:
            key, category, unmanaged = subject_key(view), view.category, on_unmanaged(view)
        else:
            key, category, unmanaged = self._asset(view, asset_id)
        self.by_category[category] += 1
        self.subjects[key] += 1
        if key not in self.top and len(self.top) < self.top_n:
            self.top[key] = view
        if unmanaged:
            if asset_id is not None:
                self.unmanaged[asset_id] += 1
                held = self.unmanaged_highest.get(asset_id)
                if held is None or severity.rank > held.rank:
                    self.unmanaged_highest[asset_id] = severity
        elif site_id == ENTERPRISE_SITE_ID:
            self.enterprise += 1
        elif site_id in self.apart:
            self.other_site += 1
        else:
            if site_id not in self.site_names:
                self.site_names[site_id] = view.site_name
            self.per_site[site_id][severity] += 1

    def by_layer(self) -> tuple[dict[DefenseLayer, int], int]:
        """Current findings per defense layer (each in every layer of its safeguards), every
        layer, and those none of whose safeguards is in the loaded catalog."""
        counts: Counter[DefenseLayer] = Counter()
        without = 0
        for safeguards, n in self.by_safeguards.items():
            layers = self.layers[safeguards]
            for layer in layers:
                counts[layer] += n
            without += 0 if layers else n
        return {layer: counts.get(layer, 0) for layer in DefenseLayer}, without

    def by_site(self, context: ReportContext, sites: tuple[Site, ...]) -> tuple[SiteCounts, ...]:
        """Every inventory site (with or without findings), most findings first.

        Findings on unmanaged hosts and enterprise-wide findings are not counted here. A
        finding whose site is no longer in the inventory still counts, under its site id.
        """
        names = {s.id: s.name for s in sites}
        per_site: dict[str, Counter[Severity]] = {s.id: Counter() for s in sites}
        for site_id, counts in self.per_site.items():
            names.setdefault(site_id, self.site_names[site_id])
            per_site.setdefault(site_id, Counter()).update(counts)
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

    def unmanaged_hosts(self, context: ReportContext) -> tuple[UnmanagedHost, ...]:
        """Every unmanaged asset with its current findings, most findings first."""
        names = site_names(context.sites)
        hosts = [
            UnmanagedHost(
                a,
                names.get(a.site_id, a.site_id),
                self.unmanaged.get(a.id, 0),
                self.unmanaged_highest.get(a.id),
            )
            for a in context.assets
            if not a.managed
        ]
        return tuple(sorted(hosts, key=lambda h: (-h.findings, h.site_name, h.asset.name)))

    def top_risks(self) -> tuple[TopRisk, ...]:
        """The ``top_n`` assets (or whole sites) with the highest-risk current findings."""
        return tuple(TopRisk(view, self.subjects[key]) for key, view in self.top.items())

    def categories(self) -> dict[str, int]:
        """Findings per asset category, in the order of ``CATEGORY_LABEL``; empty ones omitted."""
        counts = self.by_category
        ordered = {key: counts[key] for key in CATEGORY_LABEL if counts.get(key)}
        ordered.update({k: n for k, n in counts.items() if k not in ordered})
        return ordered


def _current_and_resolved(views: FindingViews) -> tuple[FindingViews, FindingViews]:
    """(current, resolved), each in risk order; streamed views are narrowed by the store."""
    if isinstance(views, StreamedViews):
        resolved = tuple(s for s in FindingStatus if s not in CURRENT_STATUSES)
        return views.only(statuses=CURRENT_STATUSES), views.only(statuses=resolved)
    return tuple(v for v in views if v.is_current), tuple(v for v in views if not v.is_current)


def build_summary(
    context: ReportContext,
    top_n: int = TOP_RISKS,
    *,
    observe: Callable[[FindingView], None] | None = None,
) -> Summary:
    """The summary of ``context`` (pure); ``observe`` sees every finding of the summary's
    one pass over them, in risk order (a renderer's own tally rides along)."""
    views = view_findings(context)
    tally = _Tally(context, top_n)
    for view in views:
        tally.add(view)
        if observe is not None:
            observe(view)
    current, resolved = _current_and_resolved(views)
    sites = counted_sites(context)
    managed = [a for a in context.assets if a.managed]
    score = tally.loads.score((a.id for a in managed), (s.id for s in sites))
    end_of_life = end_of_life_assets(context)
    plan = tally.plan.plan(frozenset(s.id for s in sites))
    unmanaged = tally.unmanaged_hosts(context)
    unmanaged_findings = sum(h.findings for h in unmanaged)
    by_severity = {s: tally.by_severity.get(s, 0) for s in SEVERITIES_DESC}
    top = tally.top_risks()
    by_layer, without_layer = tally.by_layer()
    return Summary(
        findings=views,
        current=current,
        resolved=resolved,
        asset_count=len(managed),
        site_count=len(sites),
        unmanaged=unmanaged,
        unmanaged_findings=unmanaged_findings,
        enterprise_findings=tally.enterprise,
        other_site_findings=tally.other_site,
        by_severity=by_severity,
        by_status={s: tally.by_status.get(s, 0) for s in FindingStatus},
        by_site=tally.by_site(context, sites),
        by_layer=by_layer,
        without_layer=without_layer,
        by_category=tally.categories(),
        readiness=score,
        top_risks=top,
        end_of_life=end_of_life,
        plan=plan,
        risk_factors=tally.factor_weights,
        executive=executive_summary(
            readiness=score,
            assets=len(managed),
            sites=len(sites),
            by_severity=by_severity,
            accepted=tally.accepted,
            top=top[0].view if top else None,
            end_of_life=end_of_life,
            plan=plan,
            unmanaged=len(unmanaged),
            unmanaged_findings=unmanaged_findings,
        ),
    )
