"""Live updates (server-sent events from the gateway's event bus) and the SMS counter.

A stream lives at most ``STREAM_SECONDS`` so a waitress thread is never held for
ever; the browser's EventSource reconnects on its own (after ``retry``). Comments keep
proxies from closing an idle stream. When this reader fell behind and the bus dropped
events, a ``resync`` event tells the page to reload what it shows.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

from flask import Blueprint, Response, current_app, request

from gateway import counter
from gateway.events import EventBus
from gateway.services import Services

bp = Blueprint("live", __name__)

STREAM_SECONDS = 300.0
KEEPALIVE_SECONDS = 15.0
RETRY_MILLISECONDS = 3000
MAX_COUNTED = 10_000


def stream(bus: EventBus, lifetime: float, keepalive: float) -> Iterator[str]:
    """SSE text for every event published from now until ``lifetime`` runs out."""
    deadline = time.monotonic() + lifetime
    with bus.subscribe() as subscription:
        yield f"retry: {RETRY_MILLISECONDS}\n: connected\n\n"
        lost = 0
        while (left := deadline - time.monotonic()) > 0:
            event = subscription.get(timeout=min(keepalive, left))
            if subscription.lost != lost:
                lost = subscription.lost
                yield "event: resync\ndata: {}\n\n"
            if event is None:
                yield ": keep-alive\n\n"
                continue
            data = json.dumps(dict(event.data), default=str)
            yield f"id: {event.id}\nevent: {event.type}\ndata: {data}\n\n"


@bp.get("/events")
def events() -> Response:
    services: Services = current_app.extensions["cellgate.services"]
    lifetime = current_app.config.get("CELLGATE_SSE_SECONDS", STREAM_SECONDS)
    return Response(
        stream(services.events, lifetime, KEEPALIVE_SECONDS),
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
