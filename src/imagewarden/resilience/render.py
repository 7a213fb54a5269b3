"""HTML (and PDF through the report's WeasyPrint helper) for plans and exercise packages."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined, select_autoescape

from imagewarden.render.atomic import write_text_atomic
from imagewarden.render.documents import shared_templates


@cache
def _environment() -> Environment:
    return Environment(
        loader=ChoiceLoader(
            [PackageLoader("imagewarden.resilience", "templates"), shared_templates()]
        ),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(template: str, **context: Any) -> str:
    """A self-contained HTML document from one of the capability's templates, styled by the
    documents' shared stylesheet."""
    return _environment().get_template(template).render(**context)


def write_outputs(html: str, out: Path, pdf: Path | None = None) -> tuple[Path, ...]:
    """Write the HTML (atomically) and, when asked, the same document as PDF; returns the
    paths written."""
    write_text_atomic(out, html)
    if pdf is None:
        return (out,)
    from imagewarden.render.pdf import html_to_pdf

    html_to_pdf(html, pdf)
    return (out, pdf)
