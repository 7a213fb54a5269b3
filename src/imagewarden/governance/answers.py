"""Checklist answers: validation, CSV import and export.

Accepted CSV columns (header spellings are case- and punctuation-insensitive):

  site       (site, site_id)                  required: a site id from the inventory
  question   (question, question_id, id)      required: e.g. exec-01
  answer     (answer, response)               required: yes, partial, no, not_applicable (n/a)
  owner      (owner, responsible, assignee)   required: a role or team, e.g. "PACS manager"
  evidence   (evidence, evidence_link, link)  a file path or a link; required for "yes"
  answered   (answered, answered_on, date)    required, YYYY-MM-DD
  due        (due, due_on, due_date)          required for "no" and "partial"
  notes      (notes, comment)

An import is all or nothing: the first bad cell stops it with file, line and column named.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from imagewarden.catalog import Catalog
from imagewarden.governance.checklists import question_index
from imagewarden.governance.fields import parse_date
from imagewarden.governance.interface import AnswerRecord
from imagewarden.model import UserInputError
from imagewarden.model.checklist import Answer
from imagewarden.readers.tabular import Column, Row, excerpt, read_table
from imagewarden.render.csv import Cell, csv_text

COLUMNS: tuple[Column, ...] = (
    Column("site", ("site_id",), required=True),
    Column("question", ("question_id", "id"), required=True),
    Column("answer", ("response",), required=True),
    Column("owner", ("responsible", "assignee")),
    Column("evidence", ("evidence_link", "link")),
    Column("answered", ("answered_on", "date", "answer_date")),
    Column("due", ("due_on", "due_date")),
    Column("notes", ("comment", "comments")),
)
EXPORT_HEADER = ("site", "question", "answer", "owner", "evidence", "answered", "due", "notes")
_ALIASES = {
    "n/a": Answer.NOT_APPLICABLE,
    "na": Answer.NOT_APPLICABLE,
    "not applicable": Answer.NOT_APPLICABLE,
}


def parse_answer(text: str) -> Answer:
    """An answer from its value or a common spelling (n/a, na, not applicable)."""
    value = text.strip().lower()
    if value in _ALIASES:
        return _ALIASES[value]
    try:
        return Answer(value)
    except ValueError:
        allowed = ", ".join(a.value for a in Answer)
        raise ValueError(f"{excerpt(text)} is not an answer ({allowed})") from None


def check_answer(
    record: AnswerRecord, catalog: Catalog, sites: Iterable[str]
) -> tuple[str, str] | None:
    """(field, problem) of an answer, or None; the same rules for the CLI and for imports."""
    known_sites = set(sites)
    if record.question_id not in question_index(catalog):
        return "question", (
            f"unknown question {excerpt(record.question_id)} (see 'imagewarden checklist list')"
        )
    if not known_sites:
        return "site", "no sites in the inventory yet; import the inventory first"
    if record.site_id not in known_sites:
        known = ", ".join(sorted(known_sites))
        return "site", f"unknown site {excerpt(record.site_id)} (known: {excerpt(known, 200)})"
    if not record.owner.strip():
        return "owner", "every answer needs an owner (a role or team)"
    if record.answer is Answer.YES and not record.evidence.strip():
        return "evidence", 'a "yes" needs evidence (a file path or a link)'
    if record.answer in (Answer.NO, Answer.PARTIAL) and record.due_on is None:
        return "due", f'a "{record.answer.value}" needs a due date for closing the gap'
    return None


def _record(row: Row, today: dt.date) -> AnswerRecord:
    try:
        answer = parse_answer(row.get("answer"))
    except ValueError as exc:
        raise row.error("answer", str(exc)) from None
    return AnswerRecord(
        site_id=row.get("site"),
        question_id=row.get("question"),
        answer=answer,
        owner=row.get("owner"),
        evidence=row.get("evidence"),
        answered_on=parse_date(row, "answered") or today,
        due_on=parse_date(row, "due"),
        notes=row.get("notes"),
    )


def read_answers(
    path: Path, catalog: Catalog, sites: Sequence[str], today: dt.date
) -> list[AnswerRecord]:
    """Every answer of a CSV file, validated; raises on the first problem."""
    records: list[AnswerRecord] = []
    for row in read_table(path, COLUMNS):
        record = _record(row, today)
        problem = check_answer(record, catalog, sites)
        if problem is not None:
            raise row.error(*problem)
        records.append(record)
    if not records:
        raise UserInputError(f"{path}: no answers in the file")
    return records


def answer_rows(records: Iterable[AnswerRecord]) -> Iterator[tuple[Cell, ...]]:
    """Answers as CSV rows (``EXPORT_HEADER``), importable again."""
    for r in records:
        yield (
            r.site_id,
            r.question_id,
            r.answer.value,
            r.owner,
            r.evidence,
            r.answered_on.isoformat(),
            r.due_on.isoformat() if r.due_on else "",
            r.notes,
        )


def answers_csv(records: Iterable[AnswerRecord]) -> str:
    """Answers as a CSV document (cells neutralised)."""
    return csv_text(EXPORT_HEADER, answer_rows(records))


TEMPLATE_HEADER = (*EXPORT_HEADER, "checklist", "text")


def template_rows(
    catalog: Catalog, sites: Sequence[str], checklist_ids: Mapping[str, str]
) -> Iterator[tuple[Cell, ...]]:
    """One empty answer row per site and question (``TEMPLATE_HEADER``), ready to fill in;
    every checklist, or those of ``checklist_ids``."""
    for site in sites:
        for qid, placed in question_index(catalog).items():
            if checklist_ids and placed.checklist.id not in checklist_ids:
                continue
            yield (site, qid, "", "", "", "", "", "", placed.checklist.title, placed.question.text)


def blank_template(catalog: Catalog, sites: Sequence[str], checklist_ids: Mapping[str, str]) -> str:
    """A CSV with one empty answer row per site and question, ready to fill in."""
    return csv_text(TEMPLATE_HEADER, template_rows(catalog, sites, checklist_ids))
