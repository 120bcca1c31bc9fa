"""The ``/api/v1`` blueprint every API module adds its routes to."""

from __future__ import annotations

from flask import Blueprint

PREFIX = "/api/v1"

bp = Blueprint("api", __name__, url_prefix=PREFIX)


def is_api_path(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")
