"""risk factor sets stored once

Revision ID: 0008
Revises: vulns0001
Create Date: 2026-12-06

Every finding kept its risk factors as JSON (about 600 bytes, most of its row), though one
check on one kind of subject is scored with the same factors everywhere: a large assessment
wrote a few hundred distinct sets half a million times. Each set is now one row of
``risk_factor_sets``, keyed by a hash of its text, and a finding holds the key.
"""

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "vulns0001"
branch_labels = None
depends_on = None

_BATCH = 5000
_findings = sa.table(
    "findings",
    sa.column("id", sa.String()),
    sa.column("risk_key", sa.String()),
    sa.column("risk_factors", sa.JSON()),
)
_sets = sa.table("risk_factor_sets", sa.column("id", sa.String()), sa.column("factors", sa.Text()))


def _key(text: str) -> str:
    # The same derivation as the store's (codec.risk_key), frozen here as this revision's.
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _keys(connection: sa.Connection) -> tuple[dict[str, str], list[dict[str, str]]]:
    """(key to text of every stored set, the key of each finding), each text hashed once.

    Read in full before the updates: the texts held are the distinct ones only.
    """
    keys: dict[str, str] = {}
    pairs: list[dict[str, str]] = []
    query = sa.select(_findings.c.id, sa.cast(_findings.c.risk_factors, sa.Text))
    for finding_id, text in connection.execute(query).yield_per(_BATCH):
        key = keys.get(text)
        if key is None:
            key = keys[text] = _key(text)
        pairs.append({"finding_id": finding_id, "key": key})
    return {key: text for text, key in keys.items()}, pairs


def upgrade() -> None:
    op.create_table(
        "risk_factor_sets",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("factors", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.add_column("findings", sa.Column("risk_key", sa.String(length=32), nullable=True))
    connection = op.get_bind()
    sets, pairs = _keys(connection)
    if sets:
        connection.execute(_sets.insert(), [{"id": k, "factors": t} for k, t in sets.items()])
    update = (
        _findings.update()
        .where(_findings.c.id == sa.bindparam("finding_id"))
        .values(risk_key=sa.bindparam("key"))
    )
    for start in range(0, len(pairs), _BATCH):
        connection.execute(update, pairs[start : start + _BATCH])
    with op.batch_alter_table("findings") as batch:
        batch.alter_column("risk_key", existing_type=sa.String(length=32), nullable=False)
        batch.drop_column("risk_factors")


def downgrade() -> None:
    op.add_column("findings", sa.Column("risk_factors", sa.JSON(), nullable=True))
    factors = sa.select(_sets.c.factors).where(_sets.c.id == _findings.c.risk_key)
    text = factors.scalar_subquery()
    value = sa.cast(text, sa.JSON) if op.get_bind().dialect.name == "postgresql" else text
    op.execute(_findings.update().values(risk_factors=value))
    with op.batch_alter_table("findings") as batch:
        batch.alter_column("risk_factors", existing_type=sa.JSON(), nullable=False)
        batch.drop_column("risk_key")
    op.drop_table("risk_factor_sets")
