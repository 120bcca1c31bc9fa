"""Contract tests of /api/v1/contacts: create, read, change, consent, erase, pages, scopes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway import contacts
from gateway.apikeys import create_key
from gateway.models import ConsentChannel, ConsentEvent, Kind, Message, Suppression, utcnow
from gateway.queue.enqueue import enqueue
from gateway.states import MessageState

pytest_plugins = ["tests.plugins.inbound"]

Headers = dict[str, str]
NUMBER = "+14155550123"


@pytest.fixture
def key_for(sessions: sessionmaker[Session]) -> Callable[..., Headers]:
    def make(*scopes: str) -> Headers:
        with sessions.begin() as session:
            _, plain = create_key(session, "contacts test", scopes, now=utcnow())
        return {"Authorization": f"Bearer {plain}"}

    return make


@pytest.fixture
def admin(key_for: Callable[..., Headers]) -> Headers:
    return key_for("admin")


def create(client: FlaskClient, headers: Headers, **fields: object) -> tuple[int, Any]:
    response = client.post("/api/v1/contacts", json=fields, headers=headers)
    return response.status_code, response.get_json()


def test_a_created_contact_is_stored_in_e164_and_readable(
    client: FlaskClient, admin: Headers
) -> None:
    status, body = create(
        client,
        admin,
        number="(415) 555-0123",
        first_name="Ada",
        last_name="Lovelace",
        time_zone="America/Los_Angeles",
        tags=["vip", " beta ", "vip"],
        fields={"plan": "gold", "seats": 3, "trial": False, "score": 4.5},
    )
    assert status == 201
    assert body["number"] == NUMBER
    assert body["tags"] == ["beta", "vip"]
    assert body["fields"] == {"plan": "gold", "seats": 3, "trial": False, "score": 4.5}
    assert (body["opted_out"], body["conversation_id"]) == (False, None)
    assert client.get(f"/api/v1/contacts/{body['id']}", headers=admin).get_json() == body


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"number": "12"}, "number"),
        ({"number": "not a number"}, "number"),
        ({}, "number"),
        ({"number": NUMBER, "nickname": "x"}, "nickname"),
        ({"number": NUMBER, "first_name": "x" * 65}, "first_name"),
        ({"number": NUMBER, "last_name": 7}, "last_name"),
        ({"number": NUMBER, "time_zone": "Mars/Olympus"}, "time_zone"),
        ({"number": NUMBER, "tags": "vip"}, "tags"),
        ({"number": NUMBER, "tags": ["x" * 33]}, "tags"),
        ({"number": NUMBER, "tags": ["  "]}, "tags"),
        ({"number": NUMBER, "tags": [str(n) for n in range(51)]}, "tags"),
        ({"number": NUMBER, "fields": ["plan"]}, "fields"),
        ({"number": NUMBER, "fields": {"plan": {"nested": 1}}}, "fields"),
        ({"number": NUMBER, "fields": {"plan": None}}, "fields"),
        ({"number": NUMBER, "fields": {"score": float("nan")}}, "fields"),
        ({"number": NUMBER, "fields": {"big": 2**60}}, "fields"),
        ({"number": NUMBER, "fields": {"": "x"}}, "fields"),
        ({"number": NUMBER, "fields": {"note": "a\x00b"}}, "fields"),
        ({"number": NUMBER, "opted_out": "yes"}, "opted_out"),
    ],
)
def test_invalid_input_is_refused_naming_the_field(
    client: FlaskClient, admin: Headers, fields: dict[str, object], field: str
) -> None:
    status, body = create(client, admin, **fields)
    assert (status, body["error"]["code"], body["error"]["field"]) == (422, "invalid", field)


def test_a_second_contact_with_the_same_number_is_a_conflict(
    client: FlaskClient, admin: Headers
) -> None:
    first = create(client, admin, number=NUMBER)[1]
    status, body = create(client, admin, number="+1 415 555 0123")
    assert (status, body["error"]["field"]) == (409, "number")
    assert str(first["id"]) in body["error"]["message"]


def test_writing_needs_the_admin_scope_and_reading_the_read_scope(
    client: FlaskClient, admin: Headers, key_for: Callable[..., Headers]
) -> None:
    contact_id = create(client, admin, number=NUMBER)[1]["id"]
    reader, sender = key_for("read"), key_for("send")
    assert client.get(f"/api/v1/contacts/{contact_id}", headers=reader).status_code == 200
    assert client.get("/api/v1/contacts", headers=sender).status_code == 403
    assert create(client, reader, number="+14155550199")[0] == 403
    for headers in (reader, sender):
        url = f"/api/v1/contacts/{contact_id}"
        assert client.patch(url, json={"first_name": "X"}, headers=headers).status_code == 403
        assert client.delete(url, headers=headers).status_code == 403


def test_pages_walk_every_contact_once_newest_first(client: FlaskClient, admin: Headers) -> None:
    made = [create(client, admin, number=f"+1415555010{n}")[1]["id"] for n in range(5)]
    seen: list[int] = []
    url = "/api/v1/contacts?limit=2"
    while True:
        page = client.get(url, headers=admin).get_json()
        seen += [contact["id"] for contact in page["data"]]
        if page["next_cursor"] is None:
            break
        url = f"/api/v1/contacts?limit=2&cursor={page['next_cursor']}"
    assert seen == made[::-1]


def test_contacts_are_filtered_by_number_and_opt_out(client: FlaskClient, admin: Headers) -> None:
    kept = create(client, admin, number=NUMBER)[1]["id"]
    gone = create(client, admin, number="+14155550199", opted_out=True)[1]["id"]

    def ids(query: str) -> list[int]:
        return [
            c["id"]
            for c in client.get(f"/api/v1/contacts?{query}", headers=admin).get_json()["data"]
        ]

    assert ids("number=(415) 555-0123") == [kept]
    assert ids("opted_out=true") == [gone]
    assert ids("opted_out=false") == [kept]
    refused = client.get("/api/v1/contacts?number=12", headers=admin)
    assert (refused.status_code, refused.get_json()["error"]["field"]) == (422, "number")


def test_patch_changes_only_the_fields_given(client: FlaskClient, admin: Headers) -> None:
    contact = create(client, admin, number=NUMBER, first_name="Ada", tags=["a"])[1]
    url = f"/api/v1/contacts/{contact['id']}"
    response = client.patch(url, json={"last_name": "King", "tags": ["b"]}, headers=admin)
    assert response.status_code == 200
    assert (response.get_json()["first_name"], response.get_json()["last_name"]) == ("Ada", "King")
    assert response.get_json()["tags"] == ["b"]
    refused = client.patch(url, json={"number": "+14155550199"}, headers=admin)
    assert (refused.status_code, refused.get_json()["error"]["field"]) == (422, "number")


def test_an_api_opt_out_is_in_the_ledger_withdraws_waiting_messages_and_can_be_undone(
    client: FlaskClient, admin: Headers, sessions: sessionmaker[Session]
) -> None:
    contact_id = create(client, admin, number=NUMBER)[1]["id"]
    with sessions() as session:
        waiting = enqueue(session, NUMBER, "see you", region="US", now=utcnow()).id
    url = f"/api/v1/contacts/{contact_id}"
    out = client.patch(url, json={"opted_out": True}, headers=admin).get_json()
    assert (out["opted_out"], out["opt_out_channel"]) == (True, "api")
    back = client.patch(url, json={"opted_out": False}, headers=admin).get_json()
    assert back["opted_out"] is False
    with sessions() as session:
        assert session.get(Message, waiting).state == MessageState.SUPPRESSED  # type: ignore[union-attr]
        ledger = session.scalars(select(ConsentEvent).order_by(ConsentEvent.id)).all()
        assert [(e.action, e.channel) for e in ledger] == [("opt_out", "api"), ("opt_in", "api")]


def test_someone_who_texted_stop_cannot_be_resubscribed_through_the_api(
    client: FlaskClient, admin: Headers, sessions: sessionmaker[Session]
) -> None:
    contact_id = create(client, admin, number=NUMBER)[1]["id"]
    with sessions.begin() as session:
        contacts.opt_out(session, contacts.get(session, contact_id), ConsentChannel.SMS, utcnow())
    response = client.patch(
        f"/api/v1/contacts/{contact_id}",
        json={"opted_out": False, "first_name": "Changed"},
        headers=admin,
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "consent_locked"
    assert response.get_json()["error"]["field"] == "opted_out"
    after = client.get(f"/api/v1/contacts/{contact_id}", headers=admin).get_json()
    assert (after["opted_out"], after["first_name"]) == (True, "")


def test_erasing_keeps_the_number_suppressed(
    client: FlaskClient, admin: Headers, gated: sessionmaker[Session]
) -> None:
    contact_id = create(client, admin, number=NUMBER, first_name="Ada")[1]["id"]
    with gated() as session:
        enqueue(session, NUMBER, "hello", region="US", now=utcnow())
    assert client.delete(f"/api/v1/contacts/{contact_id}", headers=admin).status_code == 204
    assert client.get(f"/api/v1/contacts/{contact_id}", headers=admin).status_code == 404
    assert client.delete(f"/api/v1/contacts/{contact_id}", headers=admin).status_code == 404
    with gated() as session:
        assert session.scalars(select(Message)).all() == []
        assert session.get(Suppression, contacts.number_hash(NUMBER)) is not None
    again = create(client, admin, number=NUMBER)
    assert again[0] == 201
    with gated() as session:
        message = enqueue(session, NUMBER, "back?", kind=Kind.MARKETING, region="US", now=utcnow())
        assert (message.state, message.last_error) == (
            MessageState.SUPPRESSED,
            "suppressed: erased",
        )


def test_the_export_holds_the_contact_and_their_messages(
    client: FlaskClient, admin: Headers, sessions: sessionmaker[Session]
) -> None:
    contact_id = create(client, admin, number=NUMBER, first_name="Ada")[1]["id"]
    with sessions() as session:
        enqueue(session, NUMBER, "hello Ada", region="US", now=utcnow())
    export = client.get(f"/api/v1/contacts/{contact_id}/export", headers=admin).get_json()
    assert export["contact"]["first_name"] == "Ada"
    assert [m["body"] for m in export["messages"]] == ["hello Ada"]


@pytest.mark.parametrize("contact_id", [999, 2**31, 10**12])
def test_an_unknown_contact_is_404(client: FlaskClient, admin: Headers, contact_id: int) -> None:
    for method in ("GET", "DELETE"):
        response = client.open(f"/api/v1/contacts/{contact_id}", method=method, headers=admin)
        assert (response.status_code, response.get_json()["error"]["code"]) == (404, "not_found")
