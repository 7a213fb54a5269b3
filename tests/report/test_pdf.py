"""PDF output through WeasyPrint: a real PDF, written atomically."""

from __future__ import annotations

from pathlib import Path

import pytest

from imagewarden.render.pdf import html_to_pdf


def test_html_becomes_a_pdf(tmp_path: Path) -> None:
    out = tmp_path / "one-pager.pdf"
    html_to_pdf(
        "<html><body><h1>Readiness 62</h1><svg width='10' height='10'>"
        "<rect width='10' height='10'/></svg></body></html>",
        out,
    )
    data = out.read_bytes()
    assert data.startswith(b"%PDF-")
    assert b"%%EOF" in data[-1024:]


def test_failed_render_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import weasyprint

    out = tmp_path / "one-pager.pdf"
    out.write_bytes(b"old")

    def broken(*_args: object, **_kwargs: object) -> None:
        raise ValueError("render failed")

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", broken)
    with pytest.raises(ValueError):
        html_to_pdf("<p>x</p>", out)
    assert out.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [out]
