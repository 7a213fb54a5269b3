"""Report renderers: HTML and PDF for people, JSON and CSV for tools. Renderers only read.

``render_report(context, "html", Path("report.html"))`` writes one file atomically: a render
that fails leaves any previous report in place and no partial file behind.
"""

from __future__ import annotations

from pathlib import Path

from imagewarden.model import UserInputError
from imagewarden.report.csv_export import CsvRenderer
from imagewarden.report.html import HtmlRenderer, PdfRenderer
from imagewarden.report.interface import Renderer, ReportContext
from imagewarden.report.json_export import JsonRenderer
from imagewarden.report.summary import Summary, build_summary

RENDERERS: dict[str, Renderer] = {
    renderer.format: renderer
    for renderer in (
        HtmlRenderer(),
        PdfRenderer(),
        JsonRenderer(),
        CsvRenderer(),
    )
}


def render_report(context: ReportContext, fmt: str, out: Path) -> None:
    """Render ``context`` as ``fmt`` (one of ``RENDERERS``) into ``out``, atomically."""
    renderer = RENDERERS.get(fmt)
    if renderer is None:
        known = ", ".join(sorted(RENDERERS))
        raise UserInputError(f"unknown report format {fmt!r}", hint=f"choose one of {known}")
    renderer.render(context, Path(out))


__all__ = [
    "RENDERERS",
    "Renderer",
    "ReportContext",
    "Summary",
    "build_summary",
    "render_report",
]
