"""traffic: analysed captures and their flows

Revision ID: t0001
Revises: 0001
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "t0001"
down_revision = "0001"
branch_labels = ("traffic",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "traffic_captures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("packets", sa.BigInteger(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("fingerprint"),
    )
    op.create_index("ix_traffic_captures_site_id", "traffic_captures", ["site_id"])
    op.create_table(
        "traffic_flows",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("capture_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("server", sa.String(length=64), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("protocol", sa.String(length=10), nullable=False),
        sa.Column("calling_ae", sa.String(length=16), nullable=False),
        sa.Column("called_ae", sa.String(length=16), nullable=False),
        sa.Column("connections", sa.Integer(), nullable=False),
        sa.Column("bytes_to_server", sa.BigInteger(), nullable=False),
        sa.Column("bytes_to_client", sa.BigInteger(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=True),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["capture_id"], ["traffic_captures.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_traffic_flows_capture_id", "traffic_flows", ["capture_id"])
    op.create_index("ix_traffic_flows_site_id", "traffic_flows", ["site_id"])


def downgrade() -> None:
    op.drop_index("ix_traffic_flows_site_id", table_name="traffic_flows")
    op.drop_index("ix_traffic_flows_capture_id", table_name="traffic_flows")
    op.drop_table("traffic_flows")
    op.drop_index("ix_traffic_captures_site_id", table_name="traffic_captures")
    op.drop_table("traffic_captures")
