"""The OR-configuration entries of one (vendor, product), arranged for fast version lookups.

Most NVD entries are "every version before X" (versionEndExcluding) or one exact version. For
those, sorting by the bound lets one binary search find every affected CVE for a version, and
exact versions are a dictionary lookup; everything else (start bounds, update fields) is
checked entry by entry. This keeps matching thousands of assets against a full NVD import
well under a second.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cmp_to_key, lru_cache

from imagewarden.model.versions import compare, is_version, open_ended, version_key
from imagewarden.vulns.cpe import is_any
from imagewarden.vulns.interface import Confidence, CpeMatch, Identity

_Ordered = cmp_to_key(compare)


@lru_cache(maxsize=65536)
def exact_key(version: str) -> tuple[int | str, ...]:
    """Equal for versions ``compare`` finds equal ("12.2.8" and "12.2.8.0")."""
    key = list(version_key(version))
    while key and key[-1] == 0:
        key.pop()
    return tuple(key)


def _ranged(entry: CpeMatch) -> bool:
    return bool(
        entry.start_including or entry.start_excluding or entry.end_including or entry.end_excluding
    )


def _after_start(version: str, entry: CpeMatch) -> bool:
    if entry.start_including and compare(version, entry.start_including) < 0:
        return False
    return not (entry.start_excluding and compare(version, entry.start_excluding) <= 0)


class BoundOrder:
    """Every distinct bound of the loaded entries, sorted once; a bound's rank is its place.

    Ranks are plain integers, so per-product lists sort natively, and an asset version is
    placed among the bounds with one binary search (memoised per version).
    """

    def __init__(self, bounds: set[str]) -> None:
        ordered = sorted(bounds, key=_Ordered)
        self.rank = {bound: place for place, bound in enumerate(ordered)}
        self._keys = [_Ordered(bound) for bound in ordered]
        self._places: dict[str, tuple[int, int]] = {}

    def place(self, version: str) -> tuple[int, int]:
        """(bounds strictly before the version, bounds not after it)."""
        found = self._places.get(version)
        if found is None:
            probe = _Ordered(version)
            found = (bisect_left(self._keys, probe), bisect_right(self._keys, probe))
            self._places[version] = found
        return found


@dataclass
class RangeIndex:
    """The OR-configuration entries of one (vendor, product), sorted for version lookups."""

    any_version: list[tuple[str, CpeMatch]] = field(default_factory=list)
    exact: dict[tuple[int | str, ...], list[tuple[str, CpeMatch]]] = field(default_factory=dict)
    before: list[tuple[str, CpeMatch]] = field(default_factory=list)
    """versionEndExcluding (and maybe a start bound), sorted by the end bound."""
    before_keys: list[int] = field(default_factory=list)
    through: list[tuple[str, CpeMatch]] = field(default_factory=list)
    """versionEndIncluding (and maybe a start bound), sorted by the end bound."""
    through_keys: list[int] = field(default_factory=list)
    other: list[tuple[str, CpeMatch]] = field(default_factory=list)
    """Update fields, or a version next to a range: checked one by one."""
    every: list[tuple[str, CpeMatch]] = field(default_factory=list)

    def add(self, cve: str, entry: CpeMatch) -> None:
        """Index one vulnerable entry of a CVE."""
        self.every.append((cve, entry))
        if not is_any(entry.update):
            self.other.append((cve, entry))
        elif not _ranged(entry):
            if is_any(entry.version):
                self.any_version.append((cve, entry))
            else:
                self.exact.setdefault(exact_key(entry.version), []).append((cve, entry))
        elif not is_any(entry.version):
            self.other.append((cve, entry))
        elif entry.end_excluding and not entry.end_including:
            self.before.append((cve, entry))
        elif entry.end_including and not entry.end_excluding:
            self.through.append((cve, entry))
        else:
            self.other.append((cve, entry))

    def bounds(self) -> Iterator[str]:
        """Every version bound used by a sorted list (to be ranked together)."""
        for _, entry in self.before:
            yield entry.end_excluding
        for _, entry in self.through:
            yield entry.end_including

    def freeze(self, order: BoundOrder) -> None:
        """Sort the bounded lists by the shared bound order; call once after adding."""
        self.before.sort(key=lambda item: order.rank[item[1].end_excluding])
        self.before_keys = [order.rank[entry.end_excluding] for _, entry in self.before]
        self.through.sort(key=lambda item: order.rank[item[1].end_including])
        self.through_keys = [order.rank[entry.end_including] for _, entry in self.through]

    def affected(
        self, who: Identity, order: BoundOrder
    ) -> Iterator[tuple[str, CpeMatch, Confidence | None]]:
        """Entries covering the identity; None as confidence means "check this entry"."""
        if not who.version or not is_version(who.version) or open_ended(who.version):
            for cve, entry in self.every:
                yield cve, entry, None
            return
        for cve, entry in self.any_version:
            yield cve, entry, Confidence.CONFIRMED
        for cve, entry in self.exact.get(exact_key(who.version), ()):
            yield cve, entry, Confidence.CONFIRMED
        below, not_above = order.place(who.version)
        # "before X" covers the version when X is above it: rank >= bounds not above it.
        for cve, entry in self.before[bisect_left(self.before_keys, not_above) :]:
            if _after_start(who.version, entry):
                yield cve, entry, Confidence.CONFIRMED
        # "through X" covers it when X is not below it: rank >= bounds strictly before it.
        for cve, entry in self.through[bisect_left(self.through_keys, below) :]:
            if _after_start(who.version, entry):
                yield cve, entry, Confidence.CONFIRMED
        for cve, entry in self.other:
            yield cve, entry, None
