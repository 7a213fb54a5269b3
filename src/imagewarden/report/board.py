"""The board one-pager: readiness score, top five risks, capability panels and three asks.

The readiness score, top risks and asks come from the report summary, so the one-pager and
the full report cannot disagree; capabilities add panels (e.g. governance: the maturity and
culture trend). Rendered to HTML, and to PDF with WeasyPrint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from markupsafe import Markup

from imagewarden.render.atomic import write_text_atomic
from imagewarden.render.charts import score_gauge
from imagewarden.render.labels import GRADE_COLOUR, SEVERITY_LABEL
from imagewarden.render.pdf import html_to_pdf
from imagewarden.report.html import environment
from imagewarden.report.interface import ReportContext
from imagewarden.report.summary import build_summary

TOP = 5


def board_model(context: ReportContext) -> dict[str, Any]:
    """Everything the one-pager template reads."""
    summary = build_summary(context, top_n=TOP)
    r = summary.readiness
    return {
        "enterprise": context.enterprise,
        "date": context.generated_at.date().isoformat(),
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
                "title": t.finding.title,
                "where": t.view.asset_name or t.view.site_name,
                "site": t.view.site_name,
                "severity": SEVERITY_LABEL[t.finding.severity],
                "sev_class": t.finding.severity.value,
                "score": t.finding.risk.score,
                "findings": t.findings,
            }
            for t in summary.top_risks[:TOP]
        ],
        "unmanaged": len(summary.unmanaged),
        "asks": [
            {
                "title": a.safeguard.title,
                "findings": a.findings,
                "high": a.high_or_critical,
                "sites": a.sites,
            }
            for a in summary.executive.asks[:3]
        ],
        "sections": context.sections,
    }


def render_board_html(context: ReportContext) -> str:
    """The one-pager as one HTML document (``context`` gathered with ``board=True``)."""
    template = environment(context).get_template("board_one_pager.html.j2")
    return template.render(**board_model(context))


def write_board(context: ReportContext, out_html: Path, out_pdf: Path | None) -> None:
    """Write the one-pager as HTML, and as PDF when ``out_pdf`` is given (atomically)."""
    html = render_board_html(context)
    write_text_atomic(out_html, html)
    if out_pdf is not None:
        html_to_pdf(html, out_pdf)
