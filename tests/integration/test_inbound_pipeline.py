"""The inbound pipeline: storage, reassembly, bad input, keyword rules, auto-replies."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway import contacts
from gateway.config import AutoreplySection, Config
from gateway.events import EventBus
from gateway.inbound.pipeline import Concat, InboundSms, Pipeline, Settings, tag_campaign
from gateway.inbound.reassembly import GAP
from gateway.keywords.rules import Action, ActionKind
from gateway.models import (
    Conversation,
    ConversationStatus,
    Direction,
    KeywordRule,
    Kind,
    Message,
    MessageMeta,
    ModemRecord,
    NumberKind,
)
from gateway.queue.enqueue import enqueue

if TYPE_CHECKING:
    from tests.plugins.inbound import WebhookRecorder

pytest_plugins = ["tests.plugins.inbound"]

NOON = datetime(2026, 6, 3, 12, 0, tzinfo=UTC)  # a Wednesday
CUSTOMER = "+442071234567"


def sms(body: str, sender: str = CUSTOMER, concat: Concat | None = None) -> InboundSms:
    return InboundSms(sender, body, "gsm7", "sim0", NOON, concat)


def messages(session: Session, direction: Direction) -> list[Message]:
    return list(
        session.scalars(select(Message).where(Message.direction == direction).order_by(Message.id))
    )


def test_first_message_creates_contact_conversation_and_events(
    gated: sessionmaker[Session], pipeline: Pipeline, bus: EventBus, webhooks: WebhookRecorder
) -> None:
    with gated() as session, bus.subscribe() as live:
        message = pipeline.receive(session, sms("Hello there"), NOON)
        assert message is not None
        contact = contacts.find(session, CUSTOMER)
        assert contact is not None
        assert contact.number_kind == NumberKind.E164
        conversation = session.scalars(select(Conversation)).one()
        assert (conversation.status, conversation.unread) == (ConversationStatus.OPEN, 1)
        received = live.get(timeout=1)
        assert received is not None
        assert received.type == "message.received"
        assert received.data["conversation_id"] == conversation.id
        assert [event for event, _ in webhooks.events] == ["message.received"]


def test_a_closed_conversation_reopens(gated: sessionmaker[Session], pipeline: Pipeline) -> None:
    with gated() as session:
        pipeline.receive(session, sms("one"), NOON)
        conversation = session.scalars(select(Conversation)).one()
        conversation.status = ConversationStatus.CLOSED
        session.commit()
        pipeline.receive(session, sms("two"), NOON + timedelta(minutes=1))
        session.refresh(conversation)
        assert (conversation.status, conversation.unread) == (ConversationStatus.OPEN, 2)


def test_multipart_out_of_order_with_a_duplicate_is_one_message(
    gated: sessionmaker[Session], pipeline: Pipeline
) -> None:
    with gated() as session:
        for number, text in ((2, "world "), (1, "hello "), (2, "world "), (3, "again")):
            pipeline.receive(session, sms(text, concat=Concat(7, 3, number)), NOON)
        [message] = messages(session, Direction.IN)
        assert (message.body, message.segments) == ("hello world again", 3)


def test_missing_part_times_out_and_is_stored_with_a_mark(
    gated: sessionmaker[Session], pipeline: Pipeline
) -> None:
    with gated() as session:
        pipeline.receive(session, sms("first ", concat=Concat(9, 3, 1)), NOON)
        pipeline.receive(session, sms("third", concat=Concat(9, 3, 3)), NOON)
        assert pipeline.expire_parts(session, NOON + timedelta(minutes=1)) == []
        [message] = pipeline.expire_parts(session, NOON + timedelta(minutes=10))
        assert message.body == f"first {GAP}third"
        meta = session.get(MessageMeta, message.id)
        assert meta is not None
        assert meta.missing_parts == "2"


def test_a_message_read_twice_from_the_sim_is_stored_once(
    gated: sessionmaker[Session], pipeline: Pipeline
) -> None:
    with gated() as session:
        assert pipeline.store(session, sms("same"), NOON) is not None
        assert pipeline.store(session, sms("same"), NOON + timedelta(seconds=5)) is None


def test_bad_input_is_kept_as_received(gated: sessionmaker[Session], pipeline: Pipeline) -> None:
    hostile = "<script>alert('x')</script>\x00 '; DROP TABLE messages; --"
    with gated() as session:
        pipeline.receive(session, sms("HELP", sender="MyBank"), NOON)
        pipeline.receive(session, sms("", sender="12"), NOON)
        pipeline.receive(session, sms(hostile), NOON)
        bank = contacts.find(session, "MyBank")
        junk = contacts.find(session, "12")
        assert bank is not None
        assert bank.number_kind == NumberKind.ALPHANUMERIC
        assert junk is not None
        assert junk.number_kind == NumberKind.INVALID
        stored = hostile.replace("\x00", "\ufffd")  # PostgreSQL text cannot hold NUL
        assert [m.body for m in messages(session, Direction.IN)] == ["HELP", "", stored]
        # Neither a sender name nor a rejected number is ever answered.
        assert messages(session, Direction.OUT) == []


def test_campaign_scoped_keyword_rule(gated: sessionmaker[Session], pipeline: Pipeline) -> None:
    with gated() as session:
        session.add(
            KeywordRule(
                keyword="C",
                mode="exact",
                campaign="spring",
                actions=[
                    Action(ActionKind.REPLY, "Thanks $first_name, confirmed").as_dict(),
                    Action(ActionKind.SET_FIELD, "yes", "confirmed").as_dict(),
                    Action(ActionKind.TAG, "confirmed").as_dict(),
                    Action(ActionKind.CLOSE).as_dict(),
                ],
            )
        )
        session.commit()
        pipeline.receive(session, sms("c"), NOON)  # not a reply to the campaign yet
        assert messages(session, Direction.OUT) == []
        broadcast = enqueue(
            session, CUSTOMER, "Reply C to confirm", kind=Kind.MARKETING, region="GB", now=NOON
        )
        tag_campaign(session, broadcast.id, "spring")
        session.commit()
        pipeline.receive(session, sms("C!"), NOON + timedelta(minutes=1))
        replies = [m.body for m in messages(session, Direction.OUT)]
        assert replies == ["Reply C to confirm", "Thanks , confirmed"]
        contact = contacts.find(session, CUSTOMER)
        assert contact is not None
        assert (contact.fields, contact.tags) == ({"confirmed": "yes"}, ["confirmed"])
        conversation = session.scalars(select(Conversation)).one()
        assert conversation.status == ConversationStatus.CLOSED


def autoreply_pipeline(config: Config, bus: EventBus) -> Pipeline:
    enabled = dataclasses.replace(config, autoreply=AutoreplySection(enabled=True))
    return Pipeline(Settings.from_config(enabled), bus=bus)


def test_out_of_hours_reply_goes_once_per_closed_period(
    gated: sessionmaker[Session], config: Config, bus: EventBus
) -> None:
    pipeline = autoreply_pipeline(config, bus)
    evening = NOON.replace(hour=19)
    with gated() as session:
        pipeline.receive(
            session,
            sms(
                "hi",
            ),
            NOON,
        )  # open: no auto-reply
        pipeline.receive(session, sms("anyone?"), evening)
        pipeline.receive(session, sms("hello??"), evening + timedelta(hours=2))
        pipeline.receive(session, sms("morning"), evening + timedelta(hours=15))  # open again
        pipeline.receive(session, sms("and now?"), evening + timedelta(days=1))
        assert [m.body for m in messages(session, Direction.OUT)] == [config.autoreply.text] * 2


def test_our_own_modems_are_never_answered(
    gated: sessionmaker[Session], config: Config, bus: EventBus
) -> None:
    pipeline = autoreply_pipeline(config, bus)
    with gated() as session:
        session.add(ModemRecord(name="sim1", node="n", number=CUSTOMER))
        session.commit()
        pipeline.receive(session, sms("HELP"), NOON.replace(hour=22))
        pipeline.receive(session, sms("hello"), NOON.replace(hour=23))
        assert messages(session, Direction.OUT) == []
        assert len(messages(session, Direction.IN)) == 2


def test_a_message_left_unprocessed_by_a_crash_is_finished_later_and_only_then(
    gated: sessionmaker[Session], pipeline: Pipeline
) -> None:
    with gated() as session:
        stored = pipeline.store(session, sms("STOP"), NOON)
        assert stored is not None
        # Still in the hands of the worker that stored it: a sweep leaves it alone.
        assert pipeline.process_pending(session, NOON + timedelta(seconds=30)) == 0
        assert messages(session, Direction.OUT) == []
        assert pipeline.process_pending(session, NOON + timedelta(minutes=3)) == 1
        [confirmation] = messages(session, Direction.OUT)
        assert confirmation.peer == CUSTOMER
        assert pipeline.process_pending(session, NOON + timedelta(minutes=4)) == 0
