"""Settings admins changed in the web UI, kept as an append-only history.

The config file holds the defaults; a row here overrides one of its keys. Rows are
written once and never changed or deleted (the ORM refuses): the latest row per key is
in force, the older ones say who changed what and when. Because rows are only ever
added, their count is a version a node can compare to see whether anything changed,
whatever order concurrent transactions committed in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, event
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base


class SettingChange(Base):
    __tablename__ = "setting_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64))  # "section.name" as in the config file
    # The value as the config file would spell it (lists, numbers, strings, booleans);
    # NULL hands the key back to the config file.
    value: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True)
    changed_at: Mapped[datetime]
    changed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )


@event.listens_for(SettingChange, "before_update")
@event.listens_for(SettingChange, "before_delete")
def _append_only(_mapper: Any, _connection: Any, target: SettingChange) -> None:
    raise PermissionError(f"setting changes are append-only (change {target.id})")
