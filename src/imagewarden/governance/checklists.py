"""Lookups over the leadership checklists held by the catalog."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from imagewarden.catalog import Catalog
from imagewarden.model.checklist import Checklist, Question


@dataclass(frozen=True, slots=True)
class PlacedQuestion:
    """A question with the checklist it belongs to."""

    checklist: Checklist
    question: Question


def questions(catalog: Catalog) -> Iterator[PlacedQuestion]:
    """Every question of every checklist, in catalog order."""
    for checklist in catalog.checklists.values():
        for question in checklist.questions:
            yield PlacedQuestion(checklist, question)


def question_index(catalog: Catalog) -> dict[str, PlacedQuestion]:
    """Every question by its short id."""
    return {p.question.id: p for p in questions(catalog)}


def find_checklist(catalog: Catalog, name: str) -> Checklist | None:
    """A checklist by URN, by its last URN part (``executive``) or by audience value."""
    for checklist in catalog.checklists.values():
        if name in (checklist.id, checklist.id.rsplit(":", 1)[-1], checklist.audience.value):
            return checklist
    return None
