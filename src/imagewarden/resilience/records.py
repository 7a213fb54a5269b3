"""Reading and writing the resilience capability's records, and turning them into facts.

Results become observations (source ``probed``: measured, not declared) on the asset or site
they concern, so the catalog's checks and the report read them like any other fact.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from imagewarden.model import (
    FactValue,
    Observation,
    ObservationSource,
    SubjectKind,
    UserInputError,
)
from imagewarden.resilience.store.tables import BackupCheckRow
from imagewarden.store import Store, codec
from imagewarden.store.schema import ObservationRow

COLLECTOR = "imagewarden-resilience"


def record_facts(
    store: Store,
    kind: SubjectKind,
    subject_id: str,
    facts: dict[str, FactValue],
    now: dt.datetime | None = None,
) -> None:
    """Store measured facts as observations, replacing this collector's earlier values.

    The store keeps one observation per subject, fact and source, so a newer measurement
    replaces the older one in the same transaction.
    """
    now = now or dt.datetime.now(dt.UTC)
    rows = [
        codec.observation_row(
            Observation(kind, subject_id, name, value, ObservationSource.PROBED, now, COLLECTOR)
        )
        for name, value in facts.items()
    ]
    with Session(store.engine) as session, session.begin():
        session.execute(
            delete(ObservationRow).where(
                ObservationRow.subject_kind == kind.value,
                ObservationRow.subject_id == subject_id,
                ObservationRow.name.in_(list(facts)),
                ObservationRow.source == ObservationSource.PROBED.value,
            )
        )
        if rows:
            session.execute(insert(ObservationRow), rows)


def require_asset(store: Store, asset_id: str) -> None:
    if asset_id not in {a.id for a in store.assets()}:
        raise UserInputError(
            f"no asset {asset_id!r} in the inventory", hint="import the inventory first"
        )


def save_backup_check(
    store: Store,
    *,
    kind: str,
    root: str,
    asset_id: str,
    started_at: dt.datetime,
    files: int,
    size: int,
    problem_files: int,
    manifest: str,
    summary: dict[str, Any],
) -> int:
    with Session(store.engine) as session, session.begin():
        result = session.execute(
            insert(BackupCheckRow).returning(BackupCheckRow.id),
            [
                {
                    "kind": kind,
                    "root": root,
                    "asset_id": asset_id,
                    "started_at": started_at,
                    "files": files,
                    "bytes": size,
                    "problem_files": problem_files,
                    "manifest": manifest,
                    "summary": summary,
                }
            ],
        )
        return int(result.scalar_one())


def backup_checks(store: Store, limit: int = 50) -> Sequence[dict[str, Any]]:
    """Newest first, as plain dicts for the CLI and the report."""
    with Session(store.engine) as session:
        query = select(BackupCheckRow).order_by(BackupCheckRow.id.desc()).limit(limit)
        return [
            {
                "id": row.id,
                "kind": row.kind,
                "root": row.root,
                "asset_id": row.asset_id,
                "started_at": row.started_at,
                "files": row.files,
                "bytes": row.bytes,
                "problem_files": row.problem_files,
                "manifest": row.manifest,
                "summary": row.summary,
            }
            for row in session.scalars(query)
        ]


def latest_facts(store: Store, name: str) -> dict[str, FactValue]:
    """Subject id -> the newest observed value of fact ``name``."""
    newest: dict[str, tuple[dt.datetime, FactValue]] = {}
    for obs in store.observations(names=[name]):
        seen = newest.get(obs.subject_id)
        if seen is None or obs.observed_at >= seen[0]:
            newest[obs.subject_id] = (obs.observed_at, obs.value)
    return {subject: value for subject, (_at, value) in newest.items()}


def add_team_member(
    store: Store, *, role: str, name: str, contact: str, rank: int, site_id: str
) -> None:
    from imagewarden.resilience.store.tables import TeamMemberRow

    with Session(store.engine) as session, session.begin():
        session.add(
            TeamMemberRow(role=role, name=name, contact=contact, rank=rank, site_id=site_id)
        )


def team(store: Store) -> list[dict[str, Any]]:
    from imagewarden.resilience.store.tables import TeamMemberRow

    with Session(store.engine) as session:
        query = select(TeamMemberRow).order_by(
            TeamMemberRow.role, TeamMemberRow.rank, TeamMemberRow.id
        )
        return [
            {
                "role": r.role,
                "name": r.name,
                "contact": r.contact,
                "rank": r.rank,
                "site_id": r.site_id,
            }
            for r in session.scalars(query)
        ]
