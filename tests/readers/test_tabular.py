"""The one tabular reader: aliases, bounds, and refusals that name file, line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from imagewarden.model import UserInputError
from imagewarden.readers.limits import CELL_CHARS, COLUMNS, LINE_BYTES, ROWS, LimitExceeded
from imagewarden.readers.tabular import (
    Column,
    Row,
    excerpt,
    header_key,
    loose_header_key,
    read_table,
)

COLUMNS_OF_TEST = (
    Column("site", ("site_id",), required=True),
    Column("answer", ("response",), required=True),
    Column("owner", ("responsible",)),
)


def _table(tmp_path: Path, text: str, name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def _rows(path: Path) -> list[Row]:
    return list(read_table(path, COLUMNS_OF_TEST))


def _refusal(path: Path) -> UserInputError:
    with pytest.raises(UserInputError) as raised:
        _rows(path)
    return raised.value


def test_aliases_delimiters_bom_and_blank_rows(tmp_path: Path) -> None:
    path = _table(tmp_path, "\ufeffSite ID;RESPONSE;x_note\r\nnorth;yes;a\r\n;;\r\nsouth;no;b\r\n")
    rows = _rows(path)
    assert [(r.line, r.get("site"), r.get("answer"), r.get("owner")) for r in rows] == [
        (2, "north", "yes", ""),
        (4, "south", "no", ""),
    ]
    excel = _table(tmp_path, "sep=\t\nsite\tanswer\nnorth\tyes\n", "excel.csv")
    assert [(r.line, r.get("site")) for r in _rows(excel)] == [(3, "north")]


def test_header_keys() -> None:
    assert header_key("\ufeff  IP-Address ") == "ip_address"
    assert header_key("a/b") == "a/b"  # the inventory's documented matching
    assert loose_header_key("Due/Date (UTC)") == "due_date_utc"


def test_a_column_named_twice_is_refused(tmp_path: Path) -> None:
    refusal = _refusal(_table(tmp_path, "site,answer,owner,Response\nnorth,yes,CISO,no\n"))
    assert refusal.location is not None
    assert (refusal.location.line, refusal.location.column) == (1, 4)
    assert "column 'Response' repeats column 'answer' (column 2)" in refusal.message


@pytest.mark.parametrize(
    ("body", "fields", "column"),
    [("north,yes\n", 2, 3), ("north,yes,CISO,extra\n", 4, 4)],
)
def test_short_and_long_rows_are_refused(
    tmp_path: Path, body: str, fields: int, column: int
) -> None:
    refusal = _refusal(_table(tmp_path, "site,answer,owner\nnorth,yes,CISO\n" + body))
    assert refusal.location is not None
    assert (refusal.location.line, refusal.location.column) == (3, column)
    assert refusal.message == f"row has {fields} fields but the header has 3 columns"


@pytest.mark.parametrize(
    ("cell", "words"),
    [("CI\x1b[2JSO", "control character U+001B"), ("CI\x7fSO", "U+007F"), ("a\x85b", "U+0085")],
)
def test_control_characters_are_refused_in_any_cell(tmp_path: Path, cell: str, words: str) -> None:
    refusal = _refusal(_table(tmp_path, f"site,answer,owner,x_other\nnorth,yes,ok,{cell}\n"))
    assert refusal.location is not None
    assert (refusal.location.line, refusal.location.column) == (2, 4)
    assert words in refusal.message


def test_nul_is_refused_with_its_place(tmp_path: Path) -> None:
    refusal = _refusal(_table(tmp_path, "site,answer,owner\nnorth,yes,CI\x00SO\n"))
    assert refusal.location is not None
    assert (refusal.location.line, refusal.location.column) == (2, 13)
    assert refusal.message == "contains a NUL byte at byte offset 30"


def test_tabs_and_line_breaks_in_a_quoted_cell_are_text(tmp_path: Path) -> None:
    path = _table(tmp_path, 'site,answer,owner\nnorth,yes,"PACS\tteam\nnight shift"\n')
    assert _rows(path)[0].get("owner") == "PACS\tteam\nnight shift"


def test_messages_quote_a_short_excerpt() -> None:
    assert excerpt("y" * 500) == repr("y" * 57 + "...")
    assert excerpt("short") == "'short'"


def test_missing_required_column_and_empty_file(tmp_path: Path) -> None:
    assert "missing column 'answer'" in _refusal(_table(tmp_path, "site\nnorth\n")).message
    assert "empty" in _refusal(_table(tmp_path, "\n\n", "e.csv")).message


def test_not_utf8_names_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("site,answer,owner\nnorth,yes,Ren\xe9\n".encode("latin-1"))
    refusal = _refusal(path)
    assert refusal.location is not None and refusal.location.line == 2
    assert "not valid UTF-8: byte 0xE9" in refusal.message


@pytest.mark.parametrize(
    ("limit", "value", "text"),
    [
        (ROWS, "2", "site,answer\na,yes\nb,yes\nc,yes\n"),
        (COLUMNS, "3", "site,answer,c,d\na,yes,c,d\n"),
        (CELL_CHARS, "10", "site,answer\na," + "y" * 11 + "\n"),
        (LINE_BYTES, "20", "site,answer\na," + "y" * 30 + "\n"),
    ],
)
def test_each_limit_is_enforced_and_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: object, value: str, text: str
) -> None:
    assert limit in (ROWS, COLUMNS, CELL_CHARS, LINE_BYTES)
    path = _table(tmp_path, text)
    _rows(path)  # within the defaults
    monkeypatch.setenv(limit.variable, value)  # type: ignore[attr-defined]
    with pytest.raises(LimitExceeded) as raised:
        _rows(path)
    assert raised.value.limit is limit
    assert limit.variable in str(raised.value)  # type: ignore[attr-defined]


def test_unreadable_paths(tmp_path: Path) -> None:
    assert "file not found" in _refusal(tmp_path / "missing.csv").message
    assert "is a directory" in _refusal(tmp_path).message
