"""HTML to PDF with WeasyPrint, written atomically (a failed render leaves no partial file)."""

from __future__ import annotations

from pathlib import Path

from imagewarden.render.atomic import write_bytes_atomic


def html_to_pdf(html: str, out: Path) -> None:
    """Render a self-contained HTML document (inline CSS, inline SVG) to a PDF file."""
    import weasyprint  # imported here: loading it and its system libraries takes a while

    data = weasyprint.HTML(string=html).write_pdf()
    if data is None:  # pragma: no cover - write_pdf without a target returns bytes
        raise RuntimeError("WeasyPrint produced no PDF")
    write_bytes_atomic(out, data)
