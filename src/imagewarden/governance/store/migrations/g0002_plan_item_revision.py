"""governance: plan item row version and the fields people set

Revision ID: g0002
Revises: g0001
Create Date: 2026-12-08

A plan sync updates items in place and changes a row only at the revision it read, so an edit
made while it runs is never lost; ``edited`` lists the fields a person set (owner, due,
status, milestone), which a sync never overwrites.
"""

import sqlalchemy as sa
from alembic import op

revision = "g0002"
down_revision = "g0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("gov_plan_items") as batch:
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("edited", sa.String(length=80), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("gov_plan_items") as batch:
        batch.drop_column("edited")
        batch.drop_column("revision")
