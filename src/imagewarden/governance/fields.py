"""Values of governance files: dates, Go timestamps, and the text a person typed."""

from __future__ import annotations

import datetime as dt

from imagewarden.readers.tabular import Row, excerpt


def parse_date(row: Row, name: str, *, required: bool = False) -> dt.date | None:
    """An ISO date (YYYY-MM-DD); a timestamp's date part is accepted too."""
    text = row.get(name)
    if not text:
        if required:
            raise row.error(name, "a date is required (YYYY-MM-DD)")
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise row.error(name, f"{excerpt(text)} is not a date (YYYY-MM-DD)") from None


def parse_timestamp(text: str) -> dt.datetime | None:
    """An RFC 3339 timestamp as Go writes it (nanoseconds, Z); Go's zero time means none."""
    text = text.strip()
    if not text or text.startswith("0001-01-01"):
        return None
    dot = text.find(".", 19)
    if dot != -1:  # Python reads at most 6 fraction digits; Go writes up to 9
        end = dot + 1
        while end < len(text) and text[end].isdigit():
            end += 1
        text = text[: min(end, dot + 7)] + text[end:]
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
