"""REST API v1 (DESIGN.md section 4): JSON over ``/api/v1``, authenticated by API key.

The routes live in their own modules, registered on one blueprint; this package wires
it into the app: error format, CSRF exemption (bearer keys are not cookies, so a
cross-site form cannot use them) and the blueprint itself.
"""

from __future__ import annotations

from flask import Flask

from web.api import (
    campaigns,
    contacts,
    conversations,
    errors,
    keys,
    messages,
    metrics,
    modems,
    openapi,
)
from web.api.blueprint import bp, is_api_path

__all__ = ["init_app", "is_api_path"]

# Imported for their routes and hooks on ``bp``.
_ROUTES = (campaigns, contacts, conversations, keys, messages, modems, openapi)


def init_app(app: Flask) -> None:
    errors.init_app(app)
    for blueprint in (bp, metrics.metrics_bp):
        app.extensions["csrf"].exempt(blueprint)
        app.register_blueprint(blueprint)
