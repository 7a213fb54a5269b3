"""Reading what HTML forms send: an empty select means "any"."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import TypeVar

from imagewarden.model import UserInputError

E = TypeVar("E", bound=StrEnum)


def choice(kind: type[E], value: str, name: str) -> E | None:
    """The member of ``kind`` named by ``value`` (None when empty); anything else is a user
    error naming the choices."""
    text = value.strip()
    if not text:
        return None
    try:
        return kind(text)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise UserInputError(f"{name}: {text[:60]!r} is not one of {allowed}") from None


def form_date(text: str, name: str) -> dt.date | None:
    """A date typed in a form (YYYY-MM-DD); empty is none, anything else a user error."""
    value = text.strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UserInputError(f"{name}: {value[:20]!r} is not a date (YYYY-MM-DD)") from None
