"""Compare two manifests: what went missing, what changed and what was added.

The old manifest is held as a map of path -> sha256 (about 100 bytes per file); the new one
streams past it, so comparing two 1-million-file manifests needs ~100 MB, not two copies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from imagewarden.resilience.backup.manifest import Record, read_records

MAX_LISTED = 10_000
"""Paths kept per category for display; counts are always complete."""


@dataclass
class Comparison:
    missing: int = 0
    changed: int = 0
    added: int = 0
    unchanged: int = 0
    missing_paths: list[str] = field(default_factory=list)
    changed_paths: list[str] = field(default_factory=list)
    added_paths: list[str] = field(default_factory=list)

    @property
    def differs(self) -> bool:
        return bool(self.missing or self.changed or self.added)

    def as_dict(self) -> dict[str, object]:
        return {
            "missing": self.missing,
            "changed": self.changed,
            "added": self.added,
            "unchanged": self.unchanged,
        }


def load_digests(path: Path) -> dict[str, str]:
    return {r["path"]: r["sha256"] for r in read_records(path)}


class Comparer:
    """Feed new records one by one; ``finish`` reports what the old manifest had extra."""

    def __init__(self, old: dict[str, str]) -> None:
        self._old = dict(old)
        self.result = Comparison()

    def add(self, record: Record) -> None:
        path = record["path"]
        before = self._old.pop(path, None)
        result = self.result
        if before is None:
            result.added += 1
            _keep(result.added_paths, path)
        elif before != record["sha256"]:
            result.changed += 1
            _keep(result.changed_paths, path)
        else:
            result.unchanged += 1

    def finish(self) -> Comparison:
        result = self.result
        result.missing = len(self._old)
        result.missing_paths = sorted(self._old)[:MAX_LISTED]
        self._old.clear()
        return result


def _keep(paths: list[str], path: str) -> None:
    if len(paths) < MAX_LISTED:
        paths.append(path)


def compare(old: dict[str, str], new: Iterable[Record]) -> Comparison:
    comparer = Comparer(old)
    for record in new:
        comparer.add(record)
    return comparer.finish()


def compare_files(old: Path, new: Path) -> Comparison:
    return compare(load_digests(old), read_records(new))
