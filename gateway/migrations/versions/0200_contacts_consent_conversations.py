"""contacts, consent ledger, suppressions, conversations, notes, keyword rules, inbound

Revision ID: 0200
Revises: 0100
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0200"
down_revision = "0100"
branch_labels = None
depends_on = None


def _time(name: str, *, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _user(name: str, table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [name], ["users.id"], name=f"fk_{table}_{name}_users", ondelete="SET NULL"
    )


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("number_kind", sa.String(length=16), nullable=False),
        sa.Column("first_name", sa.String(length=64), nullable=False),
        sa.Column("last_name", sa.String(length=64), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        _time("opted_out_at"),
        sa.Column("opt_out_channel", sa.String(length=16), nullable=True),
        _time("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
        sa.UniqueConstraint("number", name=op.f("uq_contacts_number")),
    )
    op.create_table(
        "suppressions",
        sa.Column("number_hash", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        _time("created_at", nullable=False),
        sa.PrimaryKeyConstraint("number_hash", name=op.f("pk_suppressions")),
    )
    op.create_table(
        "consent_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("number_hash", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        _time("at", nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_consent_events_contact_id_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_consent_events_message_id_messages"),
            ondelete="SET NULL",
        ),
        _user("user_id", "consent_events"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_events")),
    )
    op.create_index("ix_consent_events_contact_id_at", "consent_events", ["contact_id", "at"])
    op.create_index(op.f("ix_consent_events_number_hash"), "consent_events", ["number_hash"])
    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("claimed_by", sa.Integer(), nullable=True),
        _time("claimed_until"),
        sa.Column("unread", sa.Integer(), nullable=False),
        _time("last_message_at"),
        _time("created_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_conversations_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        _user("assignee_id", "conversations"),
        _user("claimed_by", "conversations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
        sa.UniqueConstraint("contact_id", name=op.f("uq_conversations_contact_id")),
    )
    op.create_index("ix_conversations_status_last", "conversations", ["status", "last_message_at"])
    op.create_table(
        "conversation_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        _time("created_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_notes_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        _user("author_id", "conversation_notes"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_notes")),
    )
    op.create_index(
        op.f("ix_conversation_notes_conversation_id"), "conversation_notes", ["conversation_id"]
    )
    op.create_table(
        "keyword_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("keyword", sa.String(length=64), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("campaign", sa.String(length=64), nullable=True),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _time("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_keyword_rules")),
    )
    op.create_table(
        "inbound_parts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("encoding", sa.String(length=8), nullable=False),
        sa.Column("modem", sa.String(length=32), nullable=True),
        _time("received_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_parts")),
    )
    op.create_index("ix_inbound_parts_key", "inbound_parts", ["sender", "reference", "total"])
    op.create_table(
        "message_meta",
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("campaign", sa.String(length=64), nullable=True),
        sa.Column("missing_parts", sa.String(length=64), nullable=True),
        _time("processed_at"),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_message_meta_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_message_meta")),
    )
    op.create_index(op.f("ix_message_meta_campaign"), "message_meta", ["campaign"])
    op.create_table(
        "autoreply_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        _time("period_start", nullable=False),
        _time("sent_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_autoreply_log_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_autoreply_log")),
        sa.UniqueConstraint("contact_id", "period_start", name=op.f("uq_autoreply_log_contact_id")),
    )


def downgrade() -> None:
    op.drop_table("autoreply_log")
    op.drop_index(op.f("ix_message_meta_campaign"), table_name="message_meta")
    op.drop_table("message_meta")
    op.drop_index("ix_inbound_parts_key", table_name="inbound_parts")
    op.drop_table("inbound_parts")
    op.drop_table("keyword_rules")
    op.drop_index(op.f("ix_conversation_notes_conversation_id"), table_name="conversation_notes")
    op.drop_table("conversation_notes")
    op.drop_index("ix_conversations_status_last", table_name="conversations")
    op.drop_table("conversations")
    op.drop_index(op.f("ix_consent_events_number_hash"), table_name="consent_events")
    op.drop_index("ix_consent_events_contact_id_at", table_name="consent_events")
    op.drop_table("consent_events")
    op.drop_table("suppressions")
    op.drop_table("contacts")
