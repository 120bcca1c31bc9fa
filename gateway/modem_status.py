"""The modems dashboard: what each modem is, how it is doing, and a USSD balance check.

Three sources are merged: the configuration (the modems this node owns), the live
health of this node's workers, and the ``modems`` table that every node writes (so a
modem on another Pi still shows when it was last seen and what went wrong).

Signal and network are asked of the modem itself. The worker owns the port, but the
driver serialises every command under its own lock, so a probe is simply one more
command in line; it runs on a background thread so a modem busy in a 20 s AT+CMGS
never holds a web request, and the page shows the last answer.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from drivers.errors import ModemError
from drivers.modem import Registration, Signal
from gateway.config import Config
from gateway.dispatch import Dispatcher, ModemHealth
from gateway.errors import NotFound, ValidationError
from gateway.models import Direction, Message, ModemRecord
from gateway.states import MessageState

log = logging.getLogger(__name__)

PROBE_EVERY_SECONDS = 30.0
USSD_TIMEOUT_SECONDS = 20.0
WAITING = (MessageState.QUEUED, MessageState.RETRY_WAIT, MessageState.SENDING)


@runtime_checkable
class Radio(Protocol):
    """The parts of a driver that can say how the radio is doing (the serial modem can)."""

    def signal(self) -> Signal: ...

    def registration(self) -> Registration: ...

    def ussd(self, code: str, timeout: float = ...) -> str: ...


@dataclass(frozen=True)
class RadioState:
    signal: Signal | None = None
    registration: Registration | None = None
    error: str | None = None
    at: float = 0.0


@dataclass(frozen=True)
class ModemView:
    name: str
    local: bool  # owned by this node's dispatcher
    port: str | None
    record: ModemRecord | None
    health: ModemHealth | None
    radio: RadioState
    queued: int
    sent_today: int
    daily_cap: int | None

    @property
    def state(self) -> str:
        """One word for the badge: up, down, cooling or unknown (another node's modem)."""
        if self.health is not None:
            if self.health.down_reason:
                return "down"
            if self.health.cooldown_until is not None:
                return "cooling"
            return "up" if self.health.connected else "down"
        if self.record is not None:
            return "down" if self.record.down_since is not None else "up"
        return "unknown"


class RadioProbe:
    """Last known signal and registration per modem, refreshed in the background."""

    def __init__(self, ticker: Callable[[], float] = time.monotonic) -> None:
        self._ticker = ticker
        self._lock = threading.Lock()
        self._states: dict[str, RadioState] = {}
        self._running: set[str] = set()

    def state(self, name: str, driver: object) -> RadioState:
        """The cached state; starts a refresh when it is older than PROBE_EVERY_SECONDS."""
        with self._lock:
            state = self._states.get(name, RadioState())
            stale = self._ticker() - state.at >= PROBE_EVERY_SECONDS or not state.at
            start = stale and name not in self._running and isinstance(driver, Radio)
            if start:
                self._running.add(name)
        if start:
            assert isinstance(driver, Radio)
            threading.Thread(
                target=self._probe, args=(name, driver), name=f"probe-{name}", daemon=True
            ).start()
        return state

    def _probe(self, name: str, radio: Radio) -> None:
        try:
            state = RadioState(radio.signal(), radio.registration(), None, self._ticker())
        except (ModemError, OSError) as exc:
            state = RadioState(None, None, str(exc), self._ticker())
        with self._lock:
            self._states[name] = state
            self._running.discard(name)


def _start_of_day(now: datetime, zone: ZoneInfo) -> datetime:
    local = now.astimezone(zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def overview(
    session: Session,
    config: Config,
    dispatcher: Dispatcher | None,
    probe: RadioProbe | None,
    *,
    now: datetime,
) -> list[ModemView]:
    """Every modem this node owns, then every other one some node has reported.

    Without a ``probe`` the radio is not asked (the API reports what the gateway knows).
    """
    records = {record.name: record for record in session.scalars(select(ModemRecord))}
    health = {item.name: item for item in dispatcher.health()} if dispatcher else {}
    queued = dict(
        session.execute(
            select(Message.modem, func.count())
            .where(Message.state.in_(WAITING), Message.modem.is_not(None))
            .group_by(Message.modem)
        ).all()
    )
    since = _start_of_day(now, ZoneInfo(config.gateway.timezone))
    sent = dict(
        session.execute(
            select(Message.sent_modem, func.coalesce(func.sum(Message.segments), 0))
            .where(Message.direction == Direction.OUT, Message.sent_at >= since)
            .group_by(Message.sent_modem)
        ).all()
    )
    views = []
    configured = {section.name: section for section in config.modems}
    for name in [*configured, *sorted(set(records) - set(configured))]:
        section = configured.get(name)
        worker = dispatcher.workers.get(name) if dispatcher else None
        views.append(
            ModemView(
                name=name,
                local=section is not None,
                port=section.port if section else None,
                record=records.get(name),
                health=health.get(name),
                radio=probe.state(name, worker.driver) if worker and probe else RadioState(),
                queued=queued.get(name, 0),
                sent_today=sent.get(name, 0),
                daily_cap=section.daily_cap if section else None,
            )
        )
    return views


def unassigned_queue(session: Session) -> int:
    """Messages any modem may take."""
    return (
        session.scalar(
            select(func.count()).where(Message.state.in_(WAITING), Message.modem.is_(None))
        )
        or 0
    )


def check_balance(dispatcher: Dispatcher | None, name: str, code: str) -> str:
    """Run a USSD code on ``name`` (one of this node's modems) and return the answer.

    Raises :class:`NotFound` for a modem this node does not own and
    :class:`ValidationError` for a bad code or a modem that cannot answer.
    """
    worker = dispatcher.workers.get(name) if dispatcher else None
    if worker is None:
        raise NotFound(f"modem {name} is not attached to this node")
    if not isinstance(worker.driver, Radio):
        raise ValidationError(f"modem {name}'s driver cannot run USSD codes", field="code")
    try:
        return worker.driver.ussd(code, timeout=USSD_TIMEOUT_SECONDS)
    except ValueError as exc:
        raise ValidationError(str(exc), field="code") from None
    except ModemError as exc:
        log.warning("USSD %s on %s failed: %s", code, name, exc)
        raise ValidationError(f"{name} could not run {code}: {exc}", field="code") from None
