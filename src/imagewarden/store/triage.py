"""Triage notes on findings: the person who owns a finding's remediation, and comments.

Both are a person's work, so both are audited. They live beside the findings table rather
than in it: an assessment rewrites finding rows and must never touch what people wrote.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from imagewarden.model import UserInputError
from imagewarden.store.chunks import chunks
from imagewarden.store.codec import utc
from imagewarden.store.schema import Base, FindingRow

if TYPE_CHECKING:
    from imagewarden.store.repository import Store

COMMENT_LIMIT = 4000
"""Characters of one comment."""


class FindingOwnerRow(Base):
    """Who owns the remediation of a finding."""

    __tablename__ = "finding_owners"

    finding_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200))
    assigned_by: Mapped[str] = mapped_column(String(200))
    assigned_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class FindingCommentRow(Base):
    """A comment a person wrote on a finding."""

    __tablename__ = "finding_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    finding_id: Mapped[str] = mapped_column(String(40), index=True)
    author: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    text: Mapped[str] = mapped_column(Text)


@dataclass(frozen=True, slots=True)
class Comment:
    """A comment on a finding."""

    author: str
    at: dt.datetime
    text: str


@dataclass(frozen=True, slots=True)
class Ownership:
    """Who owns a finding's remediation, and who said so when."""

    owner: str
    assigned_by: str
    assigned_at: dt.datetime


def _require_finding(session: Session, finding_id: str) -> None:
    if session.get(FindingRow, finding_id) is None:
        raise UserInputError(f"no finding with id {finding_id!r}")


def assign_owner(
    store: Store, actor: str, finding_id: str, owner: str, *, now: dt.datetime
) -> Ownership:
    """Set (or clear, with an empty ``owner``) who owns a finding (audited ``finding.owner``)."""
    with store.changing(actor, "finding.owner", finding_id) as change:
        session = change.session
        _require_finding(session, finding_id)
        row = session.get(FindingOwnerRow, finding_id)
        change.before = {"owner": row.owner if row is not None else ""}
        change.after = {"owner": owner}
        if row is None:
            row = FindingOwnerRow(finding_id=finding_id)
            session.add(row)
        row.owner = owner
        row.assigned_by = actor
        row.assigned_at = now
        return Ownership(owner, actor, now)


def add_comment(
    store: Store, actor: str, finding_id: str, text: str, *, now: dt.datetime
) -> Comment:
    """Add a comment to a finding (audited ``finding.comment``, with its text)."""
    with store.changing(actor, "finding.comment", finding_id) as change:
        _require_finding(change.session, finding_id)
        change.session.add(
            FindingCommentRow(finding_id=finding_id, author=actor, at=now, text=text)
        )
        change.after = {"comment": text}
        return Comment(actor, now, text)


def comments(store: Store, finding_id: str) -> list[Comment]:
    """Comments on a finding, oldest first."""
    query = (
        select(FindingCommentRow)
        .where(FindingCommentRow.finding_id == finding_id)
        .order_by(FindingCommentRow.id)
    )
    with store.reading() as session:
        return [Comment(r.author, utc(r.at), r.text) for r in session.scalars(query)]


def owners(store: Store, finding_ids: Sequence[str]) -> dict[str, Ownership]:
    """Owners of these findings (those without one are absent)."""
    found: dict[str, Ownership] = {}
    with store.reading() as session:
        for chunk in chunks(list(finding_ids)):
            query = select(FindingOwnerRow).where(FindingOwnerRow.finding_id.in_(chunk))
            for row in session.scalars(query):
                found[row.finding_id] = Ownership(row.owner, row.assigned_by, utc(row.assigned_at))
    return found
