"""Option types every command shares: one way to read a date and a moment in time.

A wrong value is a usage error (exit 2) naming the option, like any other bad option. Use as
``typer.Option(parser=parse_date, metavar=DATE)`` on a ``dt.date`` parameter, and
``typer.Option(parser=parse_moment, metavar=MOMENT)`` on a ``dt.datetime`` one.
"""

from __future__ import annotations

import datetime as dt

import typer

DATE = "YYYY-MM-DD"
MOMENT = "ISO-8601-TIME"


def parse_date(value: str | dt.date) -> dt.date:
    """A calendar date, ``YYYY-MM-DD``."""
    if isinstance(value, dt.date):
        return value
    text = value.strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text[:40]!r} is not a date ({DATE})") from None


def parse_moment(value: str | dt.datetime) -> dt.datetime:
    """A moment, ISO 8601 (``2026-05-01T14:30``, with or without a zone; UTC when none)."""
    if isinstance(value, dt.datetime):
        moment = value
    else:
        text = value.strip()
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            raise typer.BadParameter(f"{text[:40]!r} is not an ISO 8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
