"""finding lifecycle row version

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06

An assessment changes a finding's status only if nobody changed it since the assessment read
it (compare-and-set on this column), so a triage decision made during an assessment stays.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = ("core",)
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.drop_column("revision")
