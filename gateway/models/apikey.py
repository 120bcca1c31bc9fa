"""API keys for the REST API: only a digest of each key is stored.

A key is ``cg_<prefix>_<secret>``. The prefix is stored in the clear so a request's key
can be found with one indexed lookup and recognised in lists and logs; the whole key is
stored only as its SHA-256 digest, which is enough because the secret part is 256 random
bits (a slow password hash would protect nothing more and cost every request).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, utcnow


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    digest: Mapped[str] = mapped_column(String(64))
    # Space-separated scope names (see gateway.apikeys.Scope).
    scopes: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())

    @property
    def active(self) -> bool:
        return self.revoked_at is None
