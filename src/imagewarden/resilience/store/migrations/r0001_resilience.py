"""resilience: backup checks, IR team roster, drills with events and after-action items

Revision ID: r0001
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "r0001"
down_revision = "0001"
branch_labels = ("resilience",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resilience_backup_checks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("root", sa.String(length=1000), nullable=False),
        sa.Column("asset_id", sa.String(length=128), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("problem_files", sa.Integer(), nullable=False),
        sa.Column("manifest", sa.String(length=1000), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_resilience_backup_checks_asset_id", "resilience_backup_checks", ["asset_id"]
    )
    op.create_table(
        "resilience_team",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_resilience_team_site_id", "resilience_team", ["site_id"])
    op.create_table(
        "resilience_drills",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("scenario", sa.String(length=100), nullable=False),
        sa.Column("scheduled_for", sa.Date(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_resilience_drills_site_id", "resilience_drills", ["site_id"])
    op.create_table(
        "resilience_drill_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("drill_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["drill_id"], ["resilience_drills.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_resilience_drill_events_drill_id", "resilience_drill_events", ["drill_id"])
    op.create_table(
        "resilience_drill_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("drill_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["drill_id"], ["resilience_drills.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_resilience_drill_items_drill_id", "resilience_drill_items", ["drill_id"])


def downgrade() -> None:
    op.drop_table("resilience_drill_items")
    op.drop_table("resilience_drill_events")
    op.drop_table("resilience_drills")
    op.drop_table("resilience_team")
    op.drop_table("resilience_backup_checks")
