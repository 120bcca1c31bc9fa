"""undecodable inbound PDUs, kept raw

Revision ID: 0600
Revises: 0500
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0600"
down_revision = "0500"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "undecodable_pdus",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("modem", sa.String(length=32), nullable=False),
        sa.Column("pdu", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_undecodable_pdus")),
    )


def downgrade() -> None:
    op.drop_table("undecodable_pdus")
