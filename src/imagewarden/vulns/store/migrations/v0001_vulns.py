"""vulnerability intelligence: CVEs, CPE matches, mentions, KEV, EPSS, SBOM components

Revision ID: v0001
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "v0001"
down_revision = "0001"
branch_labels = ("vulns",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vuln_cves",
        sa.Column("cve_id", sa.String(length=32), nullable=False),
        sa.Column("published", sa.String(length=32), nullable=False),
        sa.Column("last_modified", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("cvss_version", sa.String(length=8), nullable=False),
        sa.Column("cvss_score", sa.Float(), nullable=True),
        sa.Column("cvss_severity", sa.String(length=16), nullable=False),
        sa.Column("cvss_vector", sa.String(length=200), nullable=False),
        sa.Column("has_config", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("cve_id"),
    )
    op.create_table(
        "vuln_cpe_matches",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("cve_id", sa.String(length=32), nullable=False),
        sa.Column("config", sa.Integer(), nullable=False),
        sa.Column("node", sa.Integer(), nullable=False),
        sa.Column("operator", sa.String(length=4), nullable=False),
        sa.Column("vulnerable", sa.Boolean(), nullable=False),
        sa.Column("part", sa.String(length=2), nullable=False),
        sa.Column("vendor", sa.String(length=120), nullable=False),
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("update", sa.String(length=100), nullable=False),
        sa.Column("start_including", sa.String(length=100), nullable=False),
        sa.Column("start_excluding", sa.String(length=100), nullable=False),
        sa.Column("end_including", sa.String(length=100), nullable=False),
        sa.Column("end_excluding", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_vuln_cpe_matches_cve_id", "vuln_cpe_matches", ["cve_id"])
    op.create_index("ix_vuln_cpe_vendor_product", "vuln_cpe_matches", ["vendor", "product"])
    op.create_table(
        "vuln_mentions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("cve_id", sa.String(length=32), nullable=False),
        sa.Column("vendor_key", sa.String(length=200), nullable=False),
        sa.Column("product_key", sa.String(length=300), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("version_op", sa.String(length=8), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_vuln_mentions_cve_id", "vuln_mentions", ["cve_id"])
    op.create_index("ix_vuln_mentions_source", "vuln_mentions", ["source"])
    op.create_index(
        "ix_vuln_mentions_vendor_product", "vuln_mentions", ["vendor_key", "product_key"]
    )
    op.create_table(
        "vuln_kev",
        sa.Column("cve_id", sa.String(length=32), nullable=False),
        sa.Column("vendor", sa.String(length=200), nullable=False),
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("date_added", sa.String(length=10), nullable=False),
        sa.Column("due_date", sa.String(length=10), nullable=False),
        sa.Column("ransomware", sa.Boolean(), nullable=False),
        sa.Column("catalog_version", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("cve_id"),
    )
    op.create_table(
        "vuln_epss",
        sa.Column("cve_id", sa.String(length=32), nullable=False),
        sa.Column("epss", sa.Float(), nullable=False),
        sa.Column("percentile", sa.Float(), nullable=False),
        sa.Column("score_date", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("cve_id"),
    )
    op.create_table(
        "vuln_components",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("asset_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("vendor", sa.String(length=200), nullable=False),
        sa.Column("purl", sa.String(length=500), nullable=False),
        sa.Column("cpe", sa.String(length=500), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_vuln_components_asset_id", "vuln_components", ["asset_id"])
    op.create_table(
        "vuln_feed_imports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("file", sa.String(length=500), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    for table in (
        "vuln_feed_imports",
        "vuln_components",
        "vuln_epss",
        "vuln_kev",
        "vuln_mentions",
        "vuln_cpe_matches",
        "vuln_cves",
    ):
        op.drop_table(table)
