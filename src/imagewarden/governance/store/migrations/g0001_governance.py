"""governance: checklist answers, maturity, training, campaigns, plan items

Revision ID: g0001
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "g0001"
down_revision = "0001"
branch_labels = ("governance",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gov_answers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("question_id", sa.String(length=64), nullable=False),
        sa.Column("answer", sa.String(length=20), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("evidence", sa.String(length=1000), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_gov_answers_site_question", "gov_answers", ["site_id", "question_id"])
    op.create_table(
        "gov_maturity",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("function", sa.String(length=2), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("questions", sa.Integer(), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_gov_maturity_site_date", "gov_maturity", ["site_id", "assessed_on"])
    op.create_table(
        "gov_training",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person_hash", sa.String(length=64), nullable=False),
        sa.Column("department", sa.String(length=100), nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("course", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("assigned_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_gov_training_department", "gov_training", ["department"])
    op.create_table(
        "gov_campaigns",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("launched_on", sa.Date(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "gov_campaign_results",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("campaign_id", sa.String(length=80), nullable=False),
        sa.Column("person_hash", sa.String(length=64), nullable=False),
        sa.Column("department", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("sent", sa.Boolean(), nullable=False),
        sa.Column("clicked", sa.Boolean(), nullable=False),
        sa.Column("submitted", sa.Boolean(), nullable=False),
        sa.Column("reported", sa.Boolean(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["gov_campaigns.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_gov_campaign_results_campaign_id", "gov_campaign_results", ["campaign_id"])
    op.create_table(
        "gov_plan_items",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("source_kind", sa.String(length=20), nullable=False),
        sa.Column("source_id", sa.String(length=200), nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("milestone", sa.String(length=300), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("gov_plan_items")
    op.drop_index("ix_gov_campaign_results_campaign_id", table_name="gov_campaign_results")
    op.drop_table("gov_campaign_results")
    op.drop_table("gov_campaigns")
    op.drop_index("ix_gov_training_department", table_name="gov_training")
    op.drop_table("gov_training")
    op.drop_index("ix_gov_maturity_site_date", table_name="gov_maturity")
    op.drop_table("gov_maturity")
    op.drop_index("ix_gov_answers_site_question", table_name="gov_answers")
    op.drop_table("gov_answers")
