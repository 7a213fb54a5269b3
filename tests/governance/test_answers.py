"""Answers: import, validation with file/line/column, history, export."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from imagewarden.catalog import Catalog
from imagewarden.governance.answers import answers_csv, read_answers
from imagewarden.governance.store.repository import GovernanceStore
from imagewarden.model import UserInputError
from imagewarden.model.checklist import Answer
from imagewarden.store import Store

TODAY = dt.date(2026, 11, 1)
HEADER = "Site,Question ID,Answer,Owner,Evidence,Answered On,Due Date,Notes\n"


def _csv(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "answers.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_answers_import_with_aliases_and_keep_history(
    tmp_path: Path, catalog: Catalog, store: Store
) -> None:
    path = _csv(
        tmp_path,
        "north,exec-01,no,CISO office,,2026-01-10,2026-03-01,\n"
        "north,exec-01,yes,CISO office,https://intranet/charter.pdf,2026-06-01,2027-06-01,\n"
        "south,pacs-05,N/A,PACS manager,,2026-06-01,,cloud only\n",
    )
    records = read_answers(path, catalog, ["north", "south"], TODAY)
    gov = GovernanceStore(store)
    gov.add_answers(records, actor="test", action="checklist.import", target="test")
    current = {(a.site_id, a.question_id): a for a in gov.current_answers()}
    assert current[("north", "exec-01")].answer is Answer.YES
    assert current[("south", "pacs-05")].answer is Answer.NOT_APPLICABLE
    assert len(gov.answer_history()) == 3
    as_of_march = {a.question_id: a for a in gov.current_answers(as_of=dt.date(2026, 3, 1))}
    assert as_of_march["exec-01"].answer is Answer.NO
    exported = answers_csv(gov.current_answers())
    assert "north,exec-01,yes,CISO office,https://intranet/charter.pdf,2026-06-01,2027-06-01," in (
        exported
    )


@pytest.mark.parametrize(
    ("row", "line", "column", "words"),
    [
        ("north,exec-01,maybe,CISO,,2026-01-01,2026-02-01,\n", 2, 3, "not an answer"),
        ("north,exec-99,no,CISO,,2026-01-01,2026-02-01,\n", 2, 2, "unknown question"),
        ("west,exec-01,no,CISO,,2026-01-01,2026-02-01,\n", 2, 1, "unknown site"),
        ("north,exec-01,no,,,2026-01-01,2026-02-01,\n", 2, 4, "owner"),
        ("north,exec-01,no,CISO,,2026-01-01,,\n", 2, 7, "due date"),
        ("north,exec-01,yes,CISO,,2026-01-01,,\n", 2, 5, "evidence"),
        ("north,exec-01,no,CISO,,01/02/2026,2026-02-01,\n", 2, 6, "not a date"),
    ],
)
def test_bad_rows_name_file_line_and_column(
    tmp_path: Path, catalog: Catalog, row: str, line: int, column: int, words: str
) -> None:
    path = _csv(tmp_path, "north,exec-02,yes,CISO,doc.pdf,2026-01-01,,\n" + row)
    with pytest.raises(UserInputError) as caught:
        read_answers(path, catalog, ["north", "south"], TODAY)
    location = caught.value.location
    assert location is not None
    assert (location.file, location.line, location.column) == (str(path), line + 1, column)
    assert words in caught.value.message


def test_missing_required_column_is_named(tmp_path: Path, catalog: Catalog) -> None:
    path = tmp_path / "a.csv"
    path.write_text("site,question\nnorth,exec-01\n", encoding="utf-8")
    with pytest.raises(UserInputError, match="missing column 'answer'"):
        read_answers(path, catalog, ["north"], TODAY)
