"""Bearer-key authentication, scopes and rate limits for every API route.

Deny by default, like the web UI: the blueprint's ``before_request`` refuses every route
without a valid key (even the OpenAPI document, which any key may read), and each view
names the scope it needs with :func:`require`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import current_app, g, request

from gateway.apikeys import Caller, Scope, allows, authenticate_recent
from gateway.config import Config
from gateway.models import utcnow
from web.api.blueprint import bp
from web.api.errors import ApiError
from web.api.ratelimit import RateLimiter
from web.db import get_session

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="cellgate"'}
P = ParamSpec("P")
R = TypeVar("R")


def _limiter() -> RateLimiter:
    limiter: RateLimiter | None = current_app.extensions.get("cellgate.api_limiter")
    if limiter is None:
        config: Config = current_app.extensions["cellgate.config"]
        limiter = RateLimiter(config.api.rate_per_minute, config.api.burst)
        current_app.extensions["cellgate.api_limiter"] = limiter
    return limiter


@bp.before_request
def authenticate_key() -> None:
    config: Config = current_app.extensions["cellgate.config"]
    request.max_content_length = config.api.max_body_bytes
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "send an API key: Authorization: Bearer <key>", headers=CHALLENGE)
    session = get_session()
    key = authenticate_recent(session, token.strip(), now=utcnow())
    if key is None:
        raise ApiError(401, "the API key is not valid or was revoked", headers=CHALLENGE)
    if session.dirty:  # its last use noted (once a minute): kept even if the request fails
        session.commit()
    wait = _limiter().acquire(key.id)
    if wait:
        raise ApiError(
            429,
            f"too many requests for this key; try again in {wait}s",
            headers={"Retry-After": str(wait)},
        )
    g.api_key = key


def current_key() -> Caller:
    key: Caller = g.api_key
    return key


def require(scope: Scope) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Refuse the view with 403 unless the request's key has ``scope`` (or admin)."""

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            if not allows(current_key(), scope):
                raise ApiError(403, f"this API key lacks the {scope!s} scope")
            return view(*args, **kwargs)

        return wrapped

    return decorate
