"""The archive's own counts (a CSV export or Orthanc's REST statistics) versus the files.

A backup that hashes cleanly can still be incomplete: a study whose series never reached the
backup target. The archive knows how many instances each study should have.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from imagewarden.model import Location, UserInputError

_STUDY_COLUMNS = ("study_instance_uid", "studyinstanceuid", "study_uid", "study")
_INSTANCE_COLUMNS = ("instances", "numberofstudyrelatedinstances", "instance_count", "count")


@dataclass
class CountCheck:
    source: str
    expected_instances: int
    found_instances: int
    studies_expected: int = 0
    studies_found: int = 0
    short_studies: int = 0
    """Studies with fewer instances in the backup than the archive lists."""
    missing_studies: int = 0
    extra_studies: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def matches(self) -> bool:
        return (
            self.expected_instances == self.found_instances
            and not self.short_studies
            and not self.missing_studies
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "expected_instances": self.expected_instances,
            "found_instances": self.found_instances,
            "studies_expected": self.studies_expected,
            "studies_found": self.studies_found,
            "short_studies": self.short_studies,
            "missing_studies": self.missing_studies,
            "extra_studies": self.extra_studies,
            "matches": self.matches,
        }


def _column(header: list[str], names: tuple[str, ...], path: Path, what: str) -> int:
    lowered = [h.strip().lower().replace(" ", "") for h in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    raise UserInputError(
        f"no {what} column (expected one of: {', '.join(names)})",
        Location(str(path), line=1),
    )


def read_export(path: Path) -> Counter[str]:
    """Per-study instance counts from a CSV export: study UID and instance count columns."""
    try:
        stream = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise UserInputError(f"cannot read: {exc.strerror}", Location(str(path))) from None
    counts: Counter[str] = Counter()
    with stream:
        rows = csv.reader(stream)
        header = next(rows, None)
        if header is None:
            raise UserInputError("empty CSV file", Location(str(path)))
        study_col = _column(header, _STUDY_COLUMNS, path, "study UID")
        count_col = _column(header, _INSTANCE_COLUMNS, path, "instance count")
        for line, row in enumerate(rows, start=2):
            if not any(cell.strip() for cell in row):
                continue
            try:
                study = row[study_col].strip()
                value = int(row[count_col])
            except (IndexError, ValueError):
                raise UserInputError(
                    "expected a study UID and a whole number of instances",
                    Location(str(path), line=line, field=header[count_col]),
                ) from None
            if not study or value < 0:
                raise UserInputError(
                    "empty study UID or negative count",
                    Location(str(path), line=line, field=header[study_col]),
                )
            counts[study] += value
    return counts


def check_export(expected: Counter[str], found: Counter[str], source: str) -> CountCheck:
    result = CountCheck(
        source=source,
        expected_instances=sum(expected.values()),
        found_instances=sum(found.values()),
        studies_expected=len(expected),
        studies_found=len(found),
    )
    for study, count in expected.items():
        have = found.get(study, 0)
        if have == 0:
            result.missing_studies += 1
        elif have < count:
            result.short_studies += 1
    result.extra_studies = sum(1 for study in found if study not in expected)
    return result


def orthanc_statistics(url: str, *, timeout: float = 10.0) -> dict[str, int]:
    """GET {url}/statistics from an Orthanc server (CountStudies, CountInstances, ...)."""
    try:
        response = httpx.get(url.rstrip("/") + "/statistics", timeout=timeout)
        response.raise_for_status()
        data = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise UserInputError(f"cannot read Orthanc statistics: {exc}", hint=url) from None
    if not isinstance(data, dict):
        raise UserInputError("Orthanc statistics are not a JSON object", hint=url)
    return {k: int(v) for k, v in data.items() if isinstance(v, int | str) and str(v).isdigit()}


def check_orthanc(stats: dict[str, int], found: Counter[str], source: str) -> CountCheck:
    return CountCheck(
        source=source,
        expected_instances=stats.get("CountInstances", 0),
        found_instances=sum(found.values()),
        studies_expected=stats.get("CountStudies", 0),
        studies_found=len(found),
        missing_studies=max(0, stats.get("CountStudies", 0) - len(found)),
    )
