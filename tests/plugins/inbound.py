"""Fixtures for the inbound pipeline and the compliance gate.

Test modules load it with ``pytest_plugins = ["tests.plugins.inbound"]``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from gateway.compliance import gate
from gateway.compliance.settings import policy
from gateway.config import Config
from gateway.events import EventBus
from gateway.inbound.pipeline import Pipeline, Settings


@pytest.fixture
def gated(sessions: sessionmaker[Session], config: Config) -> Iterator[sessionmaker[Session]]:
    """The session factory with the compliance gate installed, as the runtime does."""
    uninstall = gate.install(sessions, policy(config))
    yield sessions
    uninstall()


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


class WebhookRecorder:
    """Stands in for gateway.webhooks.emit: records what would have been emitted."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, _session: Session, event_type: str, payload: Any, _now: datetime) -> None:
        self.events.append((event_type, dict(payload)))


@pytest.fixture
def webhooks() -> WebhookRecorder:
    return WebhookRecorder()


@pytest.fixture
def pipeline(config: Config, bus: EventBus, webhooks: WebhookRecorder) -> Pipeline:
    return Pipeline(Settings.from_config(config), bus=bus, webhook=webhooks)
