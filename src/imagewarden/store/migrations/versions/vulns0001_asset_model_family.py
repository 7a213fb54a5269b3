"""the model as imported next to its dictionary family

Revision ID: vulns0001
Revises: 0007
Create Date: 2026-12-06

Inventories used to store the dictionary's family name in place of the model ("Brilliance
iCT SP" became "Brilliance CT"), which lost the model vulnerability matching needs. The
model column now keeps what was imported; model_family holds the dictionary's family.
Existing rows keep their stored model and get a family at the next inventory import.
"""

import sqlalchemy as sa
from alembic import op

revision = "vulns0001"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assets") as batch:
        batch.add_column(
            sa.Column("model_family", sa.String(length=200), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("assets") as batch:
        batch.drop_column("model_family")
