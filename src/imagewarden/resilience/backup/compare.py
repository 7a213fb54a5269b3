"""Compare two manifests: what went missing, what changed and what was added.

The old manifest is held as a map of path -> sha256 (about 100 bytes per file); the new one
streams past it, so comparing two 1-million-file manifests needs ~100 MB, not two copies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imagewarden.resilience.backup.manifest import Record, read_records

MAX_LISTED = 10_000
"""Paths kept per category for display; counts are always complete."""


@dataclass(frozen=True, slots=True)
class Comparison:
    """What changed between an earlier manifest and the files now."""

    missing: int = 0
    changed: int = 0
    added: int = 0
    unchanged: int = 0
    unverified: int = 0
    """Paths present in both listings without a hash on one side (a broken link, a loop, an
    unreadable file): there, so not missing; unread, so not known to have changed. Their
    problem is reported on its own."""
    missing_paths: tuple[str, ...] = ()
    changed_paths: tuple[str, ...] = ()
    added_paths: tuple[str, ...] = ()
    """At most ``MAX_LISTED`` paths of each kind; the counts are complete."""

    @property
    def differs(self) -> bool:
        """Anything missing, changed or added."""
        return bool(self.missing or self.changed or self.added)

    def as_dict(self) -> dict[str, object]:
        """The counts."""
        return {
            "missing": self.missing,
            "changed": self.changed,
            "added": self.added,
            "unchanged": self.unchanged,
            "unverified": self.unverified,
        }

    def to_json(self) -> dict[str, object]:
        """Counts and paths (``from_json`` reads it back)."""
        return {
            **self.as_dict(),
            "missing_paths": list(self.missing_paths),
            "changed_paths": list(self.changed_paths),
            "added_paths": list(self.added_paths),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Comparison:
        """Read what ``to_json`` wrote."""
        return cls(
            missing=int(data["missing"]),
            changed=int(data["changed"]),
            added=int(data["added"]),
            unchanged=int(data["unchanged"]),
            unverified=int(data.get("unverified", 0)),
            missing_paths=tuple(map(str, data.get("missing_paths", ()))),
            changed_paths=tuple(map(str, data.get("changed_paths", ()))),
            added_paths=tuple(map(str, data.get("added_paths", ()))),
        )


def load_digests(path: Path) -> dict[str, str]:
    """Path -> SHA-256 of every record of a manifest."""
    return {r["path"]: r["sha256"] for r in read_records(path)}


class Comparer:
    """Feed new records one by one; ``finish`` reports what the old manifest had extra.

    The one comparison of the project: ``backup verify --against`` and ``backup compare``
    both feed every record here, hashed or not."""

    def __init__(self, old: dict[str, str]) -> None:
        self._old = dict(old)
        self._counts = {"changed": 0, "added": 0, "unchanged": 0, "unverified": 0}
        self._changed: list[str] = []
        self._added: list[str] = []

    def add(self, record: Record) -> None:
        """Compare one record of the new listing with the earlier manifest."""
        path = record["path"]
        before = self._old.pop(path, None)
        if before is None:
            self._counts["added"] += 1
            _keep(self._added, path)
        elif not before or not record["sha256"]:
            self._counts["unverified"] += 1
        elif before != record["sha256"]:
            self._counts["changed"] += 1
            _keep(self._changed, path)
        else:
            self._counts["unchanged"] += 1

    def finish(self) -> Comparison:
        """The comparison; what the earlier manifest still holds is missing now."""
        missing = sorted(self._old)
        self._old.clear()
        return Comparison(
            missing=len(missing),
            changed=self._counts["changed"],
            added=self._counts["added"],
            unchanged=self._counts["unchanged"],
            unverified=self._counts["unverified"],
            missing_paths=tuple(missing[:MAX_LISTED]),
            changed_paths=tuple(self._changed),
            added_paths=tuple(self._added),
        )


def _keep(paths: list[str], path: str) -> None:
    if len(paths) < MAX_LISTED:
        paths.append(path)


def compare(old: dict[str, str], new: Iterable[Record]) -> Comparison:
    """Compare an earlier manifest's digests with the records of a newer listing."""
    comparer = Comparer(old)
    for record in new:
        comparer.add(record)
    return comparer.finish()


def compare_files(old: Path, new: Path) -> Comparison:
    """Compare two manifest files (``backup compare``)."""
    return compare(load_digests(old), read_records(new))
