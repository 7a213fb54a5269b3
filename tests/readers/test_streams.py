"""Generic readers added for the vulnerability importers: streamed JSON items, defused and
depth-bounded XML, and the spreadsheet pre-check."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from imagewarden.model import UserInputError
from imagewarden.readers.json import first_line, stream_items
from imagewarden.readers.limits import (
    CELL_CHARS,
    JSON_DEPTH,
    SPREADSHEET_PARTS,
    XML_DEPTH,
    LimitExceeded,
)
from imagewarden.readers.xlsx import check_workbook
from imagewarden.readers.xml import parse_xml_bytes, scan_xml

VALUES = st.recursive(
    # yajl refuses integers beyond 64 bits ("integer overflow": a clean user error).
    st.none() | st.booleans() | st.integers(-(2**63) + 1, 2**63 - 1) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=25,
)


@settings(max_examples=100, deadline=None)
@given(items=st.lists(VALUES, max_size=5), other=VALUES)
def test_stream_items_yields_what_json_loads_reads(items: list[Any], other: Any) -> None:
    doc = {"before": other, "vulnerabilities": items, "after": other}
    data = json.dumps(doc).encode()
    assert list(stream_items(io.BytesIO(data), "f.json", "vulnerabilities")) == items
    assert list(stream_items(io.BytesIO(data), "f.json", None)) == [doc]


def test_stream_items_bounds_nesting_without_building_prefixes() -> None:
    deep = b'{"vulnerabilities": [' + b"[" * 300_000 + b"]" * 300_000 + b"]}"
    with pytest.raises(LimitExceeded) as raised:
        list(stream_items(io.BytesIO(deep), "feed.json", "vulnerabilities"))
    assert JSON_DEPTH.variable in str(raised.value)


def test_parser_messages_are_one_short_line() -> None:
    with pytest.raises(UserInputError) as raised:
        list(stream_items(io.BytesIO(b'{"a": [1, 2, x' + b"y" * 500), "f.json", None))
    assert "\n" not in raised.value.message and len(raised.value.message) < 140
    assert first_line("a\nb") == "a" and len(first_line("x" * 500)) == 100


def test_xml_refuses_entities_and_deep_nesting() -> None:
    laughs = b'<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><x>&b;</x>'
    with pytest.raises(UserInputError, match="refused"):
        parse_xml_bytes(laughs, "x.xml")
    with pytest.raises(UserInputError, match="DOCTYPE refused"):
        scan_xml(io.BytesIO(laughs), "x.xml")
    deep = b"<a>" * 1000 + b"</a>" * 1000
    for read in (
        lambda: parse_xml_bytes(deep, "x.xml"),
        lambda: scan_xml(io.BytesIO(deep), "x.xml"),
    ):
        with pytest.raises(LimitExceeded) as raised:
            read()
        assert XML_DEPTH.variable in str(raised.value)
    assert parse_xml_bytes(b"<a><b/></a>", "x.xml").tag == "a"
    with pytest.raises(UserInputError, match="invalid XML"):
        scan_xml(io.BytesIO(b"<a><b></a>"), "x.xml")


def _book(path: Path, *rows: list[object]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_a_normal_workbook_passes_and_limits_can_be_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _book(tmp_path / "ok.xlsx", ["MPII-2", "question", "Yes"], ["x" * 100])
    check_workbook(path)
    monkeypatch.setenv(CELL_CHARS.variable, "50")
    with pytest.raises(LimitExceeded) as raised:
        check_workbook(path)
    assert CELL_CHARS.variable in str(raised.value) and "ok.xlsx" in str(raised.value)


def test_workbook_parts_are_counted_before_the_zip_is_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "parts.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for n in range(30):
            archive.writestr(f"p{n}.bin", b"")
    monkeypatch.setenv(SPREADSHEET_PARTS.variable, "20")
    with pytest.raises(LimitExceeded, match=SPREADSHEET_PARTS.variable):
        check_workbook(path)
    text = tmp_path / "not.xlsx"
    text.write_text("hello")
    with pytest.raises(UserInputError, match="not a zip file"):
        check_workbook(text)
