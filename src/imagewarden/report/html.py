"""The HTML report: one self-contained file (inline CSS and SVG), for leadership and auditors.

The page is a Jinja2 template with autoescaping on; every number and sentence it shows comes
from ``summary.build_summary`` so the HTML and the JSON export cannot disagree.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from imagewarden.model import FrameworkRef, Severity
from imagewarden.render import charts
from imagewarden.render.atomic import write_text_atomic
from imagewarden.render.charts import Datum, StackedRow
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
    ref_label,
)
from imagewarden.report.interface import ReportContext
from imagewarden.report.readiness import FORMULA
from imagewarden.report.summary import Summary, build_summary
from imagewarden.report.views import FindingView

LAYER_COLOUR = "#2f5d8a"
CATEGORY_COLOUR = "#4a5b8c"


@cache
def _environment(templates: tuple[tuple[str, str], ...] = ()) -> jinja2.Environment:
    """The report's templates, and each capability's as ``<capability>/<file>``."""
    prefixed = {name: jinja2.PackageLoader(package, "templates") for name, package in templates}
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [jinja2.PackageLoader("imagewarden.report", "templates"), jinja2.PrefixLoader(prefixed)]
        ),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fact"] = format_fact
    env.filters["when"] = format_when
    env.filters["asset_type"] = asset_type_label
    return env


def enterprise_name(context: ReportContext) -> str:
    """The enterprise shown in the header: its name, else its sites when few, else a count."""
    if context.enterprise.strip():
        return context.enterprise.strip()
    names = sorted(s.name for s in context.sites)
    if not names:
        return "—"
    return ", ".join(names) if len(names) <= 3 else f"{len(names)} sites"


def build_charts(summary: Summary) -> dict[str, Markup]:
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
            "Current findings by site and severity", sites, legend, chart_id="by-site"
        ),
        "layer": charts.bar_chart("Current findings by defense layer", layers, chart_id="by-layer"),
        "category": charts.bar_chart(
            "Current findings by asset category", categories, chart_id="by-category"
        ),
    }
    # The chart builders escape every text they place; the SVG itself is trusted markup.
    return {name: Markup(svg) for name, svg in built.items()}


def _by_site(summary: Summary) -> list[tuple[str, str, list[FindingView], list[FindingView]]]:
    """(site id, name, current, resolved) in the order of the site counts."""
    current: dict[str, list[FindingView]] = defaultdict(list)
    resolved: dict[str, list[FindingView]] = defaultdict(list)
    for view in summary.current:
        current[view.finding.site_id].append(view)
    for view in summary.resolved:
        resolved[view.finding.site_id].append(view)
    order = [(row.site_id, row.name) for row in summary.by_site]
    seen = {site_id for site_id, _ in order}
    order += [
        (v.finding.site_id, v.site_name) for v in summary.resolved if v.finding.site_id not in seen
    ]
    unique = list(dict.fromkeys(order))
    return [
        (sid, name, current[sid], resolved[sid])
        for sid, name in unique
        if current[sid] or resolved[sid]
    ]


DETAIL_LIMIT = 2000
"""Above this many findings the HTML lists findings grouped by check, not one row each: a
50 MB page helps nobody, and every finding with its evidence is in the JSON and CSV exports."""
GROUP_ASSET_NAMES = 25


@dataclass(frozen=True, slots=True)
class CheckGroup:
    title: str
    severity: Severity
    count: int
    highest_risk: int
    asset_names: tuple[str, ...]
    """The highest-risk affected assets, at most GROUP_ASSET_NAMES of them."""


def _group_by_check(views: list[FindingView]) -> list[CheckGroup]:
    groups: dict[str, list[FindingView]] = defaultdict(list)
    for view in views:
        groups[view.finding.check_id].append(view)
    result = []
    for members in groups.values():
        members.sort(key=lambda v: -v.finding.risk.score)
        first = members[0].finding
        names = tuple(dict.fromkeys(v.asset_name or "whole site" for v in members))
        result.append(
            CheckGroup(
                first.title,
                first.severity,
                len(members),
                first.risk.score,
                names[:GROUP_ASSET_NAMES],
            )
        )
    result.sort(key=lambda g: (-g.severity.rank, -g.highest_risk, g.title))
    return result


def _ref_titles(context: ReportContext) -> dict[tuple[str, str], str]:
    return {
        (framework.id, req.id): req.title
        for framework in context.catalog.frameworks.values()
        for req in framework.requirements
    }


def _risk_factor_weights(summary: Summary) -> dict[str, float]:
    """The factors the engine used in this assessment, with their weights."""
    weights: dict[str, float] = {}
    for view in summary.findings:
        for factor in view.finding.risk.factors:
            weights.setdefault(factor.name, factor.weight)
    return weights


def page_model(context: ReportContext) -> dict[str, Any]:
    """Everything the template reads."""
    summary = build_summary(context)
    ref_titles = _ref_titles(context)

    def ref_title(ref: FrameworkRef) -> str:
        return ref_titles.get((ref.framework, ref.id), "")

    assessment = context.assessment
    return {
        "context": context,
        "summary": summary,
        "charts": build_charts(summary),
        "enterprise": enterprise_name(context),
        "catalog_version": assessment.catalog_version if assessment else context.catalog.version,
        "loaded_catalog_version": context.catalog.version,
        "sites_findings": _by_site(summary),
        "findings_in_detail": len(summary.findings) <= DETAIL_LIMIT,
        "group_by_check": _group_by_check,
        "risk_factors": _risk_factor_weights(summary),
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


def render_html(context: ReportContext) -> str:
    """The whole readiness report as one HTML document."""
    return environment(context).get_template("report.html.j2").render(page_model(context))


class HtmlRenderer:
    format = "html"

    def render(self, context: ReportContext, out: Path) -> None:
        write_text_atomic(out, render_html(context))
