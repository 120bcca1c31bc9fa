"""The running gateway: its background services and the web server, started and stopped together."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import Engine

from gateway.config import Config
from gateway.db import make_session_factory
from gateway.dispatch import Dispatcher
from gateway.events import EventBus
from gateway.server import load_app_factory, serve, stop_on_signals
from gateway.services import Services
from gateway.webhooks.worker import WebhookWorker

log = logging.getLogger(__name__)


def run_gateway(config: Config, engine: Engine, *, on_ready: Callable[[str], None]) -> None:
    """Serve until SIGINT/SIGTERM; everything started here is stopped before returning."""
    sessions = make_session_factory(engine)
    events = EventBus()
    dispatcher = Dispatcher(config, sessions)
    webhooks = WebhookWorker(sessions, config.webhooks)
    app = load_app_factory()(config, sessions, Services(events=events, dispatcher=dispatcher))
    # Handlers go in first: a SIGTERM during start-up must also end in the clean path.
    with stop_on_signals():
        try:
            dispatcher.start()
            webhooks.start()
            serve(app, config, on_ready=on_ready)
        except SystemExit:
            log.info("interrupted during start-up")
        finally:
            webhooks.stop()
            dispatcher.stop()
            engine.dispose()
            log.info("stopped")
