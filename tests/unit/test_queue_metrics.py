"""The /metrics text: queue states from the database and each modem's health."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from gateway.dispatch.health import ModemHealth
from gateway.metrics import queue_states, render_metrics
from gateway.queue import enqueue


def test_metrics_show_every_state_and_every_modem(db_session: Session) -> None:
    now = datetime(2026, 3, 2, tzinfo=UTC)
    for _ in range(2):
        enqueue(db_session, "+12025550101", "hi", region="US", now=now)
    states = queue_states(db_session)
    assert states["queued"] == 2
    assert states["delivered"] == 0
    health = [
        ModemHealth(name="sim0", connected=True, sent=5, average_latency=3.25, daily_cap=500),
        ModemHealth(name='odd"name', connected=True, down_reason="daily cap of 1 SMS reached"),
    ]
    text = render_metrics(health, states)
    assert 'cellgate_messages{state="queued"} 2\n' in text
    assert 'cellgate_modem_up{modem="sim0"} 1\n' in text
    assert 'cellgate_modem_up{modem="odd\\"name"} 0\n' in text
    assert 'cellgate_modem_sent_total{modem="sim0"} 5\n' in text
    assert 'cellgate_modem_send_latency_seconds{modem="sim0"} 3.25\n' in text
    assert "# TYPE cellgate_modem_sent_total counter" in text
