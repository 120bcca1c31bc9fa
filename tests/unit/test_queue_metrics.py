"""The /metrics text: queue states from the database and each modem's health."""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session

from gateway.dispatch.health import ModemHealth
from gateway.metrics import queue_states, render_metrics
from gateway.queue import enqueue
from gateway.states import MessageState

HOSTILE = 'odd"name\\with\nnewline'


# The families a dashboard relies on, with their types (counters are exposed as *_total).
FAMILIES = {
    "cellgate_messages": "gauge",
    "cellgate_modem_up": "gauge",
    "cellgate_modem_sent": "counter",
    "cellgate_modem_sent_parts": "counter",
    "cellgate_modem_failed": "counter",
    "cellgate_modem_retries": "counter",
    "cellgate_modem_send_latency_seconds": "gauge",
    "cellgate_modem_sent_today": "gauge",
    "cellgate_modem_daily_cap": "gauge",
}


def test_metrics_show_every_state_and_every_modem(db_session: Session) -> None:
    now = datetime(2026, 3, 2, tzinfo=UTC)
    for _ in range(2):
        enqueue(db_session, "+12025550101", "hi", region="US", now=now)
    states = queue_states(db_session)
    assert states["queued"] == 2
    assert states["delivered"] == 0
    health = [
        ModemHealth(
            name="sim0",
            connected=True,
            sent=5,
            sent_parts=7,
            failed=1,
            retries=2,
            average_latency=3.25,
            sent_today=7,
            daily_cap=500,
        ),
        ModemHealth(name=HOSTILE, connected=True, down_reason="daily cap of 1 SMS reached"),
    ]
    families = {
        family.name: family
        for family in text_string_to_metric_families(render_metrics(health, states).decode())
    }
    kinds = {name: family.type for name, family in families.items()}
    assert kinds == FAMILIES
    messages = {s.labels["state"]: s.value for s in families["cellgate_messages"].samples}
    assert messages == {str(state): 2 if state == "queued" else 0 for state in MessageState}

    def of_modem(modem: str) -> dict[str, float]:
        return {
            sample.name: sample.value
            for family in families.values()
            for sample in family.samples
            if sample.labels == {"modem": modem}
        }

    assert of_modem("sim0") == {
        "cellgate_modem_up": 1,
        "cellgate_modem_sent_total": 5,
        "cellgate_modem_sent_parts_total": 7,
        "cellgate_modem_failed_total": 1,
        "cellgate_modem_retries_total": 2,
        "cellgate_modem_send_latency_seconds": 3.25,
        "cellgate_modem_sent_today": 7,
        "cellgate_modem_daily_cap": 500,
    }
    assert of_modem(HOSTILE) == {
        "cellgate_modem_up": 0,
        "cellgate_modem_sent_total": 0,
        "cellgate_modem_sent_parts_total": 0,
        "cellgate_modem_failed_total": 0,
        "cellgate_modem_retries_total": 0,
        "cellgate_modem_send_latency_seconds": 0,
        "cellgate_modem_sent_today": 0,
        "cellgate_modem_daily_cap": 0,
    }
