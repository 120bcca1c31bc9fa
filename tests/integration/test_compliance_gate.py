"""The compliance gate in the send path: opt-outs, quiet hours, caps, for every source."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from gateway import contacts
from gateway.compliance import gate
from gateway.config import Config
from gateway.inbound.pipeline import InboundSms, Pipeline
from gateway.models import (
    Base,
    ConsentAction,
    ConsentChannel,
    Contact,
    Direction,
    Kind,
    Message,
)
from gateway.queue.claim import claim_next
from gateway.queue.enqueue import enqueue
from gateway.queue.transitions import mark_sent, move
from gateway.states import MessageState

pytest_plugins = ["tests.plugins.inbound"]

S = MessageState
NOON = datetime(2026, 6, 3, 12, 0, tzinfo=UTC)  # a Wednesday: daytime in London
LONDON = "+442071234567"
NEW_YORK = "+12125550100"


def text_in(
    pipeline: Pipeline, session: Session, sender: str, body: str, at: datetime = NOON
) -> None:
    pipeline.receive(session, InboundSms(sender, body, "gsm7", "sim0", at), at)


def outbound(session: Session, number: str) -> list[Message]:
    return list(
        session.scalars(
            select(Message)
            .where(Message.peer == number, Message.direction == Direction.OUT)
            .order_by(Message.id)
        )
    )


def send(session: Session, to: str, kind: Kind, now: datetime = NOON) -> Message:
    return enqueue(session, to, "Big sale today!", kind=kind, region="US", now=now)


def test_after_stop_api_and_campaign_sends_are_suppressed(
    gated: sessionmaker[Session], pipeline: Pipeline, config: Config
) -> None:
    with gated() as session:
        text_in(pipeline, session, LONDON, "Stop.")
        api = send(session, LONDON, Kind.TRANSACTIONAL)
        campaign = send(session, LONDON, Kind.MARKETING)
        reply = send(session, LONDON, Kind.CONVERSATION)
        assert {m.state for m in (api, campaign, reply)} == {S.SUPPRESSED}
        assert api.last_error == "opted out"
        confirmations = [m for m in outbound(session, LONDON) if m.state == S.QUEUED]
        assert [m.body for m in confirmations] == [config.compliance.opt_out_reply]


def test_stop_withdraws_what_was_already_waiting(
    gated: sessionmaker[Session], pipeline: Pipeline
) -> None:
    with gated() as session:
        queued = send(session, LONDON, Kind.MARKETING)
        later = enqueue(
            session,
            LONDON,
            "later",
            kind=Kind.TRANSACTIONAL,
            region="US",
            now=NOON,
            send_at=NOON + timedelta(days=1),
        )
        retrying = send(session, LONDON, Kind.TRANSACTIONAL)
        move(session, retrying.id, S.QUEUED, S.SENDING)
        move(session, retrying.id, S.SENDING, S.RETRY_WAIT, next_attempt_at=NOON)
        text_in(pipeline, session, LONDON, "please stop texting me")
        session.expire_all()
        states = {m.id: m.state for m in outbound(session, LONDON)}
        assert states[queued.id] == states[later.id] == states[retrying.id] == S.SUPPRESSED


def test_repeated_stop_gets_exactly_one_confirmation(
    gated: sessionmaker[Session], pipeline: Pipeline
) -> None:
    with gated() as session:
        for body in ("STOP", "stop", "UNSUBSCRIBE"):
            text_in(pipeline, session, LONDON, body)
        assert len(outbound(session, LONDON)) == 1


def test_start_resubscribes_and_every_change_is_in_the_ledger(
    gated: sessionmaker[Session], pipeline: Pipeline, config: Config
) -> None:
    with gated() as session:
        text_in(pipeline, session, LONDON, "STOP")
        text_in(pipeline, session, LONDON, "Start")
        contact = contacts.find(session, LONDON)
        assert contact is not None
        assert not contact.opted_out
        assert send(session, LONDON, Kind.TRANSACTIONAL).state == S.QUEUED
        entries = contacts.ledger(session, contact)
        assert [(e.action, e.channel, e.detail) for e in entries] == [
            (ConsentAction.OPT_OUT, ConsentChannel.SMS, "STOP"),
            (ConsentAction.OPT_IN, ConsentChannel.SMS, "Start"),
        ]
        assert all(e.message_id is not None for e in entries)
        bodies = [m.body for m in outbound(session, LONDON)]
        assert bodies[:2] == [config.compliance.opt_out_reply, config.compliance.opt_in_reply]


def test_staff_cannot_resubscribe_someone_who_texted_stop(
    gated: sessionmaker[Session], pipeline: Pipeline
) -> None:
    with gated() as session:
        text_in(pipeline, session, LONDON, "STOP")
        contact = contacts.find(session, LONDON)
        assert contact is not None
        with pytest.raises(contacts.ConsentLocked):
            contacts.opt_in(session, contact, ConsentChannel.UI, NOON, user_id=None)


def test_staff_opt_out_can_be_undone_by_staff(db_session: Session) -> None:
    sender = contacts.classify_sender(LONDON, "US")
    contact, _ = contacts.get_or_create(db_session, sender, NOON)
    assert contacts.opt_out(db_session, contact, ConsentChannel.UI, NOON, detail="asked by phone")
    assert contacts.opt_in(db_session, contact, ConsentChannel.UI, NOON)
    assert [e.channel for e in contacts.ledger(db_session, contact)] == ["ui", "ui"]


def test_help_is_answered_even_after_an_opt_out(
    gated: sessionmaker[Session], pipeline: Pipeline, config: Config
) -> None:
    with gated() as session:
        text_in(pipeline, session, LONDON, "STOP")
        text_in(pipeline, session, LONDON, "help")
        queued = [m.body for m in outbound(session, LONDON) if m.state == S.QUEUED]
        assert queued == [config.compliance.opt_out_reply, config.compliance.help_reply]


def test_the_consent_ledger_is_append_only(
    gated: sessionmaker[Session], pipeline: Pipeline
) -> None:
    with gated() as session:
        text_in(pipeline, session, LONDON, "STOP")
        contact = contacts.find(session, LONDON)
        assert contact is not None
        entry = contacts.ledger(session, contact)[0]
        entry.detail = "rewritten"
        with pytest.raises(PermissionError, match="append-only"):
            session.flush()


def test_marketing_at_night_is_deferred_to_the_recipients_morning(
    gated: sessionmaker[Session],
) -> None:
    night_in_new_york = NOON.replace(hour=3)  # 23:00 the evening before, EDT
    with gated() as session:
        deferred = send(session, NEW_YORK, Kind.MARKETING, now=night_in_new_york)
        assert deferred.state == S.SCHEDULED
        assert deferred.scheduled_at == NOON  # 08:00 in New York
        assert send(session, LONDON, Kind.MARKETING, now=night_in_new_york).state == S.SCHEDULED
        assert send(session, NEW_YORK, Kind.TRANSACTIONAL, now=night_in_new_york).state == S.QUEUED


def test_contact_time_zone_override_decides_quiet_hours(gated: sessionmaker[Session]) -> None:
    night_in_new_york = NOON.replace(hour=3)
    with gated() as session:
        contact, _ = contacts.get_or_create(session, contacts.classify_sender(NEW_YORK, "US"), NOON)
        contact.time_zone = "Asia/Tokyo"  # 12:00 there
        session.commit()
        assert send(session, NEW_YORK, Kind.MARKETING, now=night_in_new_york).state == S.QUEUED


def test_fourth_marketing_message_in_a_day_is_suppressed(gated: sessionmaker[Session]) -> None:
    with gated() as session:
        states = [
            send(session, LONDON, Kind.MARKETING, now=NOON + timedelta(hours=h)).state
            for h in range(4)
        ]
        assert states == [S.QUEUED, S.QUEUED, S.QUEUED, S.SUPPRESSED]
        assert send(session, LONDON, Kind.TRANSACTIONAL).state == S.QUEUED


def test_marketing_history_is_read_only_as_far_back_as_the_cap_counts(
    gated: sessionmaker[Session],
) -> None:
    """A contact's years of campaigns are not read again for every new one."""
    with gated() as session:
        for hour in range(3):
            send(session, LONDON, Kind.MARKETING, now=NOON + timedelta(hours=hour))
        since = NOON + timedelta(minutes=90)
        facts = gate.gather(session, [LONDON], marketing_since=since)
        assert facts.marketing[LONDON] == [NOON + timedelta(hours=2)]
        day_later = NOON + timedelta(hours=25, minutes=30)  # the last of the three counts
        assert send(session, LONDON, Kind.MARKETING, now=day_later).state == S.QUEUED
        assert send(session, LONDON, Kind.MARKETING, now=day_later).state == S.QUEUED
        assert send(session, LONDON, Kind.MARKETING, now=day_later).state == S.SUPPRESSED


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("text"), st.sampled_from(["STOP", "start", "HELP", "hi", "quit", "Yes"])),
        st.tuples(st.just("send"), st.sampled_from(list(Kind))),
        st.tuples(st.just("deliver"), st.just("")),
    ),
    max_size=12,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=OPERATIONS)
def test_no_sequence_delivers_a_non_exempt_message_to_an_opted_out_number(
    gated: sessionmaker[Session],
    pipeline: Pipeline,
    config: Config,
    operations: list[tuple[str, object]],
) -> None:
    exempt = {config.compliance.opt_out_reply, config.compliance.help_reply}
    with gated() as session:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in ("users", "alembic_version"):
                session.execute(delete(table))
        session.commit()
        for step, (operation, value) in enumerate(operations):
            now = NOON + timedelta(minutes=step)
            if operation == "text":
                text_in(pipeline, session, LONDON, str(value), at=now)
            elif operation == "send":
                enqueue(
                    session, LONDON, f"message {step}", kind=Kind(str(value)), region="US", now=now
                )
            else:
                claim = claim_next(
                    session, "sim0", now, node="n", takeover_after=timedelta(minutes=5)
                )
                if claim is None:
                    continue
                contact = session.scalars(select(Contact).where(Contact.number == LONDON)).first()
                if contact is not None and contact.opted_out:
                    assert claim.body in exempt
                mark_sent(
                    session,
                    claim.id,
                    node="n",
                    modem="sim0",
                    recipient=LONDON,
                    references=[1],
                    now=now,
                )
