"""Observations: the one way any collector replaces what it knew with what it now knows.

Every collector (inventory import, discovery, backup checks, SBOM and MDS2 imports, capture
analysis, a site worker's batch) hands over an ``ObservationBatch``; ``replace_observations``
applies it in the caller's transaction. For each subject the batch covers, the facts it names
(or all facts, when it names none) from the batch's source are replaced by the batch's values:
a fact that disappeared from the source becomes unknown again instead of staying stale, and
facts from other sources are never touched.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, delete, select
from sqlalchemy.orm import Session

from imagewarden.model import FactValue, Observation, ObservationSource, SubjectKind
from imagewarden.store import codec
from imagewarden.store.bulk import insert_rows
from imagewarden.store.chunks import chunks, driver_rows
from imagewarden.store.schema import ObservationRow


@dataclass(frozen=True, slots=True)
class ObservationBatch:
    """What one collector learned, and what of the store it is authoritative for."""

    source: ObservationSource
    observations: tuple[Observation, ...]
    subjects: tuple[tuple[SubjectKind, str], ...] = ()
    """Subjects covered even if the batch holds no observation of them (their facts from
    this source are cleared). The subjects of the observations are always covered."""
    names: frozenset[str] | None = None
    """Only these facts are replaced; None replaces every fact of a covered subject."""

    def __post_init__(self) -> None:
        stray = {o.source for o in self.observations} - {self.source}
        if stray:
            raise ValueError(f"observations from {stray} in a batch of {self.source}")

    def covered(self) -> dict[SubjectKind, set[str]]:
        """Subject ids per kind that this batch is authoritative for."""
        found: dict[SubjectKind, set[str]] = defaultdict(set)
        for kind, subject_id in self.subjects:
            found[kind].add(subject_id)
        for obs in self.observations:
            found[obs.subject_kind].add(obs.subject_id)
        return found


def replace_observations(session: Session, batch: ObservationBatch) -> int:
    """Apply ``batch`` in the session's transaction; returns the observations written."""
    names = sorted(batch.names) if batch.names is not None else None
    for kind, ids in batch.covered().items():
        for chunk in chunks(sorted(ids)):
            statement = delete(ObservationRow).where(
                ObservationRow.subject_kind == kind.value,
                ObservationRow.subject_id.in_(chunk),
                ObservationRow.source == batch.source.value,
            )
            if names is not None:
                statement = statement.where(ObservationRow.name.in_(names))
            session.execute(statement)
    rows = (codec.observation_row(o) for o in _newest(batch.observations))
    return insert_rows(session, ObservationRow, rows)


def _newest(observations: Iterable[Observation]) -> list[Observation]:
    """One observation per subject, fact and source (the table's key): the newest wins."""
    newest: dict[tuple[SubjectKind, str, str], Observation] = {}
    for obs in observations:
        key = (obs.subject_kind, obs.subject_id, obs.name)
        current = newest.get(key)
        if current is None or obs.observed_at >= current.observed_at:
            newest[key] = obs
    return list(newest.values())


SubjectFacts = dict[tuple[SubjectKind, str], dict[str, FactValue]]
_MISSING = object()
_DECODED_CACHE = 65536
"""Distinct (type, text) values remembered while reading: facts repeat across subjects."""


def latest_facts(connection: Connection) -> SubjectFacts:
    """Per subject, the newest value of every observed fact, whichever source saw it.

    Rows are read in the order they were written and each fact is kept from its one row;
    only the subjects with a fact seen by several sources (the table holds one row per
    subject, fact and source) are read again, in time order, so that the newest wins (a tie
    goes to the later row, as in ``Store.observations`` order).
    """
    table = ObservationRow.__table__.c
    columns = (table.subject_kind, table.subject_id, table.name, table.value_type, table.value)
    kinds = {kind.value: kind for kind in SubjectKind}
    facts: SubjectFacts = {}
    names: dict[str, str] = {}
    decoded: dict[tuple[str, str], FactValue] = {}
    contested: dict[SubjectKind, set[str]] = defaultdict(set)
    rows = driver_rows(connection, select(*columns).order_by(table.id))
    for kind, subject_id, name, value_type, text in rows:
        key = (kinds[kind], subject_id)
        subject = facts.get(key)
        if subject is None:
            subject = facts[key] = {}
        elif name in subject:
            contested[key[0]].add(subject_id)
        value = decoded.get((value_type, text), _MISSING)
        if value is _MISSING:
            if len(decoded) >= _DECODED_CACHE:
                decoded.clear()
            value = decoded[(value_type, text)] = codec.decode_value(value_type, text)
        subject[names.setdefault(name, name)] = value  # type: ignore[assignment]
    for kind, ids in contested.items():
        for chunk in chunks(sorted(ids)):
            for key in ((kind, subject_id) for subject_id in chunk):
                facts[key] = {}
            query = (
                select(*columns)
                .where(table.subject_kind == kind.value, table.subject_id.in_(chunk))
                .order_by(table.observed_at, table.id)
            )
            for _kind, subject_id, name, value_type, text in connection.execute(query):
                facts[(kind, subject_id)][name] = codec.decode_value(value_type, text)
    return facts
