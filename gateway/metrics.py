"""Prometheus text exposition (format 0.0.4) of the queue and the modems' health.

Rendered by hand: a dozen gauges and counters do not need a client library, and the
values come from snapshots the dispatcher already keeps plus one grouped count query.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.dispatch.health import ModemHealth
from gateway.models import Direction, Message
from gateway.states import MessageState

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


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


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _metric(
    name: str, kind: str, help: str, samples: Iterable[tuple[Mapping[str, str], float]]
) -> list[str]:
    lines = [f"# HELP {name} {help}", f"# TYPE {name} {kind}"]
    for labels, value in samples:
        rendered = ",".join(f'{key}="{_label(text)}"' for key, text in labels.items())
        lines.append(f"{name}{{{rendered}}} {value:g}" if rendered else f"{name} {value:g}")
    return lines


def render_metrics(health: Sequence[ModemHealth], states: Mapping[str, int]) -> str:
    def per_modem(value: str) -> list[tuple[Mapping[str, str], float]]:
        return [({"modem": h.name}, float(getattr(h, value) or 0)) for h in health]

    lines = _metric(
        "cellgate_messages",
        "gauge",
        "Outbound messages by state.",
        [({"state": state}, count) for state, count in sorted(states.items())],
    )
    lines += _metric(
        "cellgate_modem_up",
        "gauge",
        "1 while the modem can send.",
        [({"modem": h.name}, float(h.connected and h.down_reason is None)) for h in health],
    )
    lines += _metric(
        "cellgate_modem_sent_total", "counter", "Messages sent since start.", per_modem("sent")
    )
    lines += _metric(
        "cellgate_modem_sent_parts_total",
        "counter",
        "SMS parts sent since start.",
        per_modem("sent_parts"),
    )
    lines += _metric(
        "cellgate_modem_failed_total",
        "counter",
        "Messages failed since start.",
        per_modem("failed"),
    )
    lines += _metric(
        "cellgate_modem_retries_total",
        "counter",
        "Send attempts to be retried since start.",
        per_modem("retries"),
    )
    lines += _metric(
        "cellgate_modem_send_latency_seconds",
        "gauge",
        "Average time of one send (AT+CMGS for every part).",
        per_modem("average_latency"),
    )
    lines += _metric(
        "cellgate_modem_sent_today", "gauge", "SMS parts sent today.", per_modem("sent_today")
    )
    lines += _metric(
        "cellgate_modem_daily_cap", "gauge", "Daily SMS cap (0: none).", per_modem("daily_cap")
    )
    return "\n".join(lines) + "\n"
