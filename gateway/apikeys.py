"""API keys: made once and shown once, stored as a digest, scoped, revocable.

Scopes: ``send`` (put messages on the queue), ``read`` (see messages and modems) and
``admin`` (everything, including what later issues add for managing the gateway).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import bindparam, event, select
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


@dataclass(frozen=True)
class Caller:
    """What a request needs of the key it was authenticated with: plain values, safe to
    share between threads and to keep after the session that read them has gone."""

    id: int
    name: str
    scope_set: frozenset[str]
    last_used_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> Caller:
        return cls(key.id, key.name, key.scope_set, key.last_used_at)


# How long a node may accept a key without reading it again: a revoked key stops working
# within this, on every node (the revoking node forgets its keys at once).
RECENT_SECONDS = 2.0


class RecentKeys:
    """Keys authenticated in the last :data:`RECENT_SECONDS`, by digest.

    Reading the key back for every API request was a sixth of the request's CPU; a key
    a client uses is asked for many times a second. Only what authenticated is kept, so
    a wrong key costs a query every time, as before. Thread-safe: single dict operations.
    """

    def __init__(
        self, seconds: float = RECENT_SECONDS, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.seconds = seconds
        self.clock = clock
        self._callers: dict[str, tuple[float, Caller]] = {}

    def get(self, key_digest: str) -> Caller | None:
        entry = self._callers.get(key_digest)
        if entry is None:
            return None
        if self.clock() >= entry[0]:
            self._callers.pop(key_digest, None)
            return None
        return entry[1]

    def put(self, key_digest: str, caller: Caller) -> None:
        self._callers[key_digest] = (self.clock() + self.seconds, caller)

    def forget(self, key_digest: str) -> None:
        self._callers.pop(key_digest, None)

    def clear(self) -> None:
        self._callers.clear()


recent_keys = RecentKeys()


def authenticate_recent(
    session: Session, plain: str, *, now: datetime, recent: RecentKeys = recent_keys
) -> Caller | None:
    """:func:`authenticate`, answered from ``recent`` while it remembers the key and its
    last use needs no new note; the caller commits when ``session.dirty``."""
    key_digest = digest(plain)
    caller = recent.get(key_digest)
    used = caller.last_used_at if caller is not None else None
    if caller is not None and used is not None and now - used < LAST_USED_RESOLUTION:
        return caller
    key = authenticate(session, plain, now=now)
    if key is None:
        recent.forget(key_digest)
        return None
    caller = Caller.of(key)
    recent.put(key_digest, caller)
    return caller


def allows(key: ApiKey | Caller, scope: Scope) -> bool:
    return scope in key.scope_set or Scope.ADMIN in key.scope_set


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def revoke(session: Session, key_id: int, *, now: datetime) -> ApiKey:
    """Stop a key working at once; revoking twice keeps the first time.

    This process forgets the keys it remembered (:data:`recent_keys`) now and again when
    ``session`` commits, so a request that read the key in between cannot keep it.
    """
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"no API key {key_id}")
    if key.revoked_at is None:
        key.revoked_at = now
    recent_keys.clear()
    event.listen(session, "after_commit", _forget_recent_keys, once=True)
    return key


def _forget_recent_keys(_session: Session) -> None:
    recent_keys.clear()
