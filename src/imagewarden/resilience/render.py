"""HTML (and PDF through the report's WeasyPrint helper) for plans and exercise packages."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from imagewarden.render.atomic import write_text_atomic


@cache
def _environment() -> Environment:
    folder = Path(str(resources.files("imagewarden.resilience") / "templates"))
    return Environment(
        loader=FileSystemLoader(folder),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(template: str, **context: Any) -> str:
    """A self-contained HTML document from one of the capability's templates."""
    env = _environment()
    css = (
        Path(str(resources.files("imagewarden.resilience") / "templates")) / "base.css"
    ).read_text()
    return env.get_template(template).render(css=css, **context)


def write_outputs(html: str, out: Path, pdf: Path | None = None) -> tuple[Path, ...]:
    """Write the HTML (atomically) and, when asked, the same document as PDF; returns the
    paths written."""
    write_text_atomic(out, html)
    if pdf is None:
        return (out,)
    from imagewarden.render.pdf import html_to_pdf

    html_to_pdf(html, pdf)
    return (out, pdf)
