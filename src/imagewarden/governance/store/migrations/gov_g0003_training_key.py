"""governance: one training row per person, course, kind and assignment day

Revision ID: gov_g0003
Revises: g0002
Create Date: 2026-12-06

Training imports are idempotent by content: a row is keyed by the person's hash, the course,
the kind and the day it was assigned, so an export imported again under another file name
updates rows instead of adding them. Earlier duplicates (the newest is kept) are removed
before the unique index is made.
"""

import sqlalchemy as sa
from alembic import op

revision = "gov_g0003"
down_revision = "g0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        sa.text(
            "DELETE FROM gov_training WHERE id NOT IN (SELECT MAX(id) FROM gov_training "
            "GROUP BY person_hash, course, kind, assigned_on)"
        )
    )
    op.create_index(
        "ux_gov_training_key",
        "gov_training",
        ["person_hash", "course", "kind", "assigned_on"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ux_gov_training_key", table_name="gov_training")
