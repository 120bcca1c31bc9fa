"""The running gateway: the composition root that wires the services and runs them.

Everything is built here and nowhere else: the gated session factory (see
gateway.sessions), the inbound pipeline fed by each modem worker (both apply one set of
rules in force, so the gate and the pipeline never disagree), the live
event bus shared with the web UI, the webhook worker and the web server. They start
and stop together.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from gateway.campaigns.scheduler import CampaignScheduler
from gateway.compliance.settings import LiveRules
from gateway.config import Config
from gateway.dispatch import Dispatcher
from gateway.events import EventBus
from gateway.inbound.pipeline import Pipeline, Settings
from gateway.inbound.sim_inbox import SimInbox
from gateway.queue.changes import StateChange, on_state_changes
from gateway.server import load_app_factory, serve, stop_on_signals
from gateway.services import Services
from gateway.sessions import gated_sessions
from gateway.webhooks.events import EVENT_TYPES, EventType, emit
from gateway.webhooks.message_status import MessageStatusWebhooks
from gateway.webhooks.worker import WebhookWorker

log = logging.getLogger(__name__)


def emit_webhook(session: Session, event_type: str, data: Mapping[str, Any], now: datetime) -> None:
    """The pipeline reports more kinds of event than webhooks carry; pass on those they do."""
    if event_type in EVENT_TYPES:
        emit(session, EventType(event_type), data, now=now)


def publish_states(events: EventBus, changes: list[StateChange]) -> None:
    for message_id, state in changes:
        events.publish("message.status", {"id": message_id, "state": state.value})


@dataclass
class Gateway:
    """Every background service of one node, built on one session factory."""

    sessions: sessionmaker[Session]
    events: EventBus
    dispatcher: Dispatcher
    webhooks: WebhookWorker
    inbox: SimInbox
    campaigns: CampaignScheduler

    @classmethod
    def build(cls, config: Config, engine: Engine) -> Gateway:
        rules = LiveRules(config)
        sessions = gated_sessions(config, engine, rules)
        events = EventBus()
        on_state_changes(
            sessions,
            before_commit=MessageStatusWebhooks(),
            after_commit=lambda changes: publish_states(events, changes),
        )
        pipeline = Pipeline(Settings.from_config(config, rules), bus=events, webhook=emit_webhook)
        inbox = SimInbox(sessions, pipeline)
        return cls(
            sessions=sessions,
            events=events,
            dispatcher=Dispatcher(
                config, sessions, on_event=inbox, on_sweep=inbox.sweep, rules=rules.policy
            ),
            webhooks=WebhookWorker(sessions, config.webhooks),
            inbox=inbox,
            campaigns=CampaignScheduler(config, sessions, engine),
        )

    @property
    def services(self) -> Services:
        return Services(events=self.events, dispatcher=self.dispatcher)

    def start(self) -> None:
        self.dispatcher.start()
        self.webhooks.start()
        self.campaigns.start()

    def stop(self) -> None:
        self.campaigns.stop()
        self.webhooks.stop()
        self.dispatcher.stop()


def settle_heap() -> None:
    """Keep what start-up built (modules, the app, mappers, number metadata) out of every
    later garbage collection: a full collection over it stopped every thread, and so
    every modem, for 35-40 ms each time it ran."""
    gc.collect()
    gc.freeze()


def run_gateway(config: Config, engine: Engine, *, on_ready: Callable[[str], None]) -> None:
    """Serve until SIGINT/SIGTERM; everything started here is stopped before returning."""
    gateway = Gateway.build(config, engine)
    app = load_app_factory()(config, gateway.sessions, gateway.services)
    # Handlers go in first: a SIGTERM during start-up must also end in the clean path.
    with stop_on_signals():
        try:
            gateway.start()
            settle_heap()
            serve(app, config, on_ready=on_ready, on_stopping=gateway.services.events.close)
        except SystemExit:
            log.info("interrupted during start-up")
        finally:
            gateway.stop()
            engine.dispose()
            log.info("stopped")
