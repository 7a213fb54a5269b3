"""finding triage

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07

Who owns a finding's remediation and people's comments on findings; an index for the
workspace's findings list (highest risk first, paginated).
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "finding_owners",
        sa.Column("finding_id", sa.String(length=40), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("assigned_by", sa.String(length=200), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("finding_id"),
    )
    op.create_table(
        "finding_comments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("finding_id", sa.String(length=40), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_finding_comments_finding_id", "finding_comments", ["finding_id"])
    op.create_index("ix_findings_risk", "findings", ["risk_score", "id"])


def downgrade() -> None:
    op.drop_index("ix_findings_risk", table_name="findings")
    op.drop_index("ix_finding_comments_finding_id", table_name="finding_comments")
    op.drop_table("finding_comments")
    op.drop_table("finding_owners")
