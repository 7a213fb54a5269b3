"""The HTML report: one self-contained file (inline CSS and SVG), for leadership and auditors.

The page is a Jinja2 template with autoescaping on; every number and sentence it shows comes
from ``summary.build_summary`` so the HTML and the JSON export cannot disagree.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from imagewarden.model import Asset, FrameworkRef, Severity
from imagewarden.render import charts
from imagewarden.render.atomic import atomic_text_writer
from imagewarden.render.charts import Datum, StackedRow
from imagewarden.render.documents import shared_templates
from imagewarden.render.labels import (
    CATEGORY_LABEL,
    GRADE_COLOUR,
    LAYER_LABEL,
    SAFEGUARD_TYPE_LABEL,
    SEVERITIES_DESC,
    SEVERITY_COLOUR,
    SEVERITY_LABEL,
    STATUS_LABEL,
    asset_type_label,
    format_fact,
    format_when,
    plural,
    product_label,
    ref_label,
)
from imagewarden.render.pdf import html_to_pdf
from imagewarden.report.interface import ReportContext
from imagewarden.report.readiness import FORMULA
from imagewarden.report.summary import Summary, build_summary
from imagewarden.report.views import FindingView, current_views_of, risk_order

LAYER_COLOUR = "#2f5d8a"
CATEGORY_COLOUR = "#4a5b8c"


@cache
def _environment(templates: tuple[tuple[str, str], ...] = ()) -> jinja2.Environment:
    """The report's templates, and each capability's as ``<capability>/<file>``."""
    prefixed = {name: jinja2.PackageLoader(package, "templates") for name, package in templates}
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [
                jinja2.PackageLoader("imagewarden.report", "templates"),
                shared_templates(),
                jinja2.PrefixLoader(prefixed),
            ]
        ),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fact"] = format_fact
    env.filters["when"] = when_markup
    env.filters["asset_type"] = asset_type_label
    env.filters["product"] = product_label
    env.filters["asset_anchor"] = asset_anchor
    env.filters["site_anchor"] = site_anchor
    env.filters["affected"] = affected_markup
    return env


def when_markup(value: dt.datetime | dt.date | None) -> Markup:
    """A date or time as the report shows it: never broken across lines."""
    return Markup('<span class="date">') + format_when(value) + Markup("</span>")


def enterprise_name(context: ReportContext) -> str:
    """The enterprise shown in the header: its name, else its sites when few, else a count."""
    if context.enterprise.strip():
        return context.enterprise.strip()
    names = sorted(s.name for s in context.sites)
    if not names:
        return "—"
    return ", ".join(names) if len(names) <= 3 else f"{len(names)} sites"


def build_charts(summary: Summary) -> dict[str, Markup]:
    """The report's SVG charts, by name."""
    counts = summary.by_severity
    severity = [Datum(SEVERITY_LABEL[s], counts[s], SEVERITY_COLOUR[s]) for s in SEVERITIES_DESC]
    legend = [Datum(SEVERITY_LABEL[s], 0, SEVERITY_COLOUR[s]) for s in SEVERITIES_DESC]
    sites = [
        StackedRow(
            row.name,
            tuple(
                Datum(SEVERITY_LABEL[s], row.by_severity[s], SEVERITY_COLOUR[s])
                for s in SEVERITIES_DESC
            ),
        )
        for row in summary.by_site
    ]
    layers = [Datum(LAYER_LABEL[k], n, LAYER_COLOUR) for k, n in summary.by_layer.items()]
    if summary.without_layer:
        layers.append(Datum("No catalog safeguard", summary.without_layer, "#5a6270"))
    categories = [
        Datum(CATEGORY_LABEL.get(k, k), n, CATEGORY_COLOUR) for k, n in summary.by_category.items()
    ]
    r = summary.readiness
    built = {
        "gauge": charts.score_gauge(
            r.score, r.grade, r.label, colour=GRADE_COLOUR[r.grade], chart_id="gauge"
        ),
        "severity": charts.donut_chart(
            "Current findings by severity",
            severity,
            chart_id="by-severity",
            centre_label="findings",
        ),
        "site": charts.stacked_bar_chart(
            "Current findings by site and severity",
            sites,
            legend,
            chart_id="by-site",
            category_label="Site",
            value_label="Current findings",
        ),
        "layer": charts.bar_chart(
            "Current findings by defense layer",
            layers,
            chart_id="by-layer",
            category_label="Defense layer",
            value_label="Current findings (one per layer of its safeguards)",
        ),
        "category": charts.bar_chart(
            "Current findings by asset category",
            categories,
            chart_id="by-category",
            category_label="Asset category",
            value_label="Current findings",
        ),
    }
    # The chart builders escape every text they place; the SVG itself is trusted markup.
    return {name: Markup(svg) for name, svg in built.items()}


DETAIL_LIMIT = 2000
"""Above this many findings the HTML lists findings grouped by check, not one row each: a
50 MB page helps nobody, and every finding with its evidence is in the JSON and CSV exports."""
PRINT_DETAIL_LIMIT = 120
"""Above this many findings the printed report (the PDF, or the page printed from a browser)
lists findings grouped by weakness: a summary a chair can read, not hundreds of pages."""
GROUP_ASSET_NAMES = 25
PRINT_GROUP_ASSET_NAMES = 8


@dataclass(frozen=True, slots=True)
class AssetGroup:
    """The findings of one asset (or of a whole site), highest risk first."""

    asset_id: str | None
    name: str
    site_name: str
    asset: Asset | None
    views: tuple[FindingView, ...]
    anchor: str | None
    """The HTML id other parts of the report link to; set on the asset's first group."""


@dataclass(frozen=True, slots=True)
class AffectedAsset:
    """An asset named in a weakness group."""

    asset_id: str | None
    name: str


@dataclass(frozen=True, slots=True)
class CheckGroup:
    """The current findings of one check at one site, for large assessments."""

    check_id: str
    title: str
    severity: Severity
    count: int
    highest_risk: int
    assets: tuple[AffectedAsset, ...]
    """The highest-risk affected assets, at most GROUP_ASSET_NAMES of them."""


@dataclass(frozen=True, slots=True)
class SiteFindings:
    """One site's block of the findings section."""

    site_id: str
    name: str
    by_severity: Mapping[Severity, int]
    """Current findings per severity, critical first."""
    resolved_count: int
    current: tuple[AssetGroup, ...] = ()
    """Current findings by asset (small assessments)."""
    resolved: tuple[AssetGroup, ...] = ()
    checks: tuple[CheckGroup, ...] = ()
    """Current findings by check (large assessments)."""

    @property
    def current_count(self) -> int:
        """Current findings at this site."""
        return sum(self.by_severity.values())


_ANCHOR_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def _anchor(kind: str, key: str) -> str:
    safe = _ANCHOR_UNSAFE.sub("-", key)
    if safe != key:
        safe += "-" + hashlib.sha1(key.encode()).hexdigest()[:8]
    return f"{kind}-{safe}"


def asset_anchor(asset_id: str) -> str:
    """A stable HTML id for an asset's findings (unique even when ids differ only in
    characters an HTML id should not hold)."""
    return _anchor("asset", asset_id)


def site_anchor(site_id: str) -> str:
    """A stable HTML id for a site's block of findings."""
    return _anchor("site", site_id)


def affected_markup(assets: Iterable[AffectedAsset], anchored: Collection[str]) -> Markup:
    """A weakness group's affected assets, comma-separated: each name linked to the asset's
    findings when they are listed (``anchored``), followed by its id.

    Built here rather than in a template loop: a large report has a thousand groups of up
    to ``GROUP_ASSET_NAMES`` names, and the template's per-item work was a tenth of its time.
    """
    parts = []
    for a in assets:
        name = escape(a.name)
        item = (
            f'<a href="#{escape(asset_anchor(a.asset_id))}">{name}</a>'
            if a.asset_id is not None and a.asset_id in anchored
            else str(name)
        )
        if a.asset_id:
            item += f" <code>{escape(a.asset_id)}</code>"
        parts.append(item)
    return Markup(", ".join(parts))


def group_by_asset(
    views: Iterable[FindingView], anchored: set[str] | None = None
) -> tuple[AssetGroup, ...]:
    """Views grouped by asset (site-wide findings by site), the riskiest group first.

    ``anchored`` collects the asset ids given an anchor, so each asset gets exactly one.
    """
    groups: dict[tuple[str, str], list[FindingView]] = defaultdict(list)
    for view in views:
        f = view.finding
        groups[(f.site_id, f.asset_id or "")].append(view)
    result = []
    for (_, asset_id), members in groups.items():
        members.sort(key=risk_order)
        first = members[0]
        anchor = None
        if asset_id and anchored is not None and asset_id not in anchored:
            anchored.add(asset_id)
            anchor = asset_anchor(asset_id)
        result.append(
            AssetGroup(
                asset_id or None,
                first.asset_name if asset_id else "Whole site",
                first.site_name,
                first.asset,
                tuple(members),
                anchor,
            )
        )
    result.sort(key=lambda g: risk_order(g.views[0]))
    return tuple(result)


@dataclass(slots=True)
class CheckTally:
    """The current findings of one check at one site so far, added in risk order."""

    first: FindingView
    """The riskiest: its title, severity and risk score stand for the group."""
    names: int
    count: int = 0
    affected: dict[tuple[str | None, str], None] = field(default_factory=dict)
    """The first ``names`` distinct affected assets, riskiest first."""

    def add(self, view: FindingView) -> None:
        """Count one more finding of this check (no riskier than those before)."""
        self.count += 1
        if len(self.affected) < self.names:
            self.affected[(view.finding.asset_id, view.asset_name or "whole site")] = None


def group_by_check(checks: Iterable[CheckTally]) -> tuple[CheckGroup, ...]:
    """Each check's group, the most severe and riskiest group first."""
    result = [
        CheckGroup(
            c.first.finding.check_id,
            c.first.finding.title,
            c.first.finding.severity,
            c.count,
            c.first.finding.risk.score,
            tuple(AffectedAsset(a, n) for a, n in c.affected),
        )
        for c in checks
    ]
    result.sort(key=lambda g: (-g.severity.rank, -g.highest_risk, g.title))
    return tuple(result)


@dataclass(slots=True)
class _SiteTally:
    """One site's findings so far: counted, grouped by check, or held (detail)."""

    name: str
    by_severity: Counter[Severity] = field(default_factory=Counter)
    resolved_count: int = 0
    current: list[FindingView] = field(default_factory=list)
    resolved: list[FindingView] = field(default_factory=list)
    checks: dict[str, CheckTally] = field(default_factory=dict)


class SiteTallies:
    """The findings section's blocks, fed every finding in risk order by the summary's pass.

    Findings one by one when ``detail``, grouped by check when ``grouped`` (both when the
    page shows one and prints the other). Grouped only (a large assessment), it keeps counts
    and a few names per check, never the findings.
    """

    def __init__(self, detail: bool, grouped: bool, asset_names: int) -> None:
        self.detail = detail
        self.grouped = grouped
        self.asset_names = asset_names
        self.sites: dict[str, _SiteTally] = {}

    def add(self, view: FindingView) -> None:
        """Count (or hold) one finding, any status."""
        f = view.finding
        site = self.sites.get(f.site_id)
        if site is None:
            site = self.sites[f.site_id] = _SiteTally(view.site_name)
        if not view.is_current:
            site.resolved_count += 1
            if self.detail:
                site.resolved.append(view)
            return
        site.by_severity[f.severity] += 1
        if self.detail:
            site.current.append(view)
        if self.grouped:
            check = site.checks.get(f.check_id)
            if check is None:
                check = site.checks[f.check_id] = CheckTally(view, self.asset_names)
            check.add(view)

    def blocks(self, summary: Summary, anchored: set[str]) -> Iterable[SiteFindings]:
        """One block per site with findings, in the order of the site counts.

        Grouped only, each block is built when the template reaches it: the findings section
        streams. In detail, every block is built first, since each gives anchors the earlier
        sections link to.
        """
        blocks = self._each_block(summary, anchored)
        return tuple(blocks) if self.detail else blocks

    def _each_block(self, summary: Summary, anchored: set[str]) -> Iterator[SiteFindings]:
        sites = self.sites
        order = [row.site_id for row in summary.by_site]
        order += sorted((s for s in sites if s not in order), key=lambda s: sites[s].name)
        for site_id in order:
            site = sites.pop(site_id, None)
            if site is None:
                continue
            yield SiteFindings(
                site_id,
                site.name,
                {s: site.by_severity.get(s, 0) for s in SEVERITIES_DESC},
                site.resolved_count,
                current=group_by_asset(site.current, anchored) if self.detail else (),
                resolved=group_by_asset(site.resolved, anchored) if self.detail else (),
                checks=group_by_check(site.checks.values()) if self.grouped else (),
            )


def apart_note(summary: Summary) -> str:
    """What the by-site chart leaves out, so its bars and the totals agree."""
    parts = []
    if summary.enterprise_findings:
        n = summary.enterprise_findings
        parts.append(f"{n} enterprise-wide {plural(n, 'finding')}")
    if summary.unmanaged_findings:
        n, hosts = summary.unmanaged_findings, len(summary.unmanaged)
        parts.append(
            f"{n} {plural(n, 'finding')} on {hosts} unmanaged {plural(hosts, 'host')} "
            "(listed below)"
        )
    if summary.other_site_findings:
        n = summary.other_site_findings
        parts.append(f"{n} {plural(n, 'finding')} about sites that hold only unmanaged hosts")
    return f"Not in the by-site chart: {'; '.join(parts)}." if parts else ""


def _ref_titles(context: ReportContext) -> dict[tuple[str, str], str]:
    return {
        (framework.id, req.id): req.title
        for framework in context.catalog.frameworks.values()
        for req in framework.requirements
    }


def page_model(context: ReportContext, *, printed: bool = False) -> dict[str, Any]:
    """Everything the template reads; ``printed`` for a document that is only printed (PDF)."""
    count = len(context.findings)
    detail = count <= (PRINT_DETAIL_LIMIT if printed else DETAIL_LIMIT)
    grouped = not detail or count > PRINT_DETAIL_LIMIT
    asset_names = PRINT_GROUP_ASSET_NAMES if printed or detail else GROUP_ASSET_NAMES
    sites = SiteTallies(detail, grouped, asset_names)
    # one pass over the findings feeds the summary and the findings section
    summary = build_summary(context, observe=sites.add)
    ref_titles = _ref_titles(context)

    def ref_title(ref: FrameworkRef) -> str:
        return ref_titles.get((ref.framework, ref.id), "")

    anchored: set[str] = set()
    top_groups: tuple[AssetGroup, ...] = ()
    if not detail and not printed:  # on paper the grouped findings are enough
        top_ids = {t.finding.asset_id for t in summary.top_risks if t.finding.asset_id}
        top_views = current_views_of(context, top_ids)
        top_groups = group_by_asset(top_views, anchored)
    blocks = sites.blocks(summary, anchored)
    assessment = context.assessment
    return {
        "context": context,
        "summary": summary,
        "charts": build_charts(summary),
        "enterprise": enterprise_name(context),
        "catalog_version": assessment.catalog_version if assessment else context.catalog.version,
        "loaded_catalog_version": context.catalog.version,
        "apart_note": apart_note(summary),
        "sites_findings": blocks,
        "top_asset_groups": top_groups,
        "anchored": frozenset(anchored),
        "findings_in_detail": detail,
        "print_grouped": detail and grouped,
        "printed": printed,
        "risk_factors": summary.risk_factors,
        "risk_formula": tuple(assessment.method.get("risk_formula", ())) if assessment else (),
        "formula": FORMULA,
        "severities": SEVERITIES_DESC,
        "severity_label": SEVERITY_LABEL,
        "status_label": STATUS_LABEL,
        "layer_label": LAYER_LABEL,
        "type_label": SAFEGUARD_TYPE_LABEL,
        "category_label": CATEGORY_LABEL,
        "grade_colour": GRADE_COLOUR[summary.readiness.grade],
        "ref_label": ref_label,
        "ref_title": ref_title,
    }


def environment(context: ReportContext) -> jinja2.Environment:
    """The template environment for this context's capability sections."""
    return _environment(tuple(sorted(context.templates.items())))


def render_html(context: ReportContext, *, printed: bool = False) -> str:
    """The whole readiness report as one HTML document (``printed``: the PDF's source)."""
    return "".join(render_html_parts(context, printed=printed))


def render_html_parts(context: ReportContext, *, printed: bool = False) -> Iterator[str]:
    """The report as consecutive pieces of text, each written as soon as it is rendered."""
    template = environment(context).get_template("report.html.j2")
    return template.generate(page_model(context, printed=printed))


class HtmlRenderer:
    """The readiness report as one self-contained HTML file."""

    format = "html"

    def render(self, context: ReportContext, out: Path) -> None:
        """Write the report of ``context`` to ``out``, atomically."""
        with atomic_text_writer(out) as handle:
            handle.writelines(render_html_parts(context))


class PdfRenderer:
    """The readiness report as a PDF (WeasyPrint): summary, charts, plan and findings grouped
    by weakness when there are many; every finding in full stays in the JSON and CSV."""

    format = "pdf"

    def render(self, context: ReportContext, out: Path) -> None:
        """Write the report of ``context`` to ``out`` as PDF, atomically."""
        html_to_pdf(render_html(context, printed=True), out)
