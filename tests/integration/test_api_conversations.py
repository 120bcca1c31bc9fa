"""Contract tests of /api/v1/conversations: filters, pages, threads and replies."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway import contacts, conversations
from gateway.apikeys import create_key
from gateway.inbound.pipeline import InboundSms, Pipeline
from gateway.models import Conversation, Message, User, utcnow

pytest_plugins = ["tests.plugins.inbound"]

Headers = dict[str, str]
NUMBER = "+14155550123"


@pytest.fixture
def key_for(sessions: sessionmaker[Session]) -> Callable[..., Headers]:
    def make(*scopes: str) -> Headers:
        with sessions.begin() as session:
            _, plain = create_key(session, "conversations test", scopes, now=utcnow())
        return {"Authorization": f"Bearer {plain}"}

    return make


@pytest.fixture
def auth(key_for: Callable[..., Headers]) -> Headers:
    return key_for("read", "send")


def text_in(gated: sessionmaker[Session], pipeline: Pipeline, number: str, text: str) -> int:
    """A text from ``number`` through the inbound pipeline; its conversation's id."""
    with gated() as session:
        pipeline.receive(session, InboundSms(number, text, "gsm7", "sim1", None), utcnow())
        session.commit()
        contact = contacts.find(session, number)
        assert contact is not None
        return conversations.for_contact(session, contact, utcnow())[0].id


def user_id(sessions: sessionmaker[Session], username: str) -> int:
    with sessions() as session:
        found = session.scalar(select(User.id).where(User.username == username))
        assert found is not None
        return found


def reply(
    client: FlaskClient, headers: Headers, conversation_id: int, text: str
) -> tuple[int, dict[str, Any]]:
    response = client.post(
        f"/api/v1/conversations/{conversation_id}/messages", json={"body": text}, headers=headers
    )
    return response.status_code, response.get_json() or {}


def test_conversations_are_filtered_by_status_assignee_and_unread(
    client: FlaskClient,
    auth: Headers,
    gated: sessionmaker[Session],
    pipeline: Pipeline,
) -> None:
    first = text_in(gated, pipeline, NUMBER, "hi")
    second = text_in(gated, pipeline, "+14155550124", "hello")
    bob = user_id(gated, "bob")
    with gated.begin() as session:
        conversation = conversations.get(session, second)
        conversations.assign(session, conversation, bob)
        conversations.mark_read(conversation)
        conversations.set_status(conversation, "closed")

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/v1/conversations?{query}", headers=auth)
        assert response.status_code == 200
        return [c["id"] for c in response.get_json()["data"]]

    assert ids("") == [second, first]
    assert ids("status=open") == [first]
    assert ids("status=closed") == [second]
    assert ids(f"assignee={bob}") == [second]
    assert ids("assignee=none") == [first]
    assert ids("unread=true") == [first]
    assert ids("unread=false") == [second]
    listed = client.get("/api/v1/conversations?limit=1", headers=auth).get_json()
    assert listed["data"][0]["contact"]["number"] == "+14155550124"
    rest = client.get(
        f"/api/v1/conversations?cursor={listed['next_cursor']}", headers=auth
    ).get_json()
    assert ([c["id"] for c in rest["data"]], rest["next_cursor"]) == ([first], None)


@pytest.mark.parametrize(
    ("query", "field"),
    [("status=snoozed", "status"), ("assignee=bob", "assignee"), ("unread=1", "unread")],
)
def test_unknown_filters_are_refused_naming_them(
    client: FlaskClient, auth: Headers, query: str, field: str
) -> None:
    response = client.get(f"/api/v1/conversations?{query}", headers=auth)
    assert (response.status_code, response.get_json()["error"]["field"]) == (422, field)


def test_a_thread_reads_newest_last_and_pages_back_in_time(
    client: FlaskClient, auth: Headers, gated: sessionmaker[Session], pipeline: Pipeline
) -> None:
    conversation_id = 0
    for n in range(5):
        conversation_id = text_in(gated, pipeline, NUMBER, f"text {n}")
    url = f"/api/v1/conversations/{conversation_id}?limit=2"
    latest = client.get(url, headers=auth).get_json()
    assert latest["contact"]["number"] == NUMBER
    assert latest["unread"] == 5
    assert [m["body"] for m in latest["messages"]["data"]] == ["text 3", "text 4"]
    earlier = client.get(
        f"{url}&cursor={latest['messages']['next_cursor']}", headers=auth
    ).get_json()
    assert [m["body"] for m in earlier["messages"]["data"]] == ["text 1", "text 2"]
    first = client.get(
        f"{url}&cursor={earlier['messages']['next_cursor']}", headers=auth
    ).get_json()
    assert [m["body"] for m in first["messages"]["data"]] == ["text 0"]
    assert first["messages"]["next_cursor"] is None


def test_a_reply_is_queued_on_the_contacts_sim(
    client: FlaskClient, auth: Headers, gated: sessionmaker[Session], pipeline: Pipeline
) -> None:
    conversation_id = text_in(gated, pipeline, NUMBER, "is my order ready?")
    status, message = reply(client, auth, conversation_id, "Yes, since noon.")
    assert status == 202
    assert (message["state"], message["kind"], message["peer"]) == (
        "queued",
        "conversation",
        NUMBER,
    )
    assert message["modem"] == "sim1"
    after = client.get(f"/api/v1/conversations/{conversation_id}", headers=auth).get_json()
    assert (after["status"], after["unread"]) == ("pending", 0)
    assert after["messages"]["data"][-1]["id"] == message["id"]


def test_a_reply_to_someone_who_opted_out_is_stored_suppressed(
    client: FlaskClient, auth: Headers, gated: sessionmaker[Session], pipeline: Pipeline
) -> None:
    conversation_id = text_in(gated, pipeline, NUMBER, "STOP")
    status, message = reply(client, auth, conversation_id, "Sorry to see you go")
    assert (status, message["state"], message["error"]) == (202, "suppressed", "opted out")


def test_a_reply_waits_for_a_users_claim_to_end(
    client: FlaskClient,
    auth: Headers,
    gated: sessionmaker[Session],
    pipeline: Pipeline,
) -> None:
    conversation_id = text_in(gated, pipeline, NUMBER, "hi")
    bob = user_id(gated, "bob")
    with gated() as session:
        assert conversations.claim(session, conversation_id, bob, utcnow(), ttl=timedelta(hours=1))
    listed = client.get(f"/api/v1/conversations/{conversation_id}", headers=auth).get_json()
    assert listed["claimed_by"] == bob
    status, body = reply(client, auth, conversation_id, "hello")
    assert (status, body["error"]["code"]) == (409, "conversation_claimed")
    with gated() as session:
        assert session.scalars(select(Message).where(Message.direction == "out")).all() == []
        earlier = utcnow() - timedelta(hours=2)
        conversations.release(session, conversation_id, bob)
        assert conversations.claim(session, conversation_id, bob, earlier, ttl=timedelta(hours=1))
    assert reply(client, auth, conversation_id, "hello")[0] == 202


def test_a_retried_reply_is_sent_once(
    client: FlaskClient, auth: Headers, gated: sessionmaker[Session], pipeline: Pipeline
) -> None:
    conversation_id = text_in(gated, pipeline, NUMBER, "hi")
    url = f"/api/v1/conversations/{conversation_id}/messages"
    headers = {**auth, "Idempotency-Key": "reply-1"}
    first = client.post(url, json={"body": "hello"}, headers=headers)
    again = client.post(url, json={"body": "hello"}, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    with gated() as session:
        sent = session.scalars(select(Message).where(Message.direction == "out")).all()
        assert [m.body for m in sent] == ["hello"]


def test_reading_needs_read_and_replying_needs_send(
    client: FlaskClient,
    key_for: Callable[..., Headers],
    gated: sessionmaker[Session],
    pipeline: Pipeline,
) -> None:
    conversation_id = text_in(gated, pipeline, NUMBER, "hi")
    reader, sender = key_for("read"), key_for("send")
    assert client.get("/api/v1/conversations", headers=sender).status_code == 403
    assert reply(client, reader, conversation_id, "hello")[0] == 403
    assert reply(client, sender, conversation_id, "hello")[0] == 202


@pytest.mark.parametrize("conversation_id", [999, 2**31])
def test_an_unknown_conversation_is_404(
    client: FlaskClient, auth: Headers, conversation_id: int, sessions: sessionmaker[Session]
) -> None:
    assert client.get(f"/api/v1/conversations/{conversation_id}", headers=auth).status_code == 404
    assert reply(client, auth, conversation_id, "hello")[0] == 404
    with sessions() as session:
        assert session.scalars(select(Conversation)).all() == []
