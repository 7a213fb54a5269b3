"""Findings in the store: queries, a person's decisions, and an assessment's write.

An assessment updates findings in place. A person's decision (accept, false positive, reopen)
adds one to the finding's ``revision``; the assessment changes a status only where the row is
still at the revision it read, so a decision recorded while it ran is never overwritten.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Text, delete, func, insert, literal, select
from sqlalchemy import cast as cast_to
from sqlalchemy.orm import Session

from imagewarden.model import (
    AssessmentRun,
    Finding,
    FindingStatus,
    Severity,
    StoredLifecycle,
    UserInputError,
)
from imagewarden.store import audit, codec
from imagewarden.store.chunks import FETCH, chunks
from imagewarden.store.finding_writes import (
    StagedFindings,
    open_by_severity,
    stored_lifecycles,
    write_staged,
)
from imagewarden.store.schema import (
    AssessmentRow,
    DerivedFactsRow,
    FindingRow,
    RiskFactorSetRow,
    SafeguardListRow,
)

if TYPE_CHECKING:
    from imagewarden.model import FactValue, SubjectKind
    from imagewarden.store.audit import Change

_BY_RANK = sorted(Severity, key=lambda s: -s.rank)


@dataclass(frozen=True, slots=True)
class RecordedAssessment:
    """What an assessment wrote: the run and what changed."""

    run: AssessmentRun
    new: int
    mitigated: int
    reopened: int
    conflicts: int
    """Findings whose status a person changed while the assessment ran (their decision kept)."""
    open_by_severity: Mapping[Severity, int]
    """Open findings after the run, every severity (critical first), zeros included."""


@dataclass(frozen=True, slots=True)
class FindingFilter:
    site_id: str | None = None
    min_severity: Severity | None = None
    check_id: str | None = None
    status: FindingStatus | None = None
    asset_id: str | None = None


class FindingRecords:
    """The findings half of the Store (mixed into ``Store``, which supplies the sessions)."""

    engine: Engine

    if TYPE_CHECKING:  # supplied by Store

        def reading(self) -> contextlib.AbstractContextManager[Session]: ...

        def writing(self) -> contextlib.AbstractContextManager[Session]: ...

        def writer(self) -> Session: ...

        def connection(self) -> contextlib.AbstractContextManager[Connection]: ...

        def changing(
            self, actor: str, action: str, target: str
        ) -> contextlib.AbstractContextManager[Change]: ...

    @staticmethod
    def _existing(session: Session, column: Any, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for chunk in chunks(ids):
            found.update(session.scalars(select(column).where(column.in_(chunk))))
        return found

    def findings(
        self, where: FindingFilter | None = None, *, evidence: bool = True, limit: int = 0
    ) -> list[Finding]:
        """Findings matching ``where``, highest risk first; at most ``limit`` (0: all).

        ``evidence=False`` leaves every finding's evidence empty without reading or decoding
        it (e.g. a listing that shows no evidence).
        """
        return list(self.each_finding(where, evidence=evidence, limit=limit))

    def each_finding(
        self, where: FindingFilter | None = None, *, evidence: bool = True, limit: int = 0
    ) -> Iterator[Finding]:
        """``findings`` one at a time, read a batch at a time: a listing of half a million
        findings written out as it is read holds one batch, not all of them."""
        where = where or FindingFilter()
        query = select(*_finding_columns(evidence=evidence))
        if where.site_id is not None:
            query = query.where(FindingRow.site_id == where.site_id)
        if where.check_id is not None:
            query = query.where(FindingRow.check_id == where.check_id)
        if where.status is not None:
            query = query.where(FindingRow.status == where.status.value)
        if where.asset_id is not None:
            query = query.where(FindingRow.asset_id == where.asset_id)
        if where.min_severity is not None:
            allowed = [s.value for s in Severity if s.rank >= where.min_severity.rank]
            query = query.where(FindingRow.severity.in_(allowed))
        query = query.order_by(FindingRow.risk_score.desc(), FindingRow.id)
        if limit:
            query = query.limit(limit)
        with self.connection() as connection:
            for row in connection.execute(query).yield_per(FETCH):
                yield codec.finding_from_row(row)

    def finding_lifecycles(self) -> dict[str, StoredLifecycle]:
        """Every stored finding's lifecycle and the revision guarding it (read before an
        assessment evaluates; see ``record_staged``)."""
        with self.connection() as connection:
            return stored_lifecycles(connection)

    def staged_findings(self, now: dt.datetime) -> StagedFindings:
        """An empty stage for the findings of an assessment running at ``now``."""
        return StagedFindings(self.engine.dialect, now)

    def record_assessment(
        self,
        findings: Iterable[Finding],
        previous: Mapping[str, Finding],
        *,
        started_at: dt.datetime,
        finished_at: dt.datetime,
        catalog_version: str,
        assets: int,
        method: Mapping[str, Any] | None = None,
        derived: Iterable[tuple[SubjectKind, str, Mapping[str, FactValue]]] = (),
        actor: str = "system",
    ) -> RecordedAssessment:
        """Write merged findings (``engine.lifecycle.merge``) over ``previous``, what was
        read before evaluating: ``record_staged`` of the same findings."""
        staged = self.staged_findings(started_at)
        for finding in findings:
            before = previous.get(finding.id)
            if before is None:
                staged.insert(finding.observed(), finding.lifecycle(), finding.revision)
                continue
            if finding.last_seen == started_at:
                staged.update(finding.observed())
            else:  # kept from before, not observed by this assessment
                staged.keep(finding.id)
            read = StoredLifecycle(before.lifecycle(), before.revision)
            staged.move(finding.id, read, finding.lifecycle())
        return self.record_staged(
            staged,
            started_at=started_at,
            finished_at=finished_at,
            catalog_version=catalog_version,
            assets=assets,
            method=method,
            derived=derived,
            actor=actor,
        )

    def record_staged(
        self,
        staged: StagedFindings,
        *,
        started_at: dt.datetime,
        finished_at: dt.datetime,
        catalog_version: str,
        assets: int,
        method: Mapping[str, Any] | None = None,
        derived: Iterable[tuple[SubjectKind, str, Mapping[str, FactValue]]] = (),
        actor: str = "system",
    ) -> RecordedAssessment:
        """Write an assessment's staged findings in place, in one transaction.

        Facts (title, severity, risk, evidence, last_seen) are always updated. Lifecycle
        fields (status, reason, acceptance date) change only where the row's revision is
        still the one the assessment read: a decision a person recorded while it ran is never
        overwritten (compare-and-set). Such findings are reported as conflicts and keep the
        person's decision.
        """
        with self.writer() as session, session.begin():
            run = AssessmentRow(
                started_at=started_at,
                finished_at=finished_at,
                catalog_version=catalog_version,
                assets=assets,
                findings_open=0,
                findings_new=0,
                findings_mitigated=0,
                method=json.dumps(dict(method or {}), sort_keys=True),
            )
            session.add(run)
            session.flush()
            self._replace_derived_facts(session, derived, run.id)
            connection = session.connection()
            written = write_staged(connection, staged, run.id)
            by_value = open_by_severity(connection)
            by_severity = {s: by_value.get(s.value, 0) for s in _BY_RANK}
            run.findings_new = written.new
            run.findings_mitigated = written.mitigated
            run.findings_open = sum(by_severity.values())
            audit.append(
                audit.Change(
                    session,
                    actor,
                    "assessment.run",
                    f"assessment {run.id}",
                    after={
                        "assets": assets,
                        "open": run.findings_open,
                        "new": run.findings_new,
                        "mitigated": run.findings_mitigated,
                        "kept_decisions": written.conflicts,
                    },
                )
            )
            return RecordedAssessment(
                run=_run_from_row(run),
                new=written.new,
                mitigated=written.mitigated,
                reopened=written.reopened,
                conflicts=written.conflicts,
                open_by_severity=by_severity,
            )

    @staticmethod
    def _replace_derived_facts(
        session: Session,
        derived: Iterable[tuple[SubjectKind, str, Mapping[str, FactValue]]],
        assessment_id: int,
    ) -> None:
        session.execute(delete(DerivedFactsRow))
        rows = [
            {
                "subject_kind": kind.value,
                "subject_id": subject_id,
                "facts": json.dumps(codec.encode_facts(facts), sort_keys=True),
                "assessment_id": assessment_id,
            }
            for kind, subject_id, facts in derived
            if facts
        ]
        for start in range(0, len(rows), 5000):
            session.execute(insert(DerivedFactsRow), rows[start : start + 5000])

    def derived_facts(self, kind: SubjectKind) -> dict[str, dict[str, FactValue]]:
        """Facts the latest assessment derived, per subject id of ``kind``."""
        query = select(DerivedFactsRow.subject_id, DerivedFactsRow.facts).where(
            DerivedFactsRow.subject_kind == kind.value
        )
        with self.connection() as connection:
            return {
                subject_id: codec.decode_facts(json.loads(text))
                for subject_id, text in connection.execute(query)
            }

    def resolve_finding_id(self, prefix: str) -> str:
        """The one finding id starting with ``prefix`` (a user may type a short prefix)."""
        text = prefix.strip()
        if len(text) < 6:
            raise UserInputError(
                f"finding id {text!r} is too short",
                hint="give at least 6 characters, e.g. iwf-1a2b",
            )
        escaped = text.replace("!", "!!").replace("%", "!%").replace("_", "!_")
        query = (
            select(FindingRow.id)
            .where(FindingRow.id.like(escaped + "%", escape="!"))
            .order_by(FindingRow.id)
            .limit(3)
        )
        with self.connection() as connection:
            found = list(connection.scalars(query))
        if not found:
            raise UserInputError(
                f"no finding with id {text!r}", hint="see 'imagewarden findings list'"
            )
        if len(found) > 1:
            raise UserInputError(
                f"finding id {text!r} is ambiguous ({', '.join(found[:2])}, ...)",
                hint="give more characters of the id",
            )
        return found[0]

    def finding_count(self) -> int:
        """How many findings the store holds, any status."""
        with self.connection() as connection:
            return int(connection.scalar(select(func.count()).select_from(FindingRow)) or 0)

    @staticmethod
    def _findings_by_id(session: Session, ids: Sequence[str]) -> dict[str, Finding]:
        return _findings_by_id(session.connection(), ids)

    def latest_assessment(self) -> AssessmentRun | None:
        with self.reading() as session:
            row = session.scalars(select(AssessmentRow).order_by(AssessmentRow.id.desc())).first()
            return _run_from_row(row) if row else None

    def set_finding_status(
        self,
        finding_id: str,
        status: FindingStatus,
        reason: str,
        accepted_until: dt.date | None = None,
        *,
        actor: str = "system",
    ) -> Finding:
        """Record a person's decision about a finding (audited); it survives a running
        assessment, which changes a status only at the revision it read."""
        action = f"finding.{status.value}"
        with self.changing(actor, action, finding_id) as change:
            row = change.session.get(FindingRow, finding_id)
            if row is None:
                raise UserInputError(
                    f"no finding with id {finding_id!r}", hint="see 'imagewarden findings list'"
                )
            change.before = _decision(row)
            row.status = status.value
            row.status_reason = reason
            row.accepted_until = accepted_until
            row.revision = row.revision + 1
            change.session.flush()
            change.after = _decision(row)
            return _findings_by_id(change.session.connection(), [finding_id])[finding_id]


def _decision(row: FindingRow) -> dict[str, Any]:
    """The lifecycle fields of a finding row, as the audit log records them."""
    return {
        "status": row.status,
        "reason": row.status_reason,
        "accepted_until": row.accepted_until.isoformat() if row.accepted_until else None,
        "revision": row.revision,
    }


def _finding_columns(*, evidence: bool = True) -> list[Any]:
    """Finding columns, the JSON ones as text (decoded, with memoisation, by the codec).

    Without ``evidence`` the evidence column is an empty JSON object, never read.
    """

    def column_of(column: Any) -> Any:
        if column.name == "evidence" and not evidence:
            return literal("{}", Text).label(column.name)
        if column.name in codec.FINDING_JSON_COLUMNS:
            return cast_to(column, Text).label(column.name)
        if column.name == "risk_key":
            return _shared_text(RiskFactorSetRow.factors, column).label("risk_factors")
        if column.name == "safeguards_key":
            return _shared_text(SafeguardListRow.safeguards, column).label("safeguards")
        return column

    return [column_of(column) for column in FindingRow.__table__.columns]


def _shared_text(text: Any, key: Any) -> Any:
    """The JSON text a finding's ``key`` column names in the table of ``text``."""
    return select(text).where(text.table.c.id == key).scalar_subquery()


def shared_values(connection: Connection) -> dict[str, str]:
    """Every risk factor set and safeguard list: key to JSON text (a few hundred, however
    many findings; keys are hashes of the text, so the two never collide)."""
    found: dict[str, str] = {}
    for table in (RiskFactorSetRow.__table__, SafeguardListRow.__table__):
        key, text = table.c
        found.update((k, v) for k, v in connection.execute(select(key, text)))
    return found


def _findings_by_id(connection: Connection, ids: Sequence[str]) -> dict[str, Finding]:
    found: dict[str, Finding] = {}
    for chunk in chunks(ids):
        query = select(*_finding_columns()).where(FindingRow.id.in_(chunk))
        for row in connection.execute(query):
            found[row.id] = codec.finding_from_row(row)
    return found


def _run_from_row(row: AssessmentRow) -> AssessmentRun:
    return AssessmentRun(
        id=row.id,
        started_at=codec.utc(row.started_at),
        finished_at=codec.utc(row.finished_at),
        catalog_version=row.catalog_version,
        assets=row.assets,
        findings_open=row.findings_open,
        findings_new=row.findings_new,
        findings_mitigated=row.findings_mitigated,
        method=json.loads(row.method or "{}"),
    )
