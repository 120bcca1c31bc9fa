"""Prometheus exposition of the queue and the modems' health, through prometheus_client.

The official client owns the text format (escaping, counter naming, number rendering),
so new metrics cost a family here rather than format code. The values are not the
client's live metric objects: the dispatcher already keeps health snapshots and the
queue is one grouped count, so a collector turns what one scrape read into families, in
a registry of its own. The client's global registry would add process metrics and mix
every gateway of a process (tests run several), while each node shows only its modems.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.dispatch.health import ModemHealth
from gateway.models import Direction, Message
from gateway.states import MessageState


def queue_states(session: Session) -> dict[str, int]:
    """How many outbound messages are in each state (every state present, 0 if none)."""
    counts = dict.fromkeys(MessageState, 0)
    rows = session.execute(
        select(Message.state, func.count())
        .where(Message.direction == Direction.OUT)
        .group_by(Message.state)
    ).all()
    counts.update({MessageState(state): count for state, count in rows if state is not None})
    return {str(state): count for state, count in counts.items()}


def _field(name: str) -> Callable[[ModemHealth], float]:
    return lambda health: float(getattr(health, name) or 0)


_Family = type[GaugeMetricFamily] | type[CounterMetricFamily]

# Family, name (a counter's without ``_total``: the client adds it), help, value.
_PER_MODEM: list[tuple[_Family, str, str, Callable[[ModemHealth], float]]] = [
    (
        GaugeMetricFamily,
        "cellgate_modem_up",
        "1 while the modem can send.",
        lambda health: float(health.connected and health.down_reason is None),
    ),
    (CounterMetricFamily, "cellgate_modem_sent", "Messages sent since start.", _field("sent")),
    (
        CounterMetricFamily,
        "cellgate_modem_sent_parts",
        "SMS parts sent since start.",
        _field("sent_parts"),
    ),
    (
        CounterMetricFamily,
        "cellgate_modem_failed",
        "Messages failed since start.",
        _field("failed"),
    ),
    (
        CounterMetricFamily,
        "cellgate_modem_retries",
        "Send attempts to be retried since start.",
        _field("retries"),
    ),
    (
        GaugeMetricFamily,
        "cellgate_modem_send_latency_seconds",
        "Average time of one send (AT+CMGS for every part).",
        _field("average_latency"),
    ),
    (GaugeMetricFamily, "cellgate_modem_sent_today", "SMS parts sent today.", _field("sent_today")),
    (
        GaugeMetricFamily,
        "cellgate_modem_daily_cap",
        "Daily SMS cap (0: none).",
        _field("daily_cap"),
    ),
]


@dataclass(frozen=True, eq=False)
class _Scrape:
    """What one scrape read, as a collector (a registry keys collectors by identity)."""

    health: Sequence[ModemHealth]
    states: Mapping[str, int]

    def collect(self) -> Iterator[Metric]:
        messages = GaugeMetricFamily(
            "cellgate_messages", "Outbound messages by state.", labels=["state"]
        )
        for state, count in sorted(self.states.items()):
            messages.add_metric([state], count)
        yield messages
        for family, name, help, value in _PER_MODEM:
            metric = family(name, help, labels=["modem"])
            for health in self.health:
                metric.add_metric([health.name], value(health))
            yield metric


def render_metrics(health: Sequence[ModemHealth], states: Mapping[str, int]) -> bytes:
    """The text exposition format; serve it as ``prometheus_client.CONTENT_TYPE_PLAIN_0_0_4``."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Scrape(health, states))
    return generate_latest(registry)
