"""The campaign endpoints of API v1: create (idempotent), schedule, pause, cancel, stats,
and CSV import with typed fields, consent sources and per-row errors."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway import contact_fields
from gateway.apikeys import create_key
from gateway.models import ConsentEvent, Contact, utcnow

CSV = (
    "number,first_name,appointment_at,consent_source\n"
    "+447700900001,Ada,2026-06-05 10:00,paper form\n"
    "+447700900002,,not a date,\n"
    "+447700900003,Alan,,\n"
    "+447700900001,Again,,\n"
)


def headers(sessions: sessionmaker[Session]) -> dict[str, str]:
    with sessions.begin() as session:
        _, plain = create_key(session, "test", ["send", "read"], now=utcnow())
    return {"Authorization": f"Bearer {plain}"}


def test_import_then_campaign_life_cycle(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    auth = headers(sessions)
    with sessions.begin() as session:
        contact_fields.declare(session, "appointment_at", "datetime")
    imported = client.post(
        "/api/v1/contacts/import", json={"csv": CSV, "time_zone": "UTC"}, headers=auth
    )
    assert imported.status_code == 200
    result = imported.get_json()
    assert (result["created"], result["updated"]) == (2, 0)
    assert [error["line"] for error in result["errors"]] == [3, 5]
    with sessions() as session:
        ada = session.scalars(select(Contact).where(Contact.number == "+447700900001")).one()
        assert ada.fields == {"appointment_at": "2026-06-05T10:00:00+00:00"}
        sources = session.scalars(select(ConsentEvent.detail)).all()
        assert sources == ["paper form"]

    new = {
        "name": "reminder",
        "body": "Hi {{first_name|there}}, reply C to confirm",
        "per_minute": 1,
        "replies": [{"keywords": "C", "actions": [{"kind": "tag", "value": "confirmed"}]}],
    }
    once = {**auth, "Idempotency-Key": "campaign-1"}
    created = client.post("/api/v1/campaigns", json=new, headers=once)
    assert created.status_code == 201
    again = client.post("/api/v1/campaigns", json=new, headers=once)
    assert again.headers.get("Idempotent-Replayed") == "true"
    campaign = created.get_json()
    assert campaign["status"] == "draft"
    base = f"/api/v1/campaigns/{campaign['id']}"
    scheduled = client.post(f"{base}/schedule", headers=auth)
    assert scheduled.get_json()["status"] == "active"
    assert client.post(f"{base}/schedule", headers=auth).status_code == 422
    listed = client.get("/api/v1/campaigns", headers=auth).get_json()["data"]
    assert [c["name"] for c in listed] == ["reminder"]
    stats = client.get(f"{base}/stats", headers=auth).get_json()
    assert (stats["total"], stats["progress"]) == (0, 0.0)
    assert client.post(f"{base}/pause", headers=auth).get_json()["status"] == "paused"
    assert client.post(f"{base}/resume", headers=auth).get_json()["status"] == "active"
    assert client.post(f"{base}/cancel", headers=auth).get_json()["status"] == "cancelled"
    assert client.get("/api/v1/campaigns/999/stats", headers=auth).status_code == 404


def test_a_campaign_naming_an_undeclared_field_is_refused(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    answer = client.post(
        "/api/v1/campaigns",
        json={"name": "x", "body": "Hi {{ nickname }}"},
        headers=headers(sessions),
    )
    assert answer.status_code == 422
    assert answer.get_json()["error"]["field"] == "body"
