"""Serving a WSGI app with waitress until SIGINT or SIGTERM, then shutting down cleanly.

gateway/ never imports web/: the web package registers its app factory under the
``cellgate.wsgi`` entry point and :func:`load_app_factory` finds it, so the core can
serve the UI without depending on it.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import entry_points
from types import FrameType
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker
from waitress import create_server

from gateway.config import Config
from gateway.errors import GatewayError
from gateway.services import Services

log = logging.getLogger(__name__)

WSGIApp = Callable[..., Any]


class AppFactory(Protocol):
    def __call__(
        self, config: Config, sessions: sessionmaker[Session], services: Services | None = None
    ) -> WSGIApp: ...


class ServeError(GatewayError):
    """The web server could not start (port taken, address not available)."""


def load_app_factory(name: str = "default") -> AppFactory:
    for entry in entry_points(group="cellgate.wsgi"):
        if entry.name == name:
            factory: AppFactory = entry.load()
            return factory
    raise ServeError(f"no web app registered as cellgate.wsgi:{name}; is cellgate installed?")


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turn SIGTERM into the same clean exit as Ctrl+C while the block runs."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s, shutting down", signal.Signals(signum).name)
        raise SystemExit(0)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def serve(
    app: WSGIApp,
    config: Config,
    *,
    on_ready: Callable[[str], None],
    on_stopping: Callable[[], None] = lambda: None,
) -> None:
    """Serve until SystemExit (see :func:`stop_on_signals`); ``on_ready`` gets the bound URL.

    ``on_stopping`` runs before the request threads are waited for: it should end
    long-lived requests (live-update streams), which would otherwise hold the stop.
    """
    try:
        server = create_server(
            app,
            host=config.web.host,
            port=config.web.port,
            threads=config.web.threads,
            ident="Cellgate",
            # Keep reading a connection while its request runs, so a live-update stream
            # notices the browser left and frees its thread (see web/live.py).
            channel_request_lookahead=1,
        )
    except OSError as exc:
        raise ServeError(
            f"cannot listen on {config.web.host}:{config.web.port}: {exc.strerror}"
        ) from None
    try:
        # effective_port differs from the configured one when port 0 asked for any free port.
        on_ready(f"http://{config.web.host}:{server.effective_port}")
        server.run()  # returns after SystemExit from stop_on_signals, requests finished
    finally:
        on_stopping()
        server.task_dispatcher.shutdown()
        server.close()
