"""``Idempotency-Key`` on POST: a retried request gets the first answer, not a second send.

The key is claimed with a row before the work starts: the unique constraint on (API
key, Idempotency-Key) lets exactly one of two concurrent duplicates proceed, and the
other gets 409. After the work the row holds the answer, which later retries receive
with ``Idempotent-Replayed: true``. Only successful answers are kept; after a refusal
the row is dropped so the client may fix the request and use the key again. The same
key with a different request is refused with 422.

If the process dies between the work and storing its answer, the key stays claimed
without one and retries get 409: the client must check (GET) instead of sending twice.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from datetime import timedelta

from flask import current_app, make_response, request
from flask.typing import ResponseReturnValue
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from gateway.config import Config
from gateway.models import IdempotencyRecord, utcnow
from web.api.errors import ApiError
from web.api.keys import current_key
from web.db import get_session

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def fingerprint() -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _claim(key: str, print_: str) -> IdempotencyRecord | Response:
    """A new claim on ``key``, or the stored answer of the request that made it."""
    config: Config = current_app.extensions["cellgate.config"]
    session = get_session()
    now = utcnow()
    api_key_id = current_key().id
    session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.created_at < now - timedelta(hours=config.api.idempotency_hours)
        )
    )
    record = IdempotencyRecord(api_key_id=api_key_id, key=key, fingerprint=print_, created_at=now)
    session.add(record)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
    else:
        return record
    earlier = session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.api_key_id == api_key_id, IdempotencyRecord.key == key
        )
    )
    if earlier is None:
        raise ApiError(409, "a request with this Idempotency-Key just finished; retry it")
    if earlier.fingerprint != print_:
        raise ApiError(
            422,
            "this Idempotency-Key was used for a different request",
            field=HEADER,
            code="idempotency_key_reused",
        )
    if earlier.status_code is None or earlier.response_body is None:
        raise ApiError(409, "a request with this Idempotency-Key is still in progress")
    replay = current_app.response_class(
        earlier.response_body, status=earlier.status_code, mimetype="application/json"
    )
    replay.headers["Idempotent-Replayed"] = "true"
    return replay


def idempotent(view: Callable[..., ResponseReturnValue]) -> Callable[..., Response]:
    """Honour an ``Idempotency-Key`` header on ``view`` (requests without one run as usual)."""

    @functools.wraps(view)
    def wrapped(*args: object, **kwargs: object) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return make_response(view(*args, **kwargs))
        if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
            raise ApiError(
                400, f"{HEADER}: 1 to {MAX_KEY_LENGTH} printable characters", field=HEADER
            )
        claimed = _claim(key, fingerprint())
        if isinstance(claimed, Response):
            return claimed
        session = get_session()
        try:
            response = make_response(view(*args, **kwargs))
        except BaseException:
            session.rollback()
            session.delete(claimed)
            session.commit()
            raise
        if response.status_code < 300:
            claimed.status_code = response.status_code
            claimed.response_body = response.get_data(as_text=True)
        else:
            session.delete(claimed)
        session.commit()
        return response

    return wrapped
