"""Gather a ReportContext from the store and the engine's fact view (read-only)."""

from __future__ import annotations

import datetime as dt

from imagewarden.catalog import Catalog
from imagewarden.engine import load_view
from imagewarden.report.interface import ReportContext
from imagewarden.report.sections import SectionSource, sections_for
from imagewarden.store import Store


def gather_context(
    store: Store,
    catalog: Catalog,
    *,
    title: str,
    enterprise: str = "",
    now: dt.datetime | None = None,
) -> ReportContext:
    now = now or dt.datetime.now(dt.UTC)
    run = store.latest_assessment()
    # Facts as of the assessment, so the report explains the findings it shows.
    as_of = run.started_at.date() if run is not None else now.date()
    view = load_view(store, catalog, as_of)
    sites = tuple(view.sites.values())
    assets = tuple(view.assets.values())
    findings = tuple(store.findings())
    return ReportContext(
        title=title,
        generated_at=now,
        catalog=catalog,
        sites=sites,
        assets=assets,
        findings=findings,
        asset_facts=view.asset_facts,
        assessment=run,
        enterprise=enterprise,
        sections=sections_for(SectionSource(store, catalog, sites, assets, findings)),
    )
