"""The dashboard: readiness score and grade, its trend, top risks, findings by site.

Computed by the database (counts and capped loads), not by loading 100,000 findings, and
cached until the next audited change or assessment: every decision, import and assessment
writes an audit entry, so the latest audit id and assessment id say when it may be stale.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

from imagewarden.app.workspace import Workspace
from imagewarden.model import AssessmentRun, Finding, FindingStatus, Severity, Site
from imagewarden.report.readiness import LOAD_CAP, SEVERITY_WEIGHT, Readiness, score_loads
from imagewarden.store import finding_views as views
from imagewarden.store.finding_views import FindingSearch

TOP_RISKS = 10


@dataclass(frozen=True, slots=True)
class SiteRow:
    """One site's current findings by severity."""

    site_id: str
    name: str
    by_severity: Mapping[Severity, int]

    @property
    def total(self) -> int:
        """Current findings of the site."""
        return sum(self.by_severity.values())


@dataclass(frozen=True, slots=True)
class Dashboard:
    """What the workspace's first page shows."""

    readiness: Readiness
    trend: tuple[AssessmentRun, ...]
    """The latest assessments, oldest first (open findings after each)."""
    top_risks: tuple[Finding, ...]
    by_site: tuple[SiteRow, ...]
    by_severity: Mapping[Severity, int]
    """Current (open and accepted) findings per severity, critical first."""
    by_status: Mapping[FindingStatus, int]
    latest: AssessmentRun | None


_SEVERITIES = tuple(sorted(Severity, key=lambda s: -s.rank))
_cache: dict[tuple[object, ...], Dashboard] = {}
_cache_lock = threading.Lock()
_build_lock = threading.Lock()
_latest: dict[tuple[object, ...], Dashboard] = {}
"""The newest dashboard of each store and reader scope, shown while the next one is built."""


def dashboard(workspace: Workspace, *, sites: frozenset[str] | None = None) -> Dashboard:
    """The dashboard of everything ``sites`` (a reader's scope; None: all) covers."""
    store = workspace.store
    key = (id(store), store.url, sites, *views.change_mark(store))
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    # One build at a time: while the dashboard is being rebuilt after a change, others see
    # the one it replaces (at most one rebuild old) instead of each running the same
    # aggregate queries at once; with nothing to show yet, they wait for the build.
    base = key[:3]
    if not _build_lock.acquire(blocking=False):
        with _cache_lock:
            previous = _latest.get(base)
        if previous is not None:
            return previous
        _build_lock.acquire()
    try:
        with _cache_lock:
            cached = _cache.get(key)
        if cached is not None:
            return cached
        made = _build(workspace, sites)
        with _cache_lock:
            if len(_cache) > 64:
                _cache.clear()
                _latest.clear()
            _cache[key] = made
            _latest[base] = made
    finally:
        _build_lock.release()
    return made


def _build(workspace: Workspace, sites: frozenset[str] | None) -> Dashboard:
    store = workspace.store
    loads = views.readiness_loads(store, SEVERITY_WEIGHT, LOAD_CAP, sites)
    score = score_loads(
        loads.asset_load, loads.site_load, loads.assets, loads.sites, loads.any_critical
    )
    counts = views.finding_counts(store, sites)
    names = {s.id: s.name for s in store.sites()}
    per_site: dict[str, dict[Severity, int]] = {}
    by_severity = dict.fromkeys(_SEVERITIES, 0)
    by_status = dict.fromkeys(FindingStatus, 0)
    for site_id, severity, status, n in counts.rows:
        by_status[status] += n
        if status in (FindingStatus.OPEN, FindingStatus.ACCEPTED):
            by_severity[severity] += n
            row = per_site.setdefault(site_id, dict.fromkeys(_SEVERITIES, 0))
            row[severity] += n
    by_site = tuple(
        SiteRow(site_id, names.get(site_id, site_id), per_site[site_id])
        for site_id in sorted(per_site, key=lambda s: (-sum(per_site[s].values()), s))
    )
    top = views.finding_page(
        store, FindingSearch(sites=sites, current_only=True, limit=TOP_RISKS)
    ).items
    trend = tuple(views.assessment_history(store))
    return Dashboard(
        readiness=score,
        trend=trend,
        top_risks=top,
        by_site=by_site,
        by_severity=by_severity,
        by_status=by_status,
        latest=trend[-1] if trend else None,
    )


def sites(workspace: Workspace, *, visible: frozenset[str] | None = None) -> list[Site]:
    """The sites a reader may see (all when ``visible`` is None)."""
    return [s for s in workspace.store.sites() if visible is None or s.id in visible]
