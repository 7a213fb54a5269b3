from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from imagewarden.catalog import Catalog
from imagewarden.model import DefenseLayer, FindingStatus, SafeguardType, Severity
from imagewarden.render.labels import SITE_WIDE
from imagewarden.report.interface import ReportContext
from imagewarden.report.readiness import CRITICAL_CEILING, readiness
from imagewarden.report.safeguard_plan import FindingKind, PlanItem
from imagewarden.report.summary import build_summary
from imagewarden.report.views import view_findings

from .conftest import Enterprise

CURRENT = (FindingStatus.OPEN, FindingStatus.ACCEPTED)


def test_severity_counts_match_current_findings(context: ReportContext) -> None:
    summary = build_summary(context)
    expected = Counter(f.severity for f in context.findings if f.status in CURRENT)
    assert {s: n for s, n in summary.by_severity.items() if n} == dict(expected)
    assert list(summary.by_severity) == [
        Severity.CRITICAL,
        Severity.HIGH,
        Severity.MEDIUM,
        Severity.LOW,
        Severity.INFO,
    ]
    assert sum(summary.by_status.values()) == len(context.findings)


def test_mitigated_and_false_positive_are_not_risk(enterprise: Enterprise) -> None:
    summary = build_summary(enterprise.context)
    current_ids = {v.finding.id for v in summary.current}
    resolved_ids = {v.finding.id for v in summary.resolved}
    assert resolved_ids == enterprise.mitigated_ids
    assert not current_ids & enterprise.mitigated_ids
    assert len(current_ids) + len(resolved_ids) == len(enterprise.context.findings)
    assert sum(summary.by_severity.values()) == len(current_ids)
    assert sum(s.total for s in summary.by_site) == len(current_ids)
    assert sum(summary.by_category.values()) == len(current_ids)
    assert not {v.finding.id for v in summary.top_risks} & enterprise.mitigated_ids
    current = [f for f in enterprise.context.findings if f.id not in enterprise.mitigated_ids]
    for item in summary.plan.items:
        assert item.findings == sum(item.safeguard.id in f.safeguards for f in current)


def test_counts_by_site_include_sites_without_findings(context: ReportContext) -> None:
    summary = build_summary(context)
    by_site = {s.site_id: s for s in summary.by_site}
    assert set(by_site) == {"st-main", "st-north", "st-east"}
    assert by_site["st-east"].total == 0
    for site_id, row in by_site.items():
        expected = sum(1 for f in context.findings if f.site_id == site_id and f.status in CURRENT)
        assert row.total == expected
    assert by_site["st-main"].assets == 3
    totals = [s.total for s in summary.by_site]
    assert totals == sorted(totals, reverse=True)


def test_counts_by_layer_follow_safeguard_layers(context: ReportContext) -> None:
    summary = build_summary(context)
    catalog = context.catalog
    expected: Counter[DefenseLayer] = Counter()
    for f in context.findings:
        if f.status in CURRENT:
            expected.update({catalog.safeguards[s].layer for s in f.safeguards})
    assert {k: n for k, n in summary.by_layer.items() if n} == dict(expected)
    assert list(summary.by_layer) == list(DefenseLayer)
    assert summary.without_layer == 0


def test_counts_by_category_separate_site_wide_findings(context: ReportContext) -> None:
    summary = build_summary(context)
    assert summary.by_category[SITE_WIDE] == 1
    assert summary.by_category["modality"] == 6  # CT x2, MR, US, DX, CR
    assert "archive" in summary.by_category  # the accepted PACS finding still counts


def test_top_risks_ordered_by_score_then_severity(context: ReportContext) -> None:
    summary = build_summary(context)
    scores = [v.finding.risk.score for v in summary.top_risks]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] == 92  # the mitigated 99 and the false-positive 88 are not risks
    assert len(build_summary(context, top_n=3).top_risks) == 3


def test_top_risks_tie_broken_by_severity(context: ReportContext) -> None:
    f = context.findings[7]  # low, 22
    # The same score on another asset: one row per asset, so the twin needs an asset of its own.
    twin = dataclasses.replace(
        f, id="iwf-twin", severity=Severity.CRITICAL, asset_id="a-viewer", subject_id="a-viewer"
    )
    ctx = dataclasses.replace(context, findings=(*context.findings, twin))
    top = build_summary(ctx, top_n=50).top_risks
    ids = [v.finding.id for v in top]
    assert ids.index("iwf-twin") < ids.index(f.id)


def test_end_of_life_lists_exactly_past_support_assets(enterprise: Enterprise) -> None:
    rows = build_summary(enterprise.context).end_of_life
    assert {r.asset_id for r in rows} == enterprise.eol_asset_ids
    by_id = {r.asset_id: r for r in rows}
    ct = by_id["a-ct1"]
    assert ct.os == "Windows 7 SP1"
    assert ct.os_end_of_support is not None and ct.os_end_of_support.year == 2020
    assert ct.days_past == 2120
    assert ct.shared_segment is True
    assert ct.site_name == "Main Hospital"
    mr = by_id["a-mr1"]
    assert mr.device_past_end_of_support and not mr.os_past_end_of_support
    assert mr.days_past == 857
    assert mr.shared_segment is False
    us = by_id["a-us1"]  # no day count fact: computed from the date and the report date
    assert us.days_past == (enterprise.context.generated_at.date() - us.os_end_of_support).days  # type: ignore[operator]
    assert rows[0].asset_id == "a-ct1"  # critical and on a shared segment comes first


def test_safeguard_plan_grouped_by_type_then_layer(context: ReportContext) -> None:
    plan = build_summary(context).plan
    types = [g.type for g in plan.groups]
    assert types == [t for t in SafeguardType if t in types]
    grouped = []
    for group in plan.groups:
        layers = [lg.layer for lg in group.layers]
        assert layers == [layer for layer in DefenseLayer if layer in layers]
        for layer_group in group.layers:
            for item in layer_group.items:
                assert item.safeguard.type is group.type
                assert item.safeguard.layer is layer_group.layer
                grouped.append(item.safeguard.id)
            impacts = [i.impact for i in layer_group.items]
            assert impacts == sorted(impacts, reverse=True)
    assert sorted(grouped) == sorted(i.safeguard.id for i in plan.items)
    impacts = [i.impact for i in plan.items]
    assert impacts == sorted(impacts, reverse=True)


def test_safeguard_plan_counts(context: ReportContext) -> None:
    plan = build_summary(context).plan
    current = [f for f in context.findings if f.status in CURRENT]
    for item in plan.items:
        addressed = [f for f in current if item.safeguard.id in f.safeguards]
        assert item.findings == len(addressed)
        assert item.assets == len({f.asset_id for f in addressed if f.asset_id})
        assert item.highest_severity == max((f.severity for f in addressed), key=lambda s: s.rank)


def _extended(catalog: Catalog) -> tuple[Catalog, list[str]]:
    """The real catalog plus copies of a real safeguard in every type and two layers, so the
    grouping is exercised however few safeguards the shipped catalog holds today."""
    base = next(iter(catalog.safeguards.values()))
    extra = {}
    for t in SafeguardType:
        for layer in (DefenseLayer.GOVERNANCE, DefenseLayer.RECOVERY):
            urn = f"{base.id}-{t.value}-{layer.value}"
            extra[urn] = base.model_copy(update={"id": urn, "type": t, "layer": layer})
    return dataclasses.replace(catalog, safeguards={**catalog.safeguards, **extra}), list(extra)


def test_safeguard_plan_groups_many_types_and_layers(context: ReportContext) -> None:
    catalog, extra = _extended(context.catalog)
    findings = tuple(
        dataclasses.replace(f, safeguards=(*f.safeguards, *extra[i % 2 :: 2]))
        for i, f in enumerate(context.findings)
    )
    plan = build_summary(dataclasses.replace(context, catalog=catalog, findings=findings)).plan
    assert [g.type for g in plan.groups] == [
        SafeguardType.TECHNICAL,
        SafeguardType.ADMINISTRATIVE,
        SafeguardType.PHYSICAL,
    ]
    for group in plan.groups:
        layers = [lg.layer for lg in group.layers]
        assert layers.index(DefenseLayer.GOVERNANCE) < layers.index(DefenseLayer.RECOVERY)


def test_unknown_safeguard_is_reported_not_dropped(context: ReportContext) -> None:
    ghost = "urn:imagewarden:safeguard:not-in-this-catalog"
    f = dataclasses.replace(context.findings[0], safeguards=(ghost,))
    summary = build_summary(dataclasses.replace(context, findings=(f,)))
    assert summary.plan.unknown == (ghost,)
    assert summary.without_layer == 1


def test_readiness_perfect_without_findings(context: ReportContext) -> None:
    summary = build_summary(dataclasses.replace(context, findings=()))
    assert summary.readiness.score == 100
    assert summary.readiness.grade == "A"
    assert "No open findings" in summary.executive.sentences[1]


def test_readiness_ignores_resolved_and_caps_critical(context: ReportContext) -> None:
    summary = build_summary(context)
    r = summary.readiness
    assert 0 <= r.score <= CRITICAL_CEILING
    resolved_only = tuple(f for f in context.findings if f.status not in CURRENT)
    clean = build_summary(dataclasses.replace(context, findings=resolved_only)).readiness
    assert clean.score == 100


def test_readiness_formula_values(context: ReportContext) -> None:
    views = view_findings(context)
    current = [v.finding for v in views if v.is_current]
    assets = [a.id for a in context.assets]
    sites = [s.id for s in context.sites]
    r = readiness(current, assets, sites)
    # Asset loads: ct1 10+5 -> 10 (cap), mr1 5, pacs 2 (accepted), us1 5, evil 2, formula 1,
    # ai 0 -> 25 of 8 x 10; site north 5 of 3 x 10.
    assert r.asset_penalty == pytest.approx(round(70 * 25 / 80, 1))
    assert r.site_penalty == pytest.approx(round(30 * 5 / 30, 1))
    # 100 - 21.875 - 5 = 73, but a critical finding is open: held at the ceiling.
    assert r.critical_ceiling_applied is True
    assert r.score == CRITICAL_CEILING
    assert (r.grade, r.label) == ("D", "At risk")
    without_critical = [f for f in current if f.severity is not Severity.CRITICAL]
    # ct1 now carries only its high finding: 5 instead of the capped 10.
    assert readiness(without_critical, assets, sites).score == round(100 - 70 * 20 / 80 - 5)


def test_readiness_monotone_in_severity(context: ReportContext) -> None:
    finding = context.findings[2]
    scores = []
    for severity in (Severity.LOW, Severity.MEDIUM, Severity.HIGH):
        f = dataclasses.replace(finding, severity=severity)
        scores.append(readiness([f], ["a-mr1", "x", "y"], ["st-main"]).score)
    assert scores == sorted(scores, reverse=True)


def test_executive_summary_sentences(context: ReportContext) -> None:
    summary = build_summary(context)
    sentences = summary.executive.sentences
    assert 3 <= len(sentences) <= 5
    assert sentences[0].startswith("Overall cybersecurity readiness is ")
    assert "2 of 8 imaging devices and systems run an operating system" in " ".join(sentences)
    assert any(s.startswith("The highest risk is ") and "CT-1 Emergency" in s for s in sentences)
    asks = summary.executive.asks
    assert 1 <= len(asks) <= 3
    assert all(a in summary.plan.items for a in asks)
    assert len({a.safeguard.id for a in asks}) == len(asks)

    # Chosen for joint coverage: never fewer high/critical findings than the top three alone.
    high = [
        f for f in context.findings if f.status in CURRENT and f.severity.rank >= Severity.HIGH.rank
    ]

    def covered(items: tuple[PlanItem, ...]) -> int:
        ids = {i.safeguard.id for i in items}
        return sum(1 for f in high if ids & set(f.safeguards))

    assert covered(asks) >= covered(summary.plan.items[:3])
    ask_sentences = [s for s in sentences if "would address" in s]
    assert len(ask_sentences) == 1
    assert asks[0].safeguard.title[1:] in ask_sentences[0]


def test_asks_prefer_safeguards_that_cover_different_findings(catalog: Catalog) -> None:
    from imagewarden.report.narrative import choose_asks

    safeguard = next(iter(catalog.safeguards.values()))

    def item(name: str, findings: int, impact: float) -> PlanItem:
        return PlanItem(
            safeguard=safeguard.model_copy(update={"id": f"{safeguard.id}-{name}"}),
            findings=findings,
            assets=findings,
            sites=1,
            highest_severity=Severity.HIGH,
            impact=impact,
            high_or_critical=findings,
        )

    a = item("a", 3, 15)
    a_twin = item("a-twin", 3, 15)
    b = item("b", 2, 10)
    c = item("c", 1, 5)

    def kind(findings: int, *items: PlanItem) -> FindingKind:
        return FindingKind(frozenset(i.safeguard.id for i in items), True, findings)

    # three high findings for which a and its twin are recommended, two for b, one for c
    kinds = [kind(3, a, a_twin), kind(2, b), kind(1, c)]
    asks = choose_asks([a, a_twin, b, c], kinds)
    assert [x.safeguard.id for x in asks] == [a.safeguard.id, b.safeguard.id, c.safeguard.id]
    assert choose_asks([a, a_twin], kinds) == (a,)  # the twin adds nothing
