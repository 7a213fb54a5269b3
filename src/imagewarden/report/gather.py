"""Gather a ReportContext from what the latest assessment stored (read-only)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from imagewarden.catalog import Catalog
from imagewarden.contracts import Capability, FindingSet, HeldFindings, SectionSource
from imagewarden.model import Asset, FactValue, SubjectKind, UserInputError
from imagewarden.report.interface import ReportContext
from imagewarden.report.sections import sections_for, template_packages
from imagewarden.store import Store


def _record_facts(asset: Asset) -> dict[str, FactValue]:
    facts: dict[str, FactValue] = {"asset.type": asset.type.value}
    for name, value in (
        ("asset.os", asset.os),
        ("asset.os_version", asset.os_version),
        ("asset.end_of_support", asset.end_of_support),
        ("asset.segment", asset.segment),
    ):
        if value not in (None, ""):
            facts[name] = value
    return facts


def gather_context(
    store: Store,
    catalog: Catalog,
    capabilities: Sequence[Capability] = (),
    *,
    title: str,
    enterprise: str = "",
    now: dt.datetime | None = None,
    board: bool = False,
    findings: FindingSet | None = None,
) -> ReportContext:
    """Everything a report of the latest assessment shows; refuses when there is none.

    ``findings``: the findings as the report should read them (e.g. streamed from the store
    for a large assessment); by default every finding is read into memory.
    """
    now = now or dt.datetime.now(dt.UTC)
    run = store.latest_assessment()
    if run is None:
        raise UserInputError("no assessment yet", hint="run 'imagewarden assess' first")
    sites = tuple(store.sites())
    assets = tuple(store.assets())
    derived = store.derived_facts(SubjectKind.ASSET)
    asset_facts = {a.id: {**_record_facts(a), **derived.get(a.id, {})} for a in assets}
    if findings is None:
        findings = HeldFindings(store.findings())
    source = SectionSource(store, catalog, sites, assets, findings, run, now)
    return ReportContext(
        title=title,
        generated_at=now,
        catalog=catalog,
        sites=sites,
        assets=assets,
        findings=findings,
        asset_facts=asset_facts,
        assessment=run,
        enterprise=enterprise,
        sections=sections_for(source, capabilities, board=board),
        templates=template_packages(capabilities),
    )
