"""Stored keyword rules (the matching itself is :mod:`gateway.keywords.rules`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, utcnow


class KeywordRule(Base):
    __tablename__ = "keyword_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    keyword: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(8))
    # Only replies to this campaign trigger it; every reply when None.
    campaign: Mapped[str | None] = mapped_column(String(64), default=None)
    # [{"kind", "value", "name"}], see gateway.keywords.rules.parse_actions.
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
