"""Findings in the store: queries, a person's decisions, and an assessment's write.

An assessment updates findings in place. A person's decision (accept, false positive, reopen)
adds one to the finding's ``revision``; the assessment changes a status only where the row is
still at the revision it read, so a decision recorded while it ran is never overwritten.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    Text,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy import cast as cast_to
from sqlalchemy.orm import Session

from imagewarden.model import (
    AssessmentRun,
    Finding,
    FindingStatus,
    Severity,
    UserInputError,
)
from imagewarden.store import audit, codec
from imagewarden.store.chunks import chunks

if TYPE_CHECKING:
    from imagewarden.model import FactValue, SubjectKind
    from imagewarden.store.audit import Change
from imagewarden.store.schema import AssessmentRow, DerivedFactsRow, FindingRow

if TYPE_CHECKING:
    pass


@dataclass(frozen=True, slots=True)
class RecordedAssessment:
    """What an assessment wrote: the run, the findings as stored, and what changed."""

    run: AssessmentRun
    findings: list[Finding]
    new: int
    mitigated: int
    reopened: int
    conflicts: int
    """Findings whose status a person changed while the assessment ran (their decision kept)."""


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
            return [codec.finding_from_row(r) for r in connection.execute(query)]

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
        """Write the merged result of an assessment in place, in one transaction.

        ``previous`` is what the assessment read before it evaluated. Facts (title, severity,
        risk, evidence, last_seen) are always updated. Lifecycle fields (status, reason,
        acceptance date) change only where the merge changed them AND the row's revision is
        still the one that was read: a decision a person recorded while the assessment ran
        is never overwritten (compare-and-set). Such findings are reported as conflicts and
        keep the person's decision.
        """
        findings = list(findings)
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
            added = [f for f in findings if f.id not in previous]
            kept = [f for f in findings if f.id in previous]
            inserted = self._insert_new_findings(session, added, run.id)
            moved = self._moved_since(session, previous)
            self._update_finding_facts(session, kept, run.id)
            changed = [
                f for f in kept if f.id not in moved and _lifecycle(f) != _lifecycle(previous[f.id])
            ]
            self._set_lifecycles(session, changed, previous)
            conflicts = {
                f.id for f in kept if f.id in moved and _lifecycle(f) != _lifecycle(previous[f.id])
            }
            counted = _status_counts(changed, previous)
            run.findings_new = len(inserted)
            run.findings_mitigated = counted["mitigated"]
            run.findings_open = (
                session.scalar(
                    select(func.count())
                    .select_from(FindingRow)
                    .where(FindingRow.status == FindingStatus.OPEN.value)
                )
                or 0
            )
            # Rows another writer touched are returned as stored, not as this run merged them.
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
                        "kept_decisions": len(conflicts),
                    },
                )
            )
            stored = self._findings_by_id(
                session, sorted(moved | {f.id for f in added if f.id not in inserted})
            )
            result = [stored.get(f.id, f) for f in findings]
            return RecordedAssessment(
                run=_run_from_row(run),
                findings=result,
                new=len(inserted),
                mitigated=counted["mitigated"],
                reopened=counted["reopened"],
                conflicts=len(conflicts),
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

    def _insert_new_findings(
        self, session: Session, findings: Sequence[Finding], assessment_id: int
    ) -> set[str]:
        """Insert findings never seen before; returns the ids actually inserted (a row that
        appeared meanwhile is left as it is)."""
        if not findings:
            return set()
        existing = self._existing(session, FindingRow.id, [f.id for f in findings])
        fresh = [f for f in findings if f.id not in existing]
        rows = codec.finding_rows(fresh, assessment_id)
        statement = _finding_insert(self.engine.dialect.name)
        for start in range(0, len(rows), 5000):
            session.execute(statement, rows[start : start + 5000])
        return {f.id for f in fresh}

    @staticmethod
    def _update_finding_facts(
        session: Session, findings: Sequence[Finding], assessment_id: int
    ) -> None:
        """What the assessment observed, never the lifecycle fields a person may own."""
        if not findings:
            return
        columns = (
            "check_id",
            "subject_kind",
            "subject_id",
            "title",
            "severity",
            "risk_score",
            "site_id",
            "asset_id",
            "last_seen",
            "assessment_id",
            *codec.FINDING_JSON_COLUMNS,
        )
        # Only these keys: Core adds any other column named in the parameters to the SET
        # clause, which would write the stale lifecycle fields this update must not touch.
        rows = [
            {"key": row["id"]} | {name: row[name] for name in columns}
            for row in codec.finding_rows(findings, assessment_id)
        ]
        table = cast(Table, FindingRow.__table__)
        statement = (
            update(table)
            .where(table.c.id == bindparam("key"))
            .values(
                {
                    name: _json_bind(name, session)
                    if name in codec.FINDING_JSON_COLUMNS
                    else bindparam(name)
                    for name in columns
                }
            )
        )
        for start in range(0, len(rows), 5000):
            session.connection().execute(statement, rows[start : start + 5000])

    @staticmethod
    def _moved_since(session: Session, previous: Mapping[str, Finding]) -> set[str]:
        """Findings whose lifecycle someone changed after the assessment read them.

        Inside the write transaction: SQLite's write lock is held (BEGIN IMMEDIATE) and on
        PostgreSQL the rows are locked (FOR UPDATE), so nobody can change them until commit.
        """
        table = cast(Table, FindingRow.__table__)
        moved: set[str] = set()
        connection = session.connection()
        for chunk in chunks(sorted(previous)):
            query = (
                select(table.c.id, table.c.revision).where(table.c.id.in_(chunk)).with_for_update()
            )
            for key, revision in connection.execute(query):
                if revision != previous[key].revision:
                    moved.add(key)
        return moved

    @staticmethod
    def _set_lifecycles(
        session: Session, findings: Sequence[Finding], previous: Mapping[str, Finding]
    ) -> None:
        """Write each changed lifecycle, guarded by the revision that was read."""
        if not findings:
            return
        table = cast(Table, FindingRow.__table__)
        statement = (
            update(table)
            .where(table.c.id == bindparam("key"), table.c.revision == bindparam("read"))
            .values(
                status=bindparam("status"),
                status_reason=bindparam("status_reason"),
                accepted_until=bindparam("accepted_until"),
                mitigated_at=bindparam("mitigated_at"),
                revision=table.c.revision + 1,
            )
        )
        rows = [
            {
                "key": f.id,
                "read": previous[f.id].revision,
                "status": f.status.value,
                "status_reason": f.status_reason,
                "accepted_until": f.accepted_until,
                "mitigated_at": f.mitigated_at,
            }
            for f in findings
        ]
        connection = session.connection()
        for start in range(0, len(rows), 5000):
            connection.execute(statement, rows[start : start + 5000])

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
            return codec.finding_from_row(row)


def _decision(row: FindingRow) -> dict[str, Any]:
    """The lifecycle fields of a finding row, as the audit log records them."""
    return {
        "status": row.status,
        "reason": row.status_reason,
        "accepted_until": row.accepted_until.isoformat() if row.accepted_until else None,
        "revision": row.revision,
    }


def _lifecycle(finding: Finding) -> tuple[object, ...]:
    return (
        finding.status,
        finding.status_reason,
        finding.accepted_until,
        finding.mitigated_at,
    )


def _status_counts(changed: Sequence[Finding], previous: Mapping[str, Finding]) -> dict[str, int]:
    """Mitigations and reopenings this run wrote."""
    counts = {"mitigated": 0, "reopened": 0}
    for finding in changed:
        before = previous[finding.id].status
        if finding.status is FindingStatus.MITIGATED and before is not FindingStatus.MITIGATED:
            counts["mitigated"] += 1
        elif finding.status is FindingStatus.OPEN and before is not FindingStatus.OPEN:
            counts["reopened"] += 1
    return counts


def _json_bind(name: str, session: Session) -> Any:
    return _json_text_bind(FindingRow.__table__.c[name], session.get_bind().dialect.name)


def _json_text_bind(column: Any, dialect: str) -> Any:
    """A bind taking the codec's JSON text as is (a JSON-typed bind would encode it again).

    PostgreSQL needs the text cast to its json type; SQLite stores JSON as text already.
    """
    text = bindparam(column.name, type_=Text())
    return cast_to(text, column.type) if dialect == "postgresql" else text


def _finding_columns(*, evidence: bool = True) -> list[Any]:
    """Finding columns, the JSON ones as text (decoded, with memoisation, by the codec).

    Without ``evidence`` the evidence column is an empty JSON object, never read.
    """

    def column_of(column: Any) -> Any:
        if column.name == "evidence" and not evidence:
            return literal("{}", Text).label(column.name)
        if column.name in codec.FINDING_JSON_COLUMNS:
            return cast_to(column, Text).label(column.name)
        return column

    return [column_of(column) for column in FindingRow.__table__.columns]


def _findings_by_id(connection: Connection, ids: Sequence[str]) -> dict[str, Finding]:
    found: dict[str, Finding] = {}
    for chunk in chunks(ids):
        query = select(*_finding_columns()).where(FindingRow.id.in_(chunk))
        for row in connection.execute(query):
            found[row.id] = codec.finding_from_row(row)
    return found


def _finding_insert(dialect: str) -> Any:
    """INSERT of codec rows, the JSON columns as text."""
    table = cast(Table, FindingRow.__table__)

    def value(column: Any) -> Any:
        if column.name not in codec.FINDING_JSON_COLUMNS:
            return bindparam(column.name)
        return _json_text_bind(column, dialect)

    return insert(table).values({column.name: value(column) for column in table.columns})


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
