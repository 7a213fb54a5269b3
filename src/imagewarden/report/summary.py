"""What every report shows, computed once from a ReportContext.

Only open and accepted findings are current risk; mitigated and false-positive findings are
kept apart (``Summary.resolved``) so a report can show progress without counting it as risk.
All functions here are pure: same context in, same summary out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from imagewarden.model import DefenseLayer, FindingStatus, Severity
from imagewarden.render.labels import CATEGORY_LABEL, SEVERITIES_DESC
from imagewarden.report.end_of_life import EndOfLifeAsset, end_of_life_assets
from imagewarden.report.interface import ReportContext
from imagewarden.report.narrative import ExecutiveSummary, executive_summary
from imagewarden.report.readiness import Readiness, readiness
from imagewarden.report.safeguard_plan import SafeguardPlan, safeguard_plan
from imagewarden.report.views import FindingView, risk_order, view_findings

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
class Summary:
    """What every report shows, computed once from a context."""

    findings: tuple[FindingView, ...]
    """Every finding, any status, in risk order."""
    current: tuple[FindingView, ...]
    """Open and accepted findings, in risk order: the current risk."""
    resolved: tuple[FindingView, ...]
    """Mitigated and false-positive findings, in risk order."""
    asset_count: int
    site_count: int
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
    top_risks: tuple[FindingView, ...]
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


def counts_by_site(
    context: ReportContext, current: Iterable[FindingView]
) -> tuple[SiteCounts, ...]:
    """Every site of the context (with or without findings), most findings first.

    A finding whose site is not in the context still counts, under its site id.
    """
    names = {s.id: s.name for s in context.sites}
    per_site: dict[str, Counter[Severity]] = {s.id: Counter() for s in context.sites}
    for view in current:
        site_id = view.finding.site_id
        names.setdefault(site_id, view.site_name)
        per_site.setdefault(site_id, Counter())[view.finding.severity] += 1
    assets = Counter(a.site_id for a in context.assets)
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


def top_risks(current: Iterable[FindingView], n: int = TOP_RISKS) -> tuple[FindingView, ...]:
    """The ``n`` current findings with the highest risk score (then severity)."""
    return tuple(sorted(current, key=risk_order)[:n])


def build_summary(context: ReportContext, top_n: int = TOP_RISKS) -> Summary:
    """The summary of ``context`` (pure)."""
    views = view_findings(context)
    current, resolved = split_current(views)
    score = readiness(
        (v.finding for v in current),
        (a.id for a in context.assets),
        (s.id for s in context.sites),
    )
    end_of_life = end_of_life_assets(context)
    plan = safeguard_plan(current)
    by_layer, without_layer = counts_by_layer(current)
    return Summary(
        findings=views,
        current=current,
        resolved=resolved,
        asset_count=len(context.assets),
        site_count=len(context.sites),
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
            assets=len(context.assets),
            sites=len(context.sites),
            current=current,
            end_of_life=end_of_life,
            plan=plan,
        ),
    )
