"""The board one-pager: readiness score, top five risks, trend and three asks, on one page.

The readiness score, top risks and asks come from the report summary (report/summary.py), so
the one-pager and the full report cannot disagree; the trend comes from recorded maturity
snapshots and phishing results. Rendered to HTML, and to PDF with WeasyPrint.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from imagewarden.catalog import Catalog
from imagewarden.governance.maturity import FUNCTION_NAMES, TIER_NAMES, trend_chart
from imagewarden.governance.metrics import ALL, culture_metrics, format_value, trend
from imagewarden.governance.overview import average_tier_by_function, maturity_trend
from imagewarden.governance.repository import GovernanceStore
from imagewarden.report.atomic import write_text_atomic
from imagewarden.report.charts import score_gauge
from imagewarden.report.gather import gather_context
from imagewarden.report.html import GRADE_COLOUR
from imagewarden.report.labels import SEVERITY_LABEL
from imagewarden.report.pdf import html_to_pdf
from imagewarden.report.summary import build_summary
from imagewarden.store import Store

TOP = 5


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("imagewarden.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def board_model(
    store: Store, catalog: Catalog, *, enterprise: str, now: dt.datetime | None = None
) -> dict[str, Any]:
    now = now or dt.datetime.now(dt.UTC)
    context = gather_context(
        store, catalog, title="Board one-pager", enterprise=enterprise, now=now
    )
    summary = build_summary(context, top_n=TOP)
    r = summary.readiness
    points = maturity_trend(store)
    gov = GovernanceStore(store)
    metrics = culture_metrics(gov.training(), gov.campaigns())
    clicks = trend(metrics, "click_rate", ALL)[-4:]
    completion = trend(metrics, "completion_rate", ALL)[-4:]
    tiers = average_tier_by_function(store, catalog, now.date())
    return {
        "enterprise": enterprise,
        "date": now.date().isoformat(),
        "readiness": r,
        "assets": summary.asset_count,
        "sites": summary.site_count,
        "gauge": Markup(
            score_gauge(
                r.score,
                r.grade,
                r.label,
                colour=GRADE_COLOUR[r.grade],
                chart_id="board-gauge",
                size=132,
            )
        ),
        "grade_colour": GRADE_COLOUR[r.grade],
        "open_counts": [(SEVERITY_LABEL[s], n) for s, n in summary.by_severity.items() if n],
        "risks": [
            {
                "title": v.finding.title,
                "where": v.asset_name or v.site_name,
                "site": v.site_name,
                "severity": SEVERITY_LABEL[v.finding.severity],
                "sev_class": v.finding.severity.value,
                "score": v.finding.risk.score,
            }
            for v in summary.top_risks[:TOP]
        ],
        "asks": [
            {
                "title": a.safeguard.title,
                "findings": a.findings,
                "high": a.high_or_critical,
                "sites": a.sites,
            }
            for a in summary.executive.asks[:3]
        ],
        "maturity_chart": Markup(
            trend_chart(
                [(p.label, p.value) for p in points[-4:]],
                chart_id="board-maturity",
                title="Average CSF tier, last four assessments",
            )
        )
        if points
        else None,
        "tiers": [(f"{f} {FUNCTION_NAMES[f]}", t, TIER_NAMES[int(t)]) for f, t in tiers],
        "clicks": [(v.quarter, format_value("click_rate", v.value)) for v in clicks],
        "completion": [(v.quarter, format_value("completion_rate", v.value)) for v in completion],
    }


def render_board_html(model: dict[str, Any]) -> str:
    return _environment().get_template("board_one_pager.html.j2").render(**model)


def write_board(
    store: Store,
    catalog: Catalog,
    out_html: Path,
    out_pdf: Path | None,
    *,
    enterprise: str,
    now: dt.datetime | None = None,
) -> None:
    html = render_board_html(board_model(store, catalog, enterprise=enterprise, now=now))
    write_text_atomic(out_html, html)
    if out_pdf is not None:
        html_to_pdf(html, out_pdf)
