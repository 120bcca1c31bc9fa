"""send queue: messages, message parts, modems, nodes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _time(name: str, *, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("peer", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("encoding", sa.String(length=8), nullable=False),
        sa.Column("segments", sa.Integer(), nullable=False),
        sa.Column("modem", sa.String(length=32), nullable=True),
        sa.Column("sent_modem", sa.String(length=32), nullable=True),
        _time("created_at", nullable=False),
        _time("scheduled_at"),
        _time("next_attempt_at"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("error_code", sa.Integer(), nullable=True),
        _time("sent_at"),
        _time("final_at"),
        sa.Column("owner", sa.String(length=64), nullable=True),
        _time("claimed_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    op.create_index("ix_messages_claim", "messages", ["state", "priority", "id"])
    op.create_index("ix_messages_peer_id", "messages", ["peer", "id"])
    op.create_index("ix_messages_state_next_attempt_at", "messages", ["state", "next_attempt_at"])
    op.create_table(
        "message_parts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("modem", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=32), nullable=False),
        _time("sent_at", nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("report_final", sa.Boolean(), nullable=False),
        _time("delivered_at"),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_message_parts_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_parts")),
        sa.UniqueConstraint("message_id", "part", name="uq_message_parts_message_id_part"),
    )
    op.create_index("ix_message_parts_match", "message_parts", ["modem", "reference", "sent_at"])
    op.create_table(
        "modems",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("node", sa.String(length=64), nullable=False),
        sa.Column("manufacturer", sa.String(length=64), nullable=True),
        sa.Column("model", sa.String(length=64), nullable=True),
        sa.Column("imei", sa.String(length=20), nullable=True),
        sa.Column("iccid", sa.String(length=24), nullable=True),
        sa.Column("number", sa.String(length=32), nullable=True),
        _time("last_seen_at"),
        _time("down_since"),
        _time("cooldown_until"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_modems")),
    )
    op.create_table(
        "nodes",
        sa.Column("name", sa.String(length=64), nullable=False),
        _time("started_at", nullable=False),
        _time("heartbeat_at", nullable=False),
        _time("lease_until", nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_nodes")),
    )


def downgrade() -> None:
    op.drop_table("nodes")
    op.drop_table("modems")
    op.drop_index("ix_message_parts_match", table_name="message_parts")
    op.drop_table("message_parts")
    op.drop_index("ix_messages_state_next_attempt_at", table_name="messages")
    op.drop_index("ix_messages_peer_id", table_name="messages")
    op.drop_index("ix_messages_claim", table_name="messages")
    op.drop_table("messages")
