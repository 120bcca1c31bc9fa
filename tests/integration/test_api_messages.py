"""Contract tests of /api/v1/messages: auth, scopes, input checks, idempotency, pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.apikeys import create_key, revoke
from gateway.config import ApiSection, Config, ModemSection
from gateway.models import Direction, Message, utcnow
from gateway.queue.enqueue import enqueue
from web import create_app

Headers = dict[str, str]
KeyFactory = Callable[..., Headers]
NUMBER = "+14155550123"


@pytest.fixture
def key_for(sessions: sessionmaker[Session]) -> KeyFactory:
    """``key_for("send", "read")`` -> Authorization headers of a new key with those scopes."""

    def make(*scopes: str) -> Headers:
        with sessions.begin() as session:
            _, plain = create_key(session, "test", scopes, now=utcnow())
        return {"Authorization": f"Bearer {plain}"}

    return make


@pytest.fixture
def auth(key_for: KeyFactory) -> Headers:
    return key_for("send", "read")


def send(client: FlaskClient, headers: Headers, **fields: object) -> tuple[int, Any]:
    response = client.post("/api/v1/messages", json=fields, headers=headers)
    return response.status_code, response.get_json()


def count_messages(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Message)) or 0


# -- sending --


def test_a_message_is_queued_and_readable(client: FlaskClient, auth: Headers) -> None:
    status, body = send(client, auth, to=NUMBER, body="Your code is 1234")
    assert status == 202
    assert body == {"id": body["id"], "state": "queued", "segments": 1, "encoding": "gsm7"}
    fetched = client.get(f"/api/v1/messages/{body['id']}", headers=auth).get_json()
    assert fetched["peer"] == NUMBER
    assert fetched["body"] == "Your code is 1234"
    assert fetched["direction"] == "out"


def test_a_message_for_later_is_scheduled(client: FlaskClient, auth: Headers) -> None:
    later = (utcnow() + timedelta(hours=2)).isoformat()
    status, body = send(client, auth, to=NUMBER, body="Reminder", send_at=later)
    assert (status, body["state"]) == (202, "scheduled")


def test_unicode_text_is_counted_as_ucs2(client: FlaskClient, auth: Headers) -> None:
    status, body = send(client, auth, to=NUMBER, body="Привет 👋")
    assert (status, body["encoding"]) == (202, "ucs2")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"body": "hi"}, "to"),
        ({"to": NUMBER}, "body"),
        ({"to": "12", "body": "hi"}, "to"),
        ({"to": "not a number", "body": "hi"}, "to"),
        ({"to": 14155550123, "body": "hi"}, "to"),
        ({"to": NUMBER, "body": ""}, "body"),
        ({"to": NUMBER, "body": ["hi"]}, "body"),
        ({"to": NUMBER, "body": "x" * 1601}, "body"),
        ({"to": NUMBER, "body": "nul \x00 byte"}, "body"),
        ({"to": "+1415555\x000123", "body": "hi"}, "to"),
        ({"to": NUMBER, "body": "hi", "priority": "high"}, "priority"),
        ({"to": NUMBER, "body": "hi", "priority": True}, "priority"),
        ({"to": NUMBER, "body": "hi", "priority": 101}, "priority"),
        ({"to": NUMBER, "body": "hi", "send_at": "tomorrow"}, "send_at"),
        ({"to": NUMBER, "body": "hi", "send_at": "2030-01-01T09:00:00"}, "send_at"),
        ({"to": NUMBER, "body": "hi", "modem": "nosuch"}, "modem"),
        ({"to": NUMBER, "body": "hi", "colour": "red"}, "colour"),
    ],
)
def test_bad_fields_are_refused_with_the_field_named(
    client: FlaskClient,
    auth: Headers,
    sessions: sessionmaker[Session],
    fields: dict[str, object],
    field: str,
) -> None:
    status, body = send(client, auth, **fields)
    assert status == 422
    assert body["error"]["code"] == "invalid"
    assert body["error"]["field"] == field
    assert count_messages(sessions) == 0


def test_a_configured_modem_may_be_chosen(
    config: Config, sessions: sessionmaker[Session], users: None, key_for: KeyFactory
) -> None:
    modem = ModemSection(name="sim1", port="sim://generic")
    app = create_app(Config(gateway=config.gateway, modems=(modem,)), sessions)
    status, _ = send(app.test_client(), key_for("send"), to=NUMBER, body="hi", modem="sim1")
    assert status == 202


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        ("", "application/json", 400),
        ("{not json", "application/json", 400),
        ('["a list"]', "application/json", 400),
        ("null", "application/json", 400),
        ('{"to": "+14155550123"}', "text/plain", 415),
        ("to=%2B14155550123&body=hi", "application/x-www-form-urlencoded", 415),
    ],
)
def test_bodies_that_are_not_a_json_object_are_refused(
    client: FlaskClient, auth: Headers, data: str, content_type: str, status: int
) -> None:
    response = client.post("/api/v1/messages", data=data, content_type=content_type, headers=auth)
    assert response.status_code == status
    assert set(response.get_json()["error"]) >= {"code", "message"}


def test_an_oversize_body_is_refused_with_413(client: FlaskClient, auth: Headers) -> None:
    big = '{"to": "+14155550123", "body": "' + "x" * 70_000 + '"}'
    response = client.post(
        "/api/v1/messages", data=big, content_type="application/json", headers=auth
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"


# -- authentication and scopes --


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer",
        "Basic YWxpY2U6cGFzc3dvcmQ=",
        "Bearer cg_abcdefgh_" + "A" * 43,
        "Bearer not-a-key",
    ],
)
def test_requests_without_a_valid_key_get_401(
    client: FlaskClient, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    for response in (
        client.get("/api/v1/messages", headers=headers),
        client.post("/api/v1/messages", json={"to": NUMBER, "body": "hi"}, headers=headers),
        client.get("/api/v1/modems", headers=headers),
        client.get("/api/v1/openapi.json", headers=headers),
    ):
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_key_stops_working(client: FlaskClient, sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        key, plain = create_key(session, "crm", ["read"], now=utcnow())
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/v1/messages", headers=headers).status_code == 200
    with sessions.begin() as session:
        revoke(session, key.id, now=utcnow())
    assert client.get("/api/v1/messages", headers=headers).status_code == 401


def test_a_key_with_the_right_digest_but_another_prefix_is_refused(
    client: FlaskClient, auth: Headers
) -> None:
    token = auth["Authorization"].removeprefix("Bearer ")
    forged = "cg_ZZZZZZZZ_" + token.split("_", 2)[2]
    assert (
        client.get("/api/v1/messages", headers={"Authorization": f"Bearer {forged}"}).status_code
        == 401
    )


def test_scopes_limit_what_a_key_may_do(client: FlaskClient, key_for: KeyFactory) -> None:
    reader, sender, admin = key_for("read"), key_for("send"), key_for("admin")
    refused, _ = send(client, reader, to=NUMBER, body="hi")
    assert refused == 403
    assert client.get("/api/v1/messages", headers=sender).status_code == 403
    assert client.get("/api/v1/modems", headers=sender).get_json()["error"]["code"] == "forbidden"
    assert send(client, sender, to=NUMBER, body="hi")[0] == 202
    assert send(client, admin, to=NUMBER, body="hi")[0] == 202
    assert client.get("/api/v1/messages", headers=admin).status_code == 200


def test_the_session_cookie_is_not_an_api_credential(client: FlaskClient) -> None:
    login_page = client.get("/login")
    assert login_page.status_code == 200
    assert client.get("/api/v1/messages").status_code == 401


# -- idempotency --


def test_a_retry_with_the_same_idempotency_key_does_not_send_twice(
    client: FlaskClient, auth: Headers, sessions: sessionmaker[Session]
) -> None:
    headers = {**auth, "Idempotency-Key": "order-42"}
    first = client.post("/api/v1/messages", json={"to": NUMBER, "body": "hi"}, headers=headers)
    again = client.post("/api/v1/messages", json={"to": NUMBER, "body": "hi"}, headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count_messages(sessions) == 1


def test_the_same_idempotency_key_with_another_body_is_refused(
    client: FlaskClient, auth: Headers, sessions: sessionmaker[Session]
) -> None:
    headers = {**auth, "Idempotency-Key": "order-43"}
    client.post("/api/v1/messages", json={"to": NUMBER, "body": "hi"}, headers=headers)
    other = client.post("/api/v1/messages", json={"to": NUMBER, "body": "ho"}, headers=headers)
    assert other.status_code == 422
    assert other.get_json()["error"] == {
        "code": "idempotency_key_reused",
        "message": "this Idempotency-Key was used for a different request",
        "field": "Idempotency-Key",
    }
    assert count_messages(sessions) == 1


def test_idempotency_keys_belong_to_one_api_key(
    client: FlaskClient, key_for: KeyFactory, sessions: sessionmaker[Session]
) -> None:
    for headers in (key_for("send"), key_for("send")):
        response = client.post(
            "/api/v1/messages",
            json={"to": NUMBER, "body": "hi"},
            headers={**headers, "Idempotency-Key": "same"},
        )
        assert response.status_code == 202
    assert count_messages(sessions) == 2


def test_a_refused_request_leaves_its_idempotency_key_free(
    client: FlaskClient, auth: Headers, sessions: sessionmaker[Session]
) -> None:
    headers = {**auth, "Idempotency-Key": "fix-and-retry"}
    bad = client.post("/api/v1/messages", json={"to": "12", "body": "hi"}, headers=headers)
    assert bad.status_code == 422
    fixed = client.post("/api/v1/messages", json={"to": NUMBER, "body": "hi"}, headers=headers)
    assert fixed.status_code == 202
    assert count_messages(sessions) == 1


def test_an_empty_idempotency_key_is_refused(client: FlaskClient, auth: Headers) -> None:
    response = client.post(
        "/api/v1/messages",
        json={"to": NUMBER, "body": "hi"},
        headers={**auth, "Idempotency-Key": ""},
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "Idempotency-Key"


# -- reading --


@pytest.fixture
def history(sessions: sessionmaker[Session]) -> list[int]:
    """Five outbound messages to two numbers (ids oldest first), the last for later."""
    ids = []
    with sessions() as session:
        for n in range(5):
            to = NUMBER if n % 2 == 0 else "+14155550199"
            later = utcnow() + timedelta(days=1) if n == 4 else None
            ids.append(enqueue(session, to, f"m{n}", region="US", now=utcnow(), send_at=later).id)
    return ids


def test_pages_follow_the_cursor_newest_first(
    client: FlaskClient, auth: Headers, history: list[int]
) -> None:
    seen: list[int] = []
    url = "/api/v1/messages?limit=2"
    while True:
        page = client.get(url, headers=auth).get_json()
        assert len(page["data"]) <= 2
        seen += [message["id"] for message in page["data"]]
        if page["next_cursor"] is None:
            break
        url = f"/api/v1/messages?limit=2&cursor={page['next_cursor']}"
    assert seen == sorted(history, reverse=True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("to=%2B14155550199", [3, 1]),
        ("to=4155550199", [3, 1]),
        ("state=scheduled", [4]),
        ("state=queued&to=%2B14155550123", [2, 0]),
        ("direction=in", []),
        ("direction=out&limit=1", [4]),
        ("modem=sim9", []),
        ("since=2000-01-01T00:00:00Z", [4, 3, 2, 1, 0]),
        ("since=2999-01-01T00:00:00%2B02:00", []),
    ],
)
def test_filters_narrow_the_list(
    client: FlaskClient, auth: Headers, history: list[int], query: str, expected: list[int]
) -> None:
    page = client.get(f"/api/v1/messages?{query}", headers=auth)
    assert page.status_code == 200
    assert [message["id"] for message in page.get_json()["data"]] == [history[i] for i in expected]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("state=lost", "state"),
        ("direction=sideways", "direction"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("since=yesterday", "since"),
        ("to=12", "to"),
        ("to=%2B1415%00", "to"),
        ("modem=sim%001", "modem"),
        ("cursor=!!!", "cursor"),
        ("cursor=-1", "cursor"),
        (f"cursor={2**31}", "cursor"),
    ],
)
def test_bad_filters_are_refused_with_the_parameter_named(
    client: FlaskClient, auth: Headers, query: str, field: str
) -> None:
    response = client.get(f"/api/v1/messages?{query}", headers=auth)
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == field


def test_inbound_messages_have_no_state_and_filter_by_direction(
    client: FlaskClient, auth: Headers, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        session.add(
            Message(
                direction=Direction.IN,
                state=None,
                peer=NUMBER,
                body="STOP",
                encoding="gsm7",
                sent_modem="sim1",
            )
        )
    page = client.get("/api/v1/messages?direction=in&modem=sim1", headers=auth).get_json()
    assert [(m["body"], m["state"]) for m in page["data"]] == [("STOP", None)]


def test_unknown_messages_and_routes_are_404_in_the_error_format(
    client: FlaskClient, auth: Headers
) -> None:
    for path in (
        "/api/v1/messages/999",
        f"/api/v1/messages/{2**31}",
        f"/api/v1/messages/{2**64}",
        "/api/v1/nothing",
    ):
        response = client.get(path, headers=auth)
        assert response.status_code == 404, path
        assert response.get_json()["error"]["code"] == "not_found"


def test_a_wrong_method_is_405_with_allow(client: FlaskClient, auth: Headers) -> None:
    response = client.delete("/api/v1/messages", headers=auth)
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


# -- rate limits --


def test_a_key_over_its_rate_gets_429_with_retry_after(
    config: Config, sessions: sessionmaker[Session], users: None, key_for: KeyFactory
) -> None:
    limited = Config(gateway=config.gateway, api=ApiSection(rate_per_minute=1, burst=2))
    client = create_app(limited, sessions).test_client()
    first, second = key_for("read"), key_for("read")
    codes = [client.get("/api/v1/modems", headers=first).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    refused = client.get("/api/v1/modems", headers=first)
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert client.get("/api/v1/modems", headers=second).status_code == 200


def test_the_api_needs_no_csrf_token(app: Flask, auth: Headers) -> None:
    app.config.update(WTF_CSRF_ENABLED=True)
    status, _ = send(app.test_client(), auth, to=NUMBER, body="hi")
    assert status == 202
