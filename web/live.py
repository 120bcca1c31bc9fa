"""Live updates (server-sent events from the gateway's event bus) and the SMS counter.

A stream holds a waitress thread, so it ends soon after the browser has gone (which
waitress sees with ``channel_request_lookahead`` on; checked every ``GONE_CHECK_SECONDS``)
and lives at most ``STREAM_SECONDS``; the browser's EventSource reconnects on its own
(after ``retry``). Comments keep proxies from closing an idle stream.

A ``resync`` event tells the page to reload what it shows when it missed events: this
reader fell behind and the bus dropped some, or events came between the page being
rendered (or the last event it got) and the stream opening. For that, every page's
stream URL carries ``since``, the bus position noted when its request began (before it
read anything), and a reconnecting browser sends the ``Last-Event-ID`` it got last.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

from flask import Blueprint, Response, current_app, g, request

from gateway import counter
from gateway.events import EventBus
from gateway.services import Services

bp = Blueprint("live", __name__)

STREAM_SECONDS = 300.0
KEEPALIVE_SECONDS = 15.0
GONE_CHECK_SECONDS = 1.0
RETRY_MILLISECONDS = 3000
MAX_COUNTED = 10_000


def _bus() -> EventBus:
    services: Services = current_app.extensions["cellgate.services"]
    return services.events


@bp.before_app_request
def note_position() -> None:
    g.live_since = _bus().last_id


@bp.url_defaults
def add_position(endpoint: str, values: dict[str, Any]) -> None:
    """``url_for('live.events')`` on a page streams from where that page's request began."""
    if endpoint == "live.events" and "live_since" in g:
        values.setdefault("since", g.live_since)


def _never() -> bool:
    return False


def stream(
    bus: EventBus,
    lifetime: float,
    keepalive: float,
    since: int | None = None,
    gone: Callable[[], bool] = _never,
) -> Iterator[str]:
    """SSE text for every event published from now until ``lifetime`` runs out or the
    client is ``gone``, after a ``resync`` when the bus has moved past ``since`` (or
    restarted behind it)."""
    now = time.monotonic()
    deadline = now + lifetime
    quiet_until = now + keepalive
    with bus.subscribe() as subscription:
        yield f"retry: {RETRY_MILLISECONDS}\n: connected\n\n"
        if since is not None and bus.last_id != since:
            yield "event: resync\ndata: {}\n\n"
        lost = 0
        while (left := deadline - (now := time.monotonic())) > 0 and not (gone() or bus.closed):
            wait = min(GONE_CHECK_SECONDS, quiet_until - now, left)
            event = subscription.get(timeout=max(wait, 0.0))
            if subscription.lost != lost:
                lost = subscription.lost
                yield "event: resync\ndata: {}\n\n"
            if event is None:
                if time.monotonic() >= quiet_until:
                    quiet_until = time.monotonic() + keepalive
                    yield ": keep-alive\n\n"
                continue
            data = json.dumps(dict(event.data), default=str)
            yield f"id: {event.id}\nevent: {event.type}\ndata: {data}\n\n"


def _position(text: str | None) -> int | None:
    return int(text) if text is not None and text.isascii() and text.isdigit() else None


@bp.get("/events")
def events() -> Response:
    lifetime = current_app.config.get("CELLGATE_SSE_SECONDS", STREAM_SECONDS)
    since = _position(request.headers.get("Last-Event-ID"))
    if since is None:
        since = _position(request.args.get("since"))
    gone = request.environ.get("waitress.client_disconnected", _never)
    return Response(
        stream(_bus(), lifetime, KEEPALIVE_SECONDS, since, gone),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@bp.get("/count")
def count() -> dict[str, object]:
    """The compose box's counter for ``text`` (asked for by static/compose.js)."""
    result = counter.count(request.args.get("text", "")[:MAX_COUNTED])
    return {
        "parts": result.parts,
        "encoding": result.encoding,
        "remaining": result.remaining,
        "per_part": result.per_part,
        "summary": result.summary,
    }
