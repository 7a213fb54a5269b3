"""Reading PDFs back for the print tests: page texts, and which table rows split across pages."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pypdf

_SPACE = re.compile(r"\s+")


def squeeze(text: str) -> str:
    """Text without whitespace, in lower case: PDF line breaks fall anywhere inside a cell,
    and CSS may change the case (text-transform)."""
    return _SPACE.sub("", text).lower()


def page_texts(pdf: Path) -> list[str]:
    """Each page's text, squeezed."""
    return [squeeze(page.extract_text()) for page in pypdf.PdfReader(pdf).pages]


class _Rows(HTMLParser):
    """The texts of the cells of every outermost table row, outside elements a print hides."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._depth = 0  # nesting of <tr>
        self._cell: list[str] | None = None
        self._cells: list[str] = []
        self._hidden = 0
        self._stack: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "img", "meta", "link", "input", "hr", "col", "wbr"):
            return
        classes = (dict(attrs).get("class") or "").split()
        hidden = "screen-only" in classes or tag in ("style", "script", "title")
        self._stack.append(hidden)
        self._hidden += hidden
        if tag == "tr":
            self._depth += 1
            if self._depth == 1:
                self._cells = []
        elif tag in ("td", "th") and self._depth == 1:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("br", "img", "meta", "link", "input", "hr", "col", "wbr") or not self._stack:
            return
        self._hidden -= self._stack.pop()
        if tag in ("td", "th") and self._depth == 1 and self._cell is not None:
            self._cells.append(squeeze("".join(self._cell)))
            self._cell = None
        elif tag == "tr":
            if self._depth == 1 and not self._hidden and any(self._cells):
                self.rows.append([c for c in self._cells if c])
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._cell is not None and not self._hidden:
            self._cell.append(data)


def table_rows(html: str) -> list[list[str]]:
    """Cell texts (squeezed) of each outermost table row the printed document shows."""
    parser = _Rows()
    parser.feed(html)
    return parser.rows


def split_rows(html: str, pdf: Path) -> list[list[str]]:
    """The rows of ``html`` no single page of ``pdf`` shows in full (every cell's text)."""
    pages = page_texts(pdf)
    return [row for row in table_rows(html) if not any(all(c in p for c in row) for p in pages)]
