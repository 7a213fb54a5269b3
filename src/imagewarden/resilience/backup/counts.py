"""The archive's own counts (a CSV export or Orthanc's REST statistics) versus the files.

A backup that hashes cleanly can still be incomplete: a study whose series never reached the
backup target. The archive knows how many instances each study should have.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imagewarden.model import InfrastructureError, Location, UserInputError

_MAX_STATISTICS = 64 * 1024

_STUDY_COLUMNS = ("study_instance_uid", "studyinstanceuid", "study_uid", "study")
_INSTANCE_COLUMNS = ("instances", "numberofstudyrelatedinstances", "instance_count", "count")


@dataclass(frozen=True, slots=True)
class CountCheck:
    """The backup's instances against the archive's own counts."""

    source: str
    expected_instances: int
    found_instances: int
    studies_expected: int = 0
    studies_found: int = 0
    short_studies: int = 0
    """Studies with fewer instances in the backup than the archive lists."""
    missing_studies: int = 0
    extra_studies: int = 0

    @property
    def matches(self) -> bool:
        """Every instance is there and no study is missing or short."""
        return (
            self.expected_instances == self.found_instances
            and not self.short_studies
            and not self.missing_studies
        )

    def as_dict(self) -> dict[str, object]:
        """The counts and the verdict, JSON-ready."""
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

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CountCheck:
        """Read what ``as_dict`` wrote."""
        return cls(
            source=str(data["source"]),
            expected_instances=int(data["expected_instances"]),
            found_instances=int(data["found_instances"]),
            studies_expected=int(data["studies_expected"]),
            studies_found=int(data["studies_found"]),
            short_studies=int(data["short_studies"]),
            missing_studies=int(data["missing_studies"]),
            extra_studies=int(data["extra_studies"]),
        )


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
    """Instances per study in the backup against an export of the archive's counts."""
    missing = short = 0
    for study, count in expected.items():
        have = found.get(study, 0)
        if have == 0:
            missing += 1
        elif have < count:
            short += 1
    return CountCheck(
        source=source,
        expected_instances=sum(expected.values()),
        found_instances=sum(found.values()),
        studies_expected=len(expected),
        studies_found=len(found),
        short_studies=short,
        missing_studies=missing,
        extra_studies=sum(1 for study in found if study not in expected),
    )


def orthanc_statistics(url: str, *, timeout: float = 10.0) -> dict[str, int]:
    """GET {url}/statistics from an Orthanc server (CountStudies, CountInstances, ...)."""
    # imported here: the HTTP client and the store are not needed to verify a folder, and
    # `backup verify` starts faster without them
    import httpx

    from imagewarden.store import mask_credentials

    shown = mask_credentials(url)
    try:
        # a bounded read: statistics are a few hundred bytes; a peer cannot make us hold more
        with httpx.stream("GET", url.rstrip("/") + "/statistics", timeout=timeout) as response:
            response.raise_for_status()
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > _MAX_STATISTICS:
                    raise UserInputError("Orthanc statistics are larger than 64 KiB", hint=shown)
        data = json.loads(body)
    except httpx.TransportError as exc:
        raise InfrastructureError(
            f"cannot reach the Orthanc server {shown}: {type(exc).__name__}"
        ) from None
    except httpx.HTTPStatusError as exc:
        raise UserInputError(
            f"Orthanc answered HTTP {exc.response.status_code} for /statistics", hint=shown
        ) from None
    except (httpx.HTTPError, ValueError):
        raise UserInputError("Orthanc statistics are not JSON", hint=shown) from None
    if not isinstance(data, dict):
        raise UserInputError("Orthanc statistics are not a JSON object", hint=shown)
    return {k: int(v) for k, v in data.items() if isinstance(v, int | str) and str(v).isdigit()}


def check_orthanc(stats: dict[str, int], found: Counter[str], source: str) -> CountCheck:
    """The backup's totals against an Orthanc server's statistics."""
    return CountCheck(
        source=source,
        expected_instances=stats.get("CountInstances", 0),
        found_instances=sum(found.values()),
        studies_expected=stats.get("CountStudies", 0),
        studies_found=len(found),
        missing_studies=max(0, stats.get("CountStudies", 0) - len(found)),
    )
