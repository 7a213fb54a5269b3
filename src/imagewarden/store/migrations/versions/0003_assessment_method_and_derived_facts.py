"""assessment method and derived facts

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06

An assessment records the risk formula it used and the facts it derived, so the report only
reads what the assessment stored.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assessments") as batch:
        batch.add_column(sa.Column("method", sa.Text(), nullable=False, server_default="{}"))
    op.create_table(
        "derived_facts",
        sa.Column("subject_kind", sa.String(length=10), nullable=False),
        sa.Column("subject_id", sa.String(length=200), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("subject_kind", "subject_id"),
    )


def downgrade() -> None:
    op.drop_table("derived_facts")
    with op.batch_alter_table("assessments") as batch:
        batch.drop_column("method")
