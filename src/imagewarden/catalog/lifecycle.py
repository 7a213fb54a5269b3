"""Operating-system lifecycle lookups: name and version as written in an inventory -> dates."""

from __future__ import annotations

import re
from collections.abc import Iterable

from imagewarden.model import OsLifecycle


def _key(text: str) -> str:
    """Compare OS names without case, punctuation or filler words."""
    text = text.lower().replace("microsoft", " ").replace("(r)", " ").replace("®", " ")
    return " ".join(re.findall(r"[a-z0-9.]+", text))


class OsTable:
    """Finds the lifecycle row of an operating system release.

    Matching tries the most specific spelling first (name plus version, e.g. 'Windows 10' +
    '1809'), then the name alone, so a row for a specific release wins over the family row.
    """

    def __init__(self, rows: Iterable[OsLifecycle]) -> None:
        self.rows: tuple[OsLifecycle, ...] = tuple(rows)
        self._by_key: dict[str, OsLifecycle] = {}
        self.collisions: list[str] = []
        for row in self.rows:
            for spelling in (row.name, *row.aliases):
                key = _key(spelling)
                other = self._by_key.get(key)
                if other is not None and other.name != row.name:
                    self.collisions.append(
                        f"{spelling!r} reads the same as a spelling of {other.name} "
                        f"and names {row.name}"
                    )
                self._by_key[key] = row

    def lookup(self, os_name: str, os_version: str = "") -> OsLifecycle | None:
        """The lifecycle row for an OS name and version, or None when unknown."""
        if not os_name.strip():
            return None
        candidates = []
        if os_version.strip():
            candidates.append(_key(f"{os_name} {os_version}"))
        candidates.append(_key(os_name))
        for key in candidates:
            row = self._by_key.get(key)
            if row is not None:
                return row
        return None

    def canonical(self, os_name: str) -> str:
        """The table's spelling of an OS name, or the input trimmed when unknown."""
        row = self._by_key.get(_key(os_name))
        return row.name if row is not None else os_name.strip()

    def spellings(self) -> dict[str, str]:
        """Every normalised spelling and the row it names (for validation)."""
        return {key: row.name for key, row in self._by_key.items()}
