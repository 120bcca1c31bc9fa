"""``/metrics`` as Prometheus reads it: parsed by the client library's own parser."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session, sessionmaker

from gateway.apikeys import create_key
from gateway.config import Config, GatewaySection, ModemSection
from gateway.dispatch import Dispatcher
from gateway.models import utcnow
from gateway.queue import enqueue
from gateway.services import Services
from gateway.states import MessageState
from tests.unit.test_queue_metrics import FAMILIES, HOSTILE
from web import create_app


def test_metrics_parse_with_every_state_and_each_modem_of_this_node(
    tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    config = Config(
        gateway=GatewaySection(data_dir=str(tmp_path / "data")),
        modems=(
            ModemSection(name="sim0", port="loop://", daily_cap=300),
            # The config loader refuses such a name; the exposition must parse regardless.
            ModemSection(name=HOSTILE, port="loop://", daily_cap=0),
        ),
    )
    with sessions() as session:
        enqueue(session, "+12025550101", "hi", region="US", now=datetime(2026, 3, 2, tzinfo=UTC))
    with sessions.begin() as session:
        _, key = create_key(session, "prometheus", ["read"], now=utcnow())
    app = create_app(config, sessions, Services(dispatcher=Dispatcher(config, sessions)))

    response = app.test_client().get("/metrics", headers={"Authorization": f"Bearer {key}"})

    assert response.status_code == 200
    assert response.content_type == "text/plain; version=0.0.4; charset=utf-8"
    families = {f.name: f for f in text_string_to_metric_families(response.get_data(as_text=True))}
    assert {name: family.type for name, family in families.items()} == FAMILIES
    messages = {s.labels["state"]: s.value for s in families["cellgate_messages"].samples}
    assert messages == {str(state): int(state == "queued") for state in MessageState}
    per_modem = {
        (sample.name, sample.labels["modem"]): sample.value
        for name, family in families.items()
        if name != "cellgate_messages"
        for sample in family.samples
    }
    # Not started: neither modem is up and nothing was sent.
    assert per_modem == {
        (f"{name}{suffix}", modem): cap if name == "cellgate_modem_daily_cap" else 0
        for name, suffix in [
            ("cellgate_modem_up", ""),
            ("cellgate_modem_sent", "_total"),
            ("cellgate_modem_sent_parts", "_total"),
            ("cellgate_modem_failed", "_total"),
            ("cellgate_modem_retries", "_total"),
            ("cellgate_modem_send_latency_seconds", ""),
            ("cellgate_modem_sent_today", ""),
            ("cellgate_modem_daily_cap", ""),
        ]
        for modem, cap in [("sim0", 300), (HOSTILE, 0)]
    }
