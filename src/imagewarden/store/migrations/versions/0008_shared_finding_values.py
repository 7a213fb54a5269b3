"""risk factor sets and safeguard lists stored once

Revision ID: 0008
Revises: vulns0001
Create Date: 2026-12-06

Every finding kept its risk factors (about 600 bytes of JSON) and its recommended safeguards
(about 150) in its own row, though one check on one kind of subject is scored with the same
factors and recommends the same safeguards everywhere: a large assessment wrote a few hundred
distinct values half a million times, most of each row's bytes. Each distinct value is now
one row of ``risk_factor_sets`` or ``safeguard_lists``, keyed by a hash of its text, and a
finding holds the keys.
"""

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "vulns0001"
branch_labels = None
depends_on = None

_BATCH = 5000
_SHARED = (
    # (findings column, its key column, the table of values, the table's text column)
    ("risk_factors", "risk_key", "risk_factor_sets", "factors"),
    ("safeguards", "safeguards_key", "safeguard_lists", "safeguards"),
)


def _key(text: str) -> str:
    # The same derivation as the store's (codec.shared_key), frozen here as this revision's.
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _findings(*columns: str) -> sa.TableClause:
    return sa.table("findings", sa.column("id", sa.String()), *map(sa.column, columns))


def _keys(connection: sa.Connection, column: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """(key to text of every distinct stored value, the key of each finding), each text
    hashed once. Read in full before the updates: the texts held are the distinct ones."""
    findings = _findings(column)
    keys: dict[str, str] = {}
    pairs: list[dict[str, str]] = []
    query = sa.select(findings.c.id, sa.cast(findings.c[column], sa.Text))
    for finding_id, text in connection.execute(query).yield_per(_BATCH):
        key = keys.get(text)
        if key is None:
            key = keys[text] = _key(text)
        pairs.append({"finding_id": finding_id, "key": key})
    return {key: text for text, key in keys.items()}, pairs


def upgrade() -> None:
    connection = op.get_bind()
    for column, key_column, table, text_column in _SHARED:
        op.create_table(
            table,
            sa.Column("id", sa.String(length=32), nullable=False),
            sa.Column(text_column, sa.Text(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
        op.add_column("findings", sa.Column(key_column, sa.String(length=32), nullable=True))
        values, pairs = _keys(connection, column)
        shared = sa.table(table, sa.column("id"), sa.column(text_column))
        if values:
            rows = [{"id": key, text_column: text} for key, text in values.items()]
            connection.execute(shared.insert(), rows)
        findings = _findings(key_column)
        update = (
            findings.update()
            .where(findings.c.id == sa.bindparam("finding_id"))
            .values({key_column: sa.bindparam("key")})
        )
        for start in range(0, len(pairs), _BATCH):
            connection.execute(update, pairs[start : start + _BATCH])
    with op.batch_alter_table("findings") as batch:
        for column, key_column, _table, _text in _SHARED:
            batch.alter_column(key_column, existing_type=sa.String(length=32), nullable=False)
            batch.drop_column(column)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for column, key_column, table, text_column in _SHARED:
        op.add_column("findings", sa.Column(column, sa.JSON(), nullable=True))
        shared = sa.table(table, sa.column("id"), sa.column(text_column))
        findings = _findings(column, key_column)
        text = (
            sa.select(shared.c[text_column])
            .where(shared.c.id == findings.c[key_column])
            .scalar_subquery()
        )
        op.execute(
            findings.update().values({column: sa.cast(text, sa.JSON) if postgresql else text})
        )
    with op.batch_alter_table("findings") as batch:
        for column, key_column, _table, _text in _SHARED:
            batch.alter_column(column, existing_type=sa.JSON(), nullable=False)
            batch.drop_column(key_column)
    for _column, _key_column, table, _text in _SHARED:
        op.drop_table(table)
