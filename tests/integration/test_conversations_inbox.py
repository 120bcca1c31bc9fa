"""The shared inbox: claims, round-robin assignment, notes, and threads with broadcasts."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway import conversations
from gateway.inbound.pipeline import InboundSms, Pipeline
from gateway.models import Conversation, Kind, Role, User
from gateway.queue.enqueue import enqueue
from gateway.users import create_user

pytest_plugins = ["tests.plugins.inbound"]

NOON = datetime(2026, 6, 3, 12, 0, tzinfo=UTC)
TTL = timedelta(minutes=5)


def conversation_with(session: Session, pipeline: Pipeline, number: str, body: str) -> Conversation:
    pipeline.receive(session, InboundSms(number, body, "gsm7", "sim0", None), NOON)
    return session.scalars(select(Conversation).order_by(Conversation.id.desc()).limit(1)).one()


def agents(session: Session) -> list[User]:
    made = [
        create_user(session, f"agent{n}", "long enough password", role=Role.AGENT) for n in range(2)
    ]
    session.commit()
    return made


def test_a_claim_keeps_a_second_agent_from_replying(
    gated: sessionmaker[Session], pipeline: Pipeline
) -> None:
    with gated() as session:
        ann, ben = agents(session)
        conversation = conversation_with(session, pipeline, "+442071234567", "hello")
        assert conversations.claim(session, conversation.id, ann.id, NOON, ttl=TTL)
        assert not conversations.claim(session, conversation.id, ben.id, NOON, ttl=TTL)
        session.refresh(conversation)
        with pytest.raises(conversations.ConversationClaimed):
            conversations.reply(session, conversation, "hi", user_id=ben.id, region="GB", now=NOON)
        conversations.reply(session, conversation, "hi", user_id=ann.id, region="GB", now=NOON)
        assert conversations.claim(session, conversation.id, ben.id, NOON + TTL, ttl=TTL)


def test_round_robin_assigns_new_conversations_in_turn(
    gated: sessionmaker[Session], pipeline: Pipeline
) -> None:
    pipeline.settings = dataclasses.replace(pipeline.settings, round_robin=True)
    with gated() as session:
        ann, ben = agents(session)
        numbers = ["+442071234567", "+442071234568", "+442071234569"]
        assigned = [conversation_with(session, pipeline, n, "hi").assignee_id for n in numbers]
        assert assigned == [ann.id, ben.id, ann.id]


def test_reply_to_a_broadcast_lands_after_it_in_the_thread(
    gated: sessionmaker[Session], pipeline: Pipeline
) -> None:
    number = "+442071234567"
    with gated() as session:
        first = conversation_with(session, pipeline, number, "earlier question")
        enqueue(session, number, "Sale today!", kind=Kind.MARKETING, region="GB", now=NOON)
        later = NOON + timedelta(minutes=1)
        pipeline.receive(session, InboundSms(number, "How much?", "gsm7", "sim0", None), later)
        conversations.add_note(session, first, None, "VIP customer", NOON)
        session.commit()
        assert [m.body for m in conversations.thread(session, first)] == [
            "earlier question",
            "Sale today!",
            "How much?",
        ]
        assert [n.body for n in conversations.notes(session, first)] == ["VIP customer"]
