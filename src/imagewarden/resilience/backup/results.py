"""What a backup check found, as frozen values that travel: from a site worker to the centre.

Collecting (``backup verify``, ``backup restore-test``) needs no database and returns one of
these; applying it stores the check and its facts (``resilience.api``). ``to_json`` and
``from_json`` give the form a worker sends: counts, the problem files (a bounded list) and
the facts for the asset; never file contents or patient attributes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imagewarden.model import FACTS, FactType, FactValue, UserInputError
from imagewarden.resilience.backup.compare import Comparison
from imagewarden.resilience.backup.counts import CountCheck

MAX_PROBLEMS_KEPT = 10_000
"""Problem files a result carries by name; counts are always complete."""


@dataclass(frozen=True, slots=True)
class FileProblem:
    """One file (path relative to the archive root) and what is wrong with it."""

    path: str
    problems: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        """``{"path": ..., "problems": [...]}``."""
        return {"path": self.path, "problems": list(self.problems)}


@dataclass(frozen=True, slots=True)
class VerifyRequest:
    """What ``backup verify`` is asked to do."""

    root: Path
    jobs: int | None = None
    """Hashing threads (None: one per core)."""
    manifest_out: Path | None = None
    against: Path | None = None
    """An earlier manifest to compare with."""
    resume: bool = False
    export_csv: Path | None = None
    """The archive's per-study instance counts."""
    orthanc_url: str | None = None
    """An Orthanc server whose ``/statistics`` give the expected totals."""
    asset_id: str = ""
    """The inventory asset the archive belongs to (its facts are recorded when applied)."""
    follow_links: bool = False
    """Read links whose target leaves the archive's tree (by default reported, not read)."""


@dataclass(frozen=True, slots=True)
class RestoreRequest:
    """What ``backup restore-test`` is asked to do."""

    root: Path
    sample: int = 100
    rto_hours: float = 72.0
    scratch: Path | None = None
    seed: int = 0
    asset_id: str = ""
    follow_links: bool = False
    """Restore links whose target leaves the archive's tree (by default never sampled)."""


def _facts_json(facts: Mapping[str, FactValue]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in facts.items()}


def _facts_from_json(raw: Mapping[str, Any]) -> dict[str, FactValue]:
    facts: dict[str, FactValue] = {}
    for name, value in raw.items():
        spec = FACTS.get(name)
        if spec is None:
            raise UserInputError(f"unknown fact {name!r} in a backup result")
        facts[name] = dt.date.fromisoformat(value) if spec.type is FactType.DATE else value
    return facts


def _time(value: str) -> dt.datetime:
    when = dt.datetime.fromisoformat(value)
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class BackupVerification:
    """Everything one ``backup verify`` run found, and the facts it means for the asset."""

    root: str
    layout: str
    started_at: dt.datetime
    seconds: float
    files: int
    bytes: int
    ok: int
    problem_files: int
    integrity_files: int
    """Files with a problem that stops them restoring as usable images (see classify)."""
    resumed: int
    studies: int
    series: int
    duplicate_sop_instances: int
    problem_counts: Mapping[str, int]
    problems: tuple[FileProblem, ...]
    """The first ``MAX_PROBLEMS_KEPT`` problem files, in listing order."""
    manifest: str = ""
    """The manifest written, if one was asked for."""
    comparison: Comparison | None = None
    counts: CountCheck | None = None
    asset_id: str = ""
    facts: Mapping[str, FactValue] = field(default_factory=dict)
    """Facts of the asset this result means (recorded when applied with an asset)."""

    @property
    def empty_archive(self) -> bool:
        """The tree holds no file at all: nothing would restore."""
        return self.files == 0

    @property
    def failed(self) -> bool:
        """A result the user must be told about (exit 1): problem files, an empty archive,
        missing or changed files since the earlier manifest, or counts that do not match."""
        comparison = self.comparison
        differs = comparison is not None and bool(comparison.missing or comparison.changed)
        mismatch = self.counts is not None and not self.counts.matches
        return bool(self.problem_files) or self.empty_archive or differs or mismatch

    def summary(self) -> dict[str, Any]:
        """Counts only (no file names): what the database keeps of the check."""
        summary: dict[str, Any] = {
            "root": self.root,
            "layout": self.layout,
            "files": self.files,
            "bytes": self.bytes,
            "ok": self.ok,
            "problem_files": self.problem_files,
            "integrity_files": self.integrity_files,
            "problems": dict(sorted(self.problem_counts.items())),
            "studies": self.studies,
            "series": self.series,
            "duplicate_sop_instances": self.duplicate_sop_instances,
            "resumed": self.resumed,
            "seconds": round(self.seconds, 3),
            "comparison": self.comparison.as_dict() if self.comparison else None,
        }
        if self.counts is not None:
            summary["counts"] = self.counts.as_dict()
        return summary

    def to_json(self) -> dict[str, Any]:
        """The whole result as JSON-ready data (``from_json`` reads it back)."""
        return {
            **self.summary(),
            "seconds": self.seconds,
            "started_at": self.started_at.isoformat(),
            "manifest": self.manifest,
            "asset_id": self.asset_id,
            "problem_files_listed": [p.as_json() for p in self.problems],
            "comparison": self.comparison.to_json() if self.comparison else None,
            "counts": self.counts.as_dict() if self.counts else None,
            "facts": _facts_json(self.facts),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BackupVerification:
        """Read what ``to_json`` wrote (a worker's message); bad data is a ``UserInputError``."""
        try:
            return cls(
                root=str(data["root"]),
                layout=str(data["layout"]),
                started_at=_time(data["started_at"]),
                seconds=float(data["seconds"]),
                files=int(data["files"]),
                bytes=int(data["bytes"]),
                ok=int(data["ok"]),
                problem_files=int(data["problem_files"]),
                integrity_files=int(data["integrity_files"]),
                resumed=int(data["resumed"]),
                studies=int(data["studies"]),
                series=int(data["series"]),
                duplicate_sop_instances=int(data["duplicate_sop_instances"]),
                problem_counts={str(k): int(v) for k, v in data["problems"].items()},
                problems=tuple(
                    FileProblem(str(p["path"]), tuple(map(str, p["problems"])))
                    for p in data["problem_files_listed"]
                ),
                manifest=str(data["manifest"]),
                comparison=Comparison.from_json(data["comparison"]) if data["comparison"] else None,
                counts=CountCheck.from_json(data["counts"]) if data["counts"] else None,
                asset_id=str(data["asset_id"]),
                facts=_facts_from_json(data["facts"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise UserInputError(f"not a backup verification result ({exc})") from None


@dataclass(frozen=True, slots=True)
class RestoreTestResult:
    """What one restore test measured, and the facts it means for the asset."""

    root: str
    started_at: dt.datetime
    archive_files: int
    archive_bytes: int
    sample_files: int
    sample_bytes: int
    seconds: float
    rto_hours: float
    failed: tuple[FileProblem, ...] = ()
    """Restored files that failed verification, with the reason."""
    not_sampled: tuple[FileProblem, ...] = ()
    """Entries the listing reported instead of offering for the sample (a link leaving the
    tree, a broken link, an unreadable folder): at most ``MAX_PROBLEMS_KEPT``."""
    asset_id: str = ""
    facts: Mapping[str, FactValue] = field(default_factory=dict)

    @property
    def bytes_per_second(self) -> float:
        """The sample's restore speed."""
        return self.sample_bytes / self.seconds if self.seconds > 0 else 0.0

    @property
    def estimated_hours(self) -> float:
        """Hours to restore the whole archive at the sample's speed (files and bytes)."""
        if not self.sample_files or self.seconds <= 0:
            return 0.0
        per_file = self.seconds / self.sample_files
        by_files = per_file * self.archive_files
        by_bytes = self.archive_bytes / self.bytes_per_second if self.sample_bytes else 0.0
        # small files are bound by per-file cost, big ones by throughput: take the worse
        return max(by_files, by_bytes) / 3600

    @property
    def within_rto(self) -> bool:
        """The estimated restore time meets the RTO (time only: files that failed
        verification are their own verdict, ``failed``)."""
        return self.estimated_hours <= self.rto_hours

    @property
    def needs_attention(self) -> bool:
        """Exit 1: the estimate exceeds the RTO, a restored file failed verification, or the
        archive holds nothing to restore."""
        return not self.within_rto or bool(self.failed) or self.archive_files == 0

    def summary(self) -> dict[str, Any]:
        """Counts only (no file names): what the database keeps of the check."""
        return {
            "root": self.root,
            "archive_files": self.archive_files,
            "archive_bytes": self.archive_bytes,
            "sample_files": self.sample_files,
            "sample_bytes": self.sample_bytes,
            "seconds": round(self.seconds, 3),
            "mb_per_second": round(self.bytes_per_second / 1e6, 1),
            "estimated_hours": round(self.estimated_hours, 3),
            "rto_hours": self.rto_hours,
            "within_rto": self.within_rto,
            "failed": len(self.failed),
        }

    def to_json(self) -> dict[str, Any]:
        """The whole result as JSON-ready data (``from_json`` reads it back)."""
        return {
            **self.summary(),
            "seconds": self.seconds,
            "started_at": self.started_at.isoformat(),
            "asset_id": self.asset_id,
            "failed_files": [p.as_json() for p in self.failed],
            "not_sampled": [p.as_json() for p in self.not_sampled],
            "facts": _facts_json(self.facts),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RestoreTestResult:
        """Read what ``to_json`` wrote; bad data is a ``UserInputError``."""
        try:
            return cls(
                root=str(data["root"]),
                started_at=_time(data["started_at"]),
                archive_files=int(data["archive_files"]),
                archive_bytes=int(data["archive_bytes"]),
                sample_files=int(data["sample_files"]),
                sample_bytes=int(data["sample_bytes"]),
                seconds=float(data["seconds"]),
                rto_hours=float(data["rto_hours"]),
                failed=tuple(
                    FileProblem(str(p["path"]), tuple(map(str, p["problems"])))
                    for p in data["failed_files"]
                ),
                not_sampled=tuple(
                    FileProblem(str(p["path"]), tuple(map(str, p["problems"])))
                    for p in data.get("not_sampled", ())
                ),
                asset_id=str(data["asset_id"]),
                facts=_facts_from_json(data["facts"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise UserInputError(f"not a restore test result ({exc})") from None
