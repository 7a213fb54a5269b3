"""The range index finds exactly what checking every entry one by one finds."""

from __future__ import annotations

import random

from imagewarden.vulns.interface import Confidence, CpeMatch, Identity
from imagewarden.vulns.matcher import _entry_match
from imagewarden.vulns.range_index import BoundOrder, RangeIndex

VERSIONS = [
    "1.0",
    "1.0.0",
    "1.2",
    "1.10",
    "2.0-rc1",
    "2.0",
    "2.0.1",
    "3.6.7",
    "3.6.8",
    "12.2.8",
    "12.2.8.410",
    "VA20A",
    "VB10",
    "4.0e",
    "",
    "unknown",
]


def _entry(rng: random.Random) -> CpeMatch:
    bound = lambda: rng.choice(VERSIONS[:-2])  # noqa: E731
    kind = rng.randrange(6)
    fields = {
        "version": "*",
        "update": "*",
        "start_including": "",
        "start_excluding": "",
        "end_including": "",
        "end_excluding": "",
    }
    if kind == 0:
        fields["version"] = bound()
    elif kind == 1:
        fields["end_excluding"] = bound()
    elif kind == 2:
        fields["end_including"] = bound()
    elif kind == 3:
        fields["start_including"], fields["end_excluding"] = bound(), bound()
    elif kind == 4:
        fields["start_excluding"], fields["end_including"] = bound(), bound()
    else:
        fields["update"] = rng.choice(["sp1", "*"])
    return CpeMatch(0, 0, "OR", True, "a", "acme", "pacs", **fields)


def test_index_agrees_with_entry_by_entry_checks() -> None:
    rng = random.Random(5)
    entries = [(f"CVE-2026-{n:04d}", _entry(rng)) for n in range(300)]
    index = RangeIndex()
    for cve, entry in entries:
        index.add(cve, entry)
    order = BoundOrder(set(index.bounds()))
    index.freeze(order)
    for version in VERSIONS:
        for update in ("", "sp1"):
            who = Identity("acme", "pacs", version, update)
            expected = {
                (cve, level)
                for cve, entry in entries
                if (level := _entry_match(entry, who)) is not None
            }
            got = set()
            for cve, entry, level in index.affected(who, order):
                final: Confidence | None = level or _entry_match(entry, who)
                if final is not None:
                    got.add((cve, final))
            assert got == expected, (version, update)
