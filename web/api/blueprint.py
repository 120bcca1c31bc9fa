"""The ``/api/v1`` blueprint every API module adds its routes to."""

from __future__ import annotations

from flask import Blueprint

PREFIX = "/api/v1"
# Outside the prefix but authenticated and answered like the API (web/api/metrics.py).
METRICS_PATH = "/metrics"

bp = Blueprint("api", __name__, url_prefix=PREFIX)


def is_api_path(path: str) -> bool:
    return path in (PREFIX, METRICS_PATH) or path.startswith(PREFIX + "/")
