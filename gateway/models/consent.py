"""The consent ledger: every opt-in and opt-out, append-only.

Rows are written once and never changed or deleted by the application (the ORM
refuses); erasing a contact only detaches its rows (``contact_id`` becomes NULL), the
number hash still ties them to the suppression that outlives the contact.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base


class ConsentAction(StrEnum):
    OPT_IN = "opt_in"
    OPT_OUT = "opt_out"


class ConsentChannel(StrEnum):
    """How the change was made."""

    SMS = "sms"  # the contact texted a keyword or a revocation
    UI = "ui"  # a member of staff in the web UI
    API = "api"
    IMPORT = "import"
    ERASURE = "erasure"  # the contact was erased; the number stays suppressed


class ConsentEvent(Base):
    __tablename__ = "consent_events"
    __table_args__ = (Index("ix_consent_events_contact_id_at", "contact_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), default=None
    )
    number_hash: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(8))
    at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(16))
    # The inbound message that carried it, or the user who recorded it.
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), default=None
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    # The keyword or words that did it, or the staff member's stated reason.
    detail: Mapped[str] = mapped_column(Text, default="")


@event.listens_for(ConsentEvent, "before_update")
@event.listens_for(ConsentEvent, "before_delete")
def _append_only(_mapper: Any, _connection: Any, target: ConsentEvent) -> None:
    raise PermissionError(f"the consent ledger is append-only (event {target.id})")
