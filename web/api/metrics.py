"""``/metrics``: Prometheus text of this node's queue and modems, for an API key with read.

At the conventional path rather than under ``/api/v1`` (Prometheus scrapes
``/metrics`` unless told otherwise); it authenticates like the API (``authorization``
with ``credentials: <key>`` in the scrape config) and answers errors in its format.
"""

from __future__ import annotations

from flask import Blueprint, current_app
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4
from werkzeug.wrappers import Response

from gateway.apikeys import Scope
from gateway.metrics import queue_states, render_metrics
from gateway.services import Services
from web.api.blueprint import METRICS_PATH
from web.api.keys import authenticate_key, require
from web.db import get_session

metrics_bp = Blueprint("metrics", __name__)
metrics_bp.before_request(authenticate_key)


@metrics_bp.get(METRICS_PATH)
@require(Scope.READ)
def metrics() -> Response:
    services: Services = current_app.extensions["cellgate.services"]
    health = services.dispatcher.health() if services.dispatcher is not None else []
    exposition = render_metrics(health, queue_states(get_session()))
    return Response(exposition, content_type=CONTENT_TYPE_PLAIN_0_0_4)
