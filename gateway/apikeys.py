"""API keys: made once and shown once, stored as a digest, scoped, revocable.

Scopes: ``send`` (put messages on the queue), ``read`` (see messages and modems) and
``admin`` (everything, including what later issues add for managing the gateway).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from gateway.errors import NotFound, ValidationError
from gateway.models import ApiKey

KEY_PATTERN = re.compile(r"cg_([A-Za-z0-9]{8})_([A-Za-z0-9_-]{43})")
NAME_PATTERN = re.compile(r"\S.{0,63}")
# Writing last_used_at on every request would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
_PREFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
# Built once: every API request looks its key up.
_BY_PREFIX = select(ApiKey).where(ApiKey.prefix == bindparam("prefix"))


class Scope(StrEnum):
    SEND = "send"
    READ = "read"
    ADMIN = "admin"


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(
    session: Session, name: str, scopes: Iterable[str], *, now: datetime
) -> tuple[ApiKey, str]:
    """Store a new key and return it with its plain text, which exists nowhere else."""
    if not NAME_PATTERN.fullmatch(name) or not name.isprintable():
        raise ValidationError("a key's name is 1-64 printable characters", field="name")
    chosen = sorted(set(scopes))
    if not chosen:
        raise ValidationError("give the key at least one scope", field="scopes")
    unknown = [scope for scope in chosen if scope not in Scope.__members__.values()]
    if unknown:
        raise ValidationError(f"unknown scope {unknown[0]!r}", field="scopes")
    prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(8))
    plain = f"cg_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        name=name, prefix=prefix, digest=digest(plain), scopes=" ".join(chosen), created_at=now
    )
    session.add(key)
    session.flush()
    return key, plain


def authenticate(session: Session, plain: str, *, now: datetime) -> ApiKey | None:
    """The active key ``plain`` is, or None; notes when it was used (to the minute).

    The caller commits when the note changed anything (``session.dirty``).
    """
    match = KEY_PATTERN.fullmatch(plain)
    if match is None:
        return None
    key = session.scalar(_BY_PREFIX, {"prefix": match.group(1)})
    if key is None or not hmac.compare_digest(key.digest, digest(plain)) or not key.active:
        return None
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        key.last_used_at = now
    return key


def allows(key: ApiKey, scope: Scope) -> bool:
    return scope in key.scope_set or Scope.ADMIN in key.scope_set


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def revoke(session: Session, key_id: int, *, now: datetime) -> ApiKey:
    """Stop a key working at once; revoking twice keeps the first time."""
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"no API key {key_id}")
    if key.revoked_at is None:
        key.revoked_at = now
    return key
