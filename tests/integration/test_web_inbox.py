"""The inbox over HTTP on SQLite and PostgreSQL: list order, filters, search, thread
actions, hostile text escaped, and the live endpoints."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.contacts import Sender, get_or_create
from gateway.conversations import record_inbound
from gateway.events import EventBus
from gateway.models import Closure, Conversation, Direction, Message, NumberKind, User, utcnow
from web.live import stream

pytest_plugins = ["tests.plugins.web"]

Csrf = Callable[[FlaskClient, str], str]


def inbound(
    sessions: sessionmaker[Session], number: str, text: str, *, name: str = "", minutes: int = 0
) -> int:
    """A received message filed in its conversation; returns the conversation id."""
    now = utcnow() + timedelta(minutes=minutes)
    with sessions() as session:
        contact, _ = get_or_create(session, Sender(number, NumberKind.E164), now)
        contact.first_name = name
        conversation = record_inbound(session, contact, now)
        session.add(
            Message(direction=Direction.IN, peer=number, body=text, encoding="gsm7", created_at=now)
        )
        session.commit()
        return conversation.id


def test_unread_first_then_newest_and_hostile_text_is_escaped(
    admin_client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    read = inbound(sessions, "+15550000001", "older, read", name="Ann", minutes=-10)
    admin_client.get(f"/inbox/{read}")  # opening a thread marks it read
    inbound(sessions, "+15550000002", "<script>alert(1)</script>", name="<b>Bo</b>", minutes=-20)
    page = admin_client.get("/inbox/").get_data(as_text=True)
    assert page.index("&lt;b&gt;Bo&lt;/b&gt;") < page.index("Ann")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert" not in page
    assert "<b>Bo</b>" not in page


def test_filters_by_scope_status_and_searches_names_numbers_and_text(
    admin_client: FlaskClient, sessions: sessionmaker[Session], csrf: Csrf
) -> None:
    mine = inbound(sessions, "+15550000001", "where is my parcel", name="Carla")
    inbound(sessions, "+15550000002", "100% sure_thing", name="Dev")
    with sessions() as session:
        alice = session.scalars(select(User).where(User.username == "alice")).one()
    token = csrf(admin_client, f"/inbox/{mine}")
    admin_client.post(f"/inbox/{mine}/assign", data={"assignee": alice.id, "csrf_token": token})

    def names(query: str) -> list[str]:
        page = admin_client.get(f"/inbox/rows?{query}").get_data(as_text=True)
        return [name for name in ("Carla", "Dev") if name in page]

    assert names("scope=mine") == ["Carla"]
    assert names("scope=unassigned") == ["Dev"]
    assert names("q=parcel") == ["Carla"]
    assert names("q=555%200000002") == ["Dev"]
    assert names("q=dev") == ["Dev"]
    assert names("q=100%25") == ["Dev"]  # % is matched literally, not as a wildcard
    assert names("q=5%25") == []  # as a wildcard it would match every number
    assert names("status=closed") == []
    assert admin_client.get("/inbox/?scope=everyone").status_code == 400


def test_reply_note_close_and_reopen_from_the_thread(
    agent_client: FlaskClient, sessions: sessionmaker[Session], csrf: Csrf
) -> None:
    conversation_id = inbound(sessions, "+15550000003", "hi")
    thread = f"/inbox/{conversation_id}"
    token = csrf(agent_client, thread)
    response = agent_client.post(
        f"{thread}/reply", data={"body": "Hello “you”", "csrf_token": token}
    )
    assert response.status_code == 302
    agent_client.post(f"{thread}/notes", data={"body": "called them <too>", "csrf_token": token})
    agent_client.post(f"{thread}/close", data={"csrf_token": token})
    with sessions() as session:
        reply = session.scalars(select(Message).where(Message.direction == Direction.OUT)).one()
        assert (reply.state, reply.encoding, reply.segments) == ("queued", "ucs2", 1)
        assert session.get(Conversation, conversation_id).status == "closed"  # type: ignore[union-attr]
        assert session.scalars(select(Closure)).one().conversation_id == conversation_id
    page = agent_client.get(thread).get_data(as_text=True)
    assert "called them &lt;too&gt;" in page
    assert "badge-queued" in agent_client.get(f"{thread}/messages").get_data(as_text=True)
    agent_client.post(f"{thread}/reopen", data={"csrf_token": token})
    with sessions() as session:
        assert session.get(Conversation, conversation_id).status == "open"  # type: ignore[union-attr]


def test_a_reply_sent_from_another_sim_says_so_in_the_thread(
    agent_client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    """The contact's SIM was down past the takeover time: the agent is told the contact
    now sees another number."""
    conversation_id = inbound(sessions, "+15550000004", "hi")
    with sessions() as session:
        for body, sent_from in (("from the usual SIM", "sim0"), ("from the other SIM", "sim1")):
            session.add(
                Message(
                    direction=Direction.OUT,
                    peer="+15550000004",
                    body=body,
                    encoding="gsm7",
                    state="sent",
                    modem="sim0",  # the SIM the contact last used, asked for by the reply
                    sent_modem=sent_from,
                    created_at=utcnow(),
                )
            )
        session.commit()
    thread = agent_client.get(f"/inbox/{conversation_id}/messages").get_data(as_text=True)
    usual, other = thread.split("from the usual SIM")[1].split("from the other SIM")
    assert "via sim0" in usual
    assert "takeover" not in usual
    assert "via sim1" in other
    assert "sim0, the SIM of this conversation, was down" in other
    assert "the contact sees another number" in other


def test_an_empty_reply_is_refused_and_the_draft_kept(
    agent_client: FlaskClient, sessions: sessionmaker[Session], csrf: Csrf
) -> None:
    conversation_id = inbound(sessions, "+15550000004", "hi")
    token = csrf(agent_client, f"/inbox/{conversation_id}")
    response = agent_client.post(
        f"/inbox/{conversation_id}/reply",
        data={"body": "", "csrf_token": token},
        follow_redirects=True,
    )
    assert "the message is empty" in response.get_data(as_text=True)


def test_a_template_fills_in_the_contact_before_the_agent_sends_it(
    admin_client: FlaskClient, sessions: sessionmaker[Session], csrf: Csrf
) -> None:
    conversation_id = inbound(sessions, "+15550000005", "hi", name="Eve")
    token = csrf(admin_client, "/settings/")
    admin_client.post(
        "/settings/templates",
        data={"name": "hello", "body": "Hi {{ first_name }}!", "csrf_token": token},
    )
    admin_client.post(
        "/settings/templates",
        data={"name": "broken", "body": "Hi {{ first_name", "csrf_token": token},
    )
    page = admin_client.get(f"/inbox/{conversation_id}?template=1").get_data(as_text=True)
    assert ">Hi Eve!</textarea>" in page
    assert "broken" not in page


def test_thread_actions_need_csrf_and_unknown_threads_are_404(
    agent_client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    conversation_id = inbound(sessions, "+15550000006", "hi")
    assert agent_client.post(f"/inbox/{conversation_id}/close").status_code == 400
    assert agent_client.get("/inbox/999999").status_code == 404


def test_the_counter_endpoint_and_signed_out_access(
    admin_client: FlaskClient, client: FlaskClient
) -> None:
    answer = admin_client.get("/count", query_string={"text": "It’s"}).get_json()
    assert answer["summary"] == "1 SMS · UCS-2 because of ’ (curly quote)"
    assert client.get("/count?text=x").status_code == 302
    assert client.get("/events").status_code == 302


def test_the_event_stream_relays_bus_events_and_ends_on_time() -> None:
    bus = EventBus()
    events = stream(bus, lifetime=0.5, keepalive=0.1)
    assert next(events).startswith("retry: ")
    bus.publish("message.status", {"id": 7, "state": "delivered"})
    assert next(events) == 'id: 1\nevent: message.status\ndata: {"id": 7, "state": "delivered"}\n\n'
    rest = list(events)
    assert rest
    assert set(rest) == {": keep-alive\n\n"}


def test_a_stream_ends_when_its_browser_has_gone() -> None:
    gone = threading.Event()
    events = stream(EventBus(), lifetime=60.0, keepalive=30.0, gone=gone.is_set)
    assert next(events).startswith("retry: ")
    gone.set()
    assert list(events) == []


def test_a_stream_ends_when_the_gateway_stops() -> None:
    """The bus closes before the web server waits for its threads, so no open page
    holds the stop."""
    bus = EventBus()
    events = stream(bus, lifetime=60.0, keepalive=30.0)
    assert next(events).startswith("retry: ")
    bus.close()
    assert list(events) == []


def test_a_stream_resyncs_a_page_that_missed_events_before_it_opened() -> None:
    bus = EventBus()
    bus.publish("message.received", {"id": 1})
    missed = stream(bus, lifetime=0.2, keepalive=0.1, since=0)
    assert next(missed).startswith("retry: ")
    assert next(missed) == "event: resync\ndata: {}\n\n"
    current = list(stream(bus, lifetime=0.2, keepalive=0.1, since=bus.last_id))
    assert "event: resync\ndata: {}\n\n" not in current
    # Positions ahead of the bus belong to a gateway process that has since restarted.
    restarted = stream(bus, lifetime=0.2, keepalive=0.1, since=bus.last_id + 5)
    next(restarted)
    assert next(restarted) == "event: resync\ndata: {}\n\n"


def test_a_page_streams_from_where_its_request_began_and_the_thread_does_not_poll(
    app: Flask, agent_client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    bus: EventBus = app.extensions["cellgate.services"].events
    app.config["CELLGATE_SSE_SECONDS"] = 0.2
    conversation_id = inbound(sessions, "+15550000008", "hi")
    bus.publish("message.status", {"id": 1, "state": "sent"})
    thread = agent_client.get(f"/inbox/{conversation_id}").get_data(as_text=True)
    assert f'data-events="/events?since={bus.last_id}"' in thread
    assert "data-live-every" not in thread
    bus.publish("message.status", {"id": 1, "state": "delivered"})
    behind = agent_client.get(f"/events?since={bus.last_id - 1}").get_data(as_text=True)
    assert "event: resync" in behind
    # A reconnecting browser's Last-Event-ID is newer than the page's since.
    caught_up = agent_client.get(
        "/events?since=0", headers={"Last-Event-ID": str(bus.last_id)}
    ).get_data(as_text=True)
    assert "event: resync" not in caught_up


def test_a_reply_can_be_scheduled_for_later_in_the_business_time_zone(
    agent_client: FlaskClient, sessions: sessionmaker[Session], csrf: Csrf
) -> None:
    conversation_id = inbound(sessions, "+15550000006", "can you text me tomorrow?")
    thread = f"/inbox/{conversation_id}"
    token = csrf(agent_client, thread)
    later = (utcnow() + timedelta(days=1)).replace(second=0, microsecond=0)
    response = agent_client.post(
        f"{thread}/reply",
        data={
            "body": "Good morning!",
            "send_at": later.strftime("%Y-%m-%dT%H:%M"),
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    with sessions() as session:
        reply = session.scalars(select(Message).where(Message.direction == Direction.OUT)).one()
        assert reply.state == "scheduled"
        assert reply.scheduled_at == later  # the test config's business time zone is UTC


def test_a_reply_time_that_is_not_a_time_is_refused(
    agent_client: FlaskClient, sessions: sessionmaker[Session], csrf: Csrf
) -> None:
    conversation_id = inbound(sessions, "+15550000007", "hi")
    token = csrf(agent_client, f"/inbox/{conversation_id}")
    response = agent_client.post(
        f"/inbox/{conversation_id}/reply",
        data={"body": "hello", "send_at": "tomorrow-ish", "csrf_token": token},
        follow_redirects=True,
    )
    assert "send later: not a date and time" in response.get_data(as_text=True)
