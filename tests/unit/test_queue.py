"""The send queue's service functions on SQLite and PostgreSQL, with an injected clock."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.errors import ValidationError
from gateway.models import Kind, Message, MessagePart, ModemRecord, Node
from gateway.queue import (
    Backoff,
    Report,
    apply_status_reports,
    cancel,
    claim_next,
    drop_lease,
    enqueue,
    enqueue_due,
    mark_failed,
    mark_retry,
    mark_sent,
    recover_stale,
    release,
    renew_lease,
)
from gateway.states import MessageState

S = MessageState
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TAKEOVER = timedelta(minutes=10)
WINDOW = timedelta(hours=72)
ALICE = "+12025550101"
BOB = "+12025550102"


def put(session: Session, to: str = ALICE, body: str = "hi", **kwargs: object) -> Message:
    kwargs.setdefault("now", T0)
    return enqueue(session, to, body, region="US", **kwargs)  # type: ignore[arg-type]


NODE = "node-a"


def claim(
    session: Session, modem: str = "sim1", now: datetime = T0, node: str = NODE
) -> int | None:
    taken = claim_next(session, modem, now, node=node, takeover_after=TAKEOVER)
    return taken.id if taken else None


def state(session: Session, message_id: int) -> str | None:
    session.expire_all()
    return session.get_one(Message, message_id).state


# -- enqueue --


def test_enqueue_stores_e164_with_the_segment_count(db_session: Session) -> None:
    message = put(db_session, "(202) 555-0101", "ж" * 71)
    assert (message.peer, message.state, message.direction) == (ALICE, S.QUEUED, "out")
    assert (message.encoding, message.segments) == ("ucs2", 2)


@pytest.mark.parametrize(("to", "body", "field"), [("12", "hi", "to"), ("x", "hi", "to")])
def test_enqueue_rejects_what_cannot_be_sent(
    db_session: Session, to: str, body: str, field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        put(db_session, to, body)
    assert caught.value.field == field


def test_an_empty_body_is_refused(db_session: Session) -> None:
    with pytest.raises(ValidationError) as caught:
        put(db_session, body="")
    assert caught.value.field == "body"


def test_a_scheduled_message_is_queued_when_due_and_not_before(db_session: Session) -> None:
    message = put(db_session, send_at=T0 + timedelta(hours=1))
    assert message.state == S.SCHEDULED
    assert enqueue_due(db_session, T0 + timedelta(minutes=59)) == 0
    assert claim(db_session) is None
    assert enqueue_due(db_session, T0 + timedelta(hours=1)) == 1
    assert claim(db_session, now=T0 + timedelta(hours=1)) == message.id


# -- claiming --


def test_replies_and_transactional_go_before_campaigns_oldest_first(db_session: Session) -> None:
    campaign = [put(db_session, kind=Kind.MARKETING).id for _ in range(2)]
    code = put(db_session, kind=Kind.TRANSACTIONAL).id
    reply = put(db_session, kind=Kind.CONVERSATION).id
    order = [claim(db_session) for _ in range(5)]
    assert order == [reply, code, *campaign, None]


def test_a_claimed_message_is_in_sending_with_its_owner_and_attempt(db_session: Session) -> None:
    message_id = put(db_session).id
    taken = claim_next(db_session, "sim1", T0, node="node-a", takeover_after=TAKEOVER)
    assert taken is not None
    assert (taken.id, taken.peer, taken.attempts) == (message_id, ALICE, 1)
    db_session.expire_all()
    row = db_session.get_one(Message, message_id)
    assert (row.state, row.owner, row.claimed_at) == (S.SENDING, "node-a", T0)


def test_concurrent_workers_never_claim_the_same_message(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        ids = {put(session).id for _ in range(40)}
    claimed: list[int] = []
    lock = threading.Lock()

    def worker(modem: str) -> None:
        with sessions() as session:
            while (taken := claim(session, modem)) is not None:
                with lock:
                    claimed.append(taken)

    threads = [threading.Thread(target=worker, args=(f"sim{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(claimed) == sorted(ids)


# -- sticky sender --


def sent_via(session: Session, modem: str, to: str = ALICE) -> int:
    message_id = put(session, to).id
    assert claim(session, modem) == message_id
    assert mark_sent(
        session, message_id, node=NODE, modem=modem, recipient=to, references=[1], now=T0
    )
    return message_id


def test_a_reply_sticks_to_the_sim_the_contact_last_used(db_session: Session) -> None:
    sent_via(db_session, "sim2")
    reply = put(db_session, kind=Kind.CONVERSATION)
    assert reply.modem == "sim2"
    db_session.add(ModemRecord(name="sim2", node="node-a"))
    db_session.commit()
    assert claim(db_session, "sim1") is None
    assert claim(db_session, "sim2") == reply.id


def test_another_sim_takes_over_when_the_sticky_one_is_down_too_long(
    db_session: Session,
) -> None:
    sent_via(db_session, "sim2")
    reply = put(db_session, kind=Kind.CONVERSATION).id
    db_session.add(ModemRecord(name="sim2", node="node-a", down_since=T0))
    db_session.commit()
    assert claim(db_session, "sim1", now=T0 + TAKEOVER - timedelta(seconds=1)) is None
    assert claim(db_session, "sim1", now=T0 + TAKEOVER + timedelta(seconds=1)) == reply
    mark_sent(db_session, reply, node=NODE, modem="sim1", recipient=ALICE, references=[7], now=T0)
    db_session.expire_all()
    assert db_session.get_one(Message, reply).taken_over


def test_a_message_for_an_unknown_modem_is_sent_by_any(db_session: Session) -> None:
    message_id = put(db_session, modem="gone").id
    assert claim(db_session, "sim1") == message_id


# -- outcomes --


def test_a_transient_error_waits_with_growing_backoff_then_fails(db_session: Session) -> None:
    backoff = Backoff(max_attempts=3, base=30, cap=45)
    message_id = put(db_session).id
    now = T0
    waits = []
    for attempt in (1, 2):
        assert claim(db_session, now=now) == message_id
        outcome = mark_retry(
            db_session,
            message_id,
            node=NODE,
            attempts=attempt,
            error="+CMS ERROR: 500",
            code=500,
            backoff=backoff,
            now=now,
        )
        assert outcome == S.RETRY_WAIT
        row = db_session.get_one(Message, message_id)
        db_session.refresh(row)
        assert row.next_attempt_at is not None
        waits.append(row.next_attempt_at - now)
        assert enqueue_due(db_session, row.next_attempt_at - timedelta(seconds=1)) == 0
        now = row.next_attempt_at
        assert enqueue_due(db_session, now) == 1
    assert waits == [timedelta(seconds=30), timedelta(seconds=45)]
    assert claim(db_session, now=now) == message_id
    outcome = mark_retry(
        db_session,
        message_id,
        node=NODE,
        attempts=3,
        error="timeout",
        code=None,
        backoff=backoff,
        now=now,
    )
    assert outcome == S.FAILED
    db_session.expire_all()
    assert "gave up after 3 attempts: timeout" in (
        db_session.get_one(Message, message_id).last_error or ""
    )


def test_a_permanent_error_fails_at_once_with_the_modem_error(db_session: Session) -> None:
    message_id = put(db_session).id
    claim(db_session)
    assert mark_failed(db_session, message_id, node=NODE, error="+CMS ERROR: 21", code=21, now=T0)
    db_session.expire_all()
    row = db_session.get_one(Message, message_id)
    assert (row.state, row.error_code, row.final_at) == (S.FAILED, 21, T0)


def test_a_message_moves_only_from_the_state_it_is_in(db_session: Session) -> None:
    message_id = put(db_session).id
    claim(db_session)
    assert mark_sent(
        db_session, message_id, node=NODE, modem="sim1", recipient=ALICE, references=[1], now=T0
    )
    assert not mark_sent(
        db_session, message_id, node=NODE, modem="sim2", recipient=ALICE, references=[2], now=T0
    )
    assert not mark_failed(db_session, message_id, node=NODE, error="late", code=None, now=T0)
    assert state(db_session, message_id) == S.SENT


def test_release_hands_a_message_back_without_using_an_attempt(db_session: Session) -> None:
    message_id = put(db_session).id
    claim(db_session)
    assert release(db_session, message_id, node=NODE, error="modem lost")
    db_session.expire_all()
    row = db_session.get_one(Message, message_id)
    assert (row.state, row.attempts, row.owner) == (S.QUEUED, 0, None)


def test_cancel_works_until_a_modem_has_the_message(db_session: Session) -> None:
    first, second = put(db_session).id, put(db_session).id
    assert cancel(db_session, first, now=T0)
    assert state(db_session, first) == S.CANCELLED
    claim(db_session)
    assert not cancel(db_session, second, now=T0)
    assert state(db_session, second) == S.SENDING


# -- delivery reports --


def send_multipart(session: Session, references: list[int], *, at: datetime = T0) -> int:
    message_id = put(session, body="x" * 300, now=at).id
    assert claim(session, now=at) == message_id
    mark_sent(
        session, message_id, node=NODE, modem="sim1", recipient=ALICE, references=references, now=at
    )
    return message_id


def report(reference: int, *, status: int = 0, to: str = ALICE) -> Report:
    return Report(
        "sim1",
        reference,
        to,
        status,
        delivered=status < 0x20,
        final=status >= 0x40 or status < 0x20,
    )


def settle(session: Session, one: Report, now: datetime) -> int | None:
    settled: list[int | None] = apply_status_reports(session, [one], now=now, window=WINDOW)
    return settled[0]


def test_a_multipart_message_is_delivered_when_every_part_is(db_session: Session) -> None:
    message_id = send_multipart(db_session, [10, 11, 12])
    for reference in (12, 10):
        assert settle(db_session, report(reference), T0) == (message_id)
        assert state(db_session, message_id) == S.SENT
    settle(db_session, report(11), T0)
    assert state(db_session, message_id) == S.DELIVERED
    parts = db_session.scalars(select(MessagePart).order_by(MessagePart.part)).all()
    assert [(p.part, p.total, p.status) for p in parts] == [(1, 3, 0), (2, 3, 0), (3, 3, 0)]


def test_one_undeliverable_part_fails_the_message(db_session: Session) -> None:
    message_id = send_multipart(db_session, [20, 21, 22])
    settle(db_session, report(20), T0)
    settle(db_session, report(21, status=0x30), T0)
    assert state(db_session, message_id) == S.SENT  # 0x30: the centre is still trying
    settle(db_session, report(21, status=0x41), T0)
    db_session.expire_all()
    row = db_session.get_one(Message, message_id)
    assert (row.state, row.error_code) == (S.FAILED, 0x41)


def test_reports_in_one_batch_apply_in_order_and_one_unmatched_undoes_nothing(
    db_session: Session,
) -> None:
    message_id = send_multipart(db_session, [30, 31])
    settled = apply_status_reports(
        db_session,
        [report(30, status=0x30), report(99), report(30), report(31)],
        now=T0,
        window=WINDOW,
    )
    assert settled == [message_id, None, message_id, message_id]
    db_session.expire_all()
    assert state(db_session, message_id) == S.DELIVERED


def test_a_reused_reference_matches_the_newest_part_in_the_window(db_session: Session) -> None:
    old = send_multipart(db_session, [5, 6, 7])
    new = send_multipart(db_session, [5, 8, 9], at=T0 + timedelta(hours=1))
    assert settle(db_session, report(5), T0) == new
    later = T0 + WINDOW + timedelta(hours=0.5)
    assert settle(db_session, report(6), later) is None
    assert settle(db_session, report(5, to=BOB), T0) is None
    assert state(db_session, old) == S.SENT


# -- crash recovery --


def test_a_restarted_node_resends_what_it_left_in_sending(db_session: Session) -> None:
    message_id = put(db_session).id
    claim(db_session)
    renew_lease(db_session, "node-a", T0, timedelta(minutes=1))
    assert recover_stale(db_session, T0, resend_unknown=True, restarted="node-a") == [message_id]
    db_session.expire_all()
    row = db_session.get_one(Message, message_id)
    assert (row.state, row.final_at) == (S.QUEUED, None)
    assert "outcome unknown" in (row.last_error or "")


def test_without_resend_unknown_the_message_stays_unknown(db_session: Session) -> None:
    message_id = put(db_session).id
    claim(db_session)
    recover_stale(db_session, T0, resend_unknown=False, restarted="node-a")
    assert state(db_session, message_id) == S.UNKNOWN


def test_another_node_recovers_only_after_the_lease_runs_out(db_session: Session) -> None:
    message_id = put(db_session).id
    claim(db_session)
    renew_lease(db_session, "node-a", T0, timedelta(minutes=1))
    renew_lease(db_session, "node-a", T0 + timedelta(seconds=30), timedelta(minutes=1))
    assert recover_stale(db_session, T0 + timedelta(seconds=89), resend_unknown=True) == []
    assert state(db_session, message_id) == S.SENDING
    later = T0 + timedelta(seconds=91)
    assert recover_stale(db_session, later, resend_unknown=True) == [message_id]
    assert state(db_session, message_id) == S.QUEUED


def test_a_clean_stop_drops_the_lease(db_session: Session) -> None:
    renew_lease(db_session, "node-a", T0, timedelta(minutes=1))
    drop_lease(db_session, "node-a")
    assert db_session.scalars(select(Node)).all() == []


def test_a_node_cut_off_past_its_lease_cannot_overwrite_the_node_that_took_its_message(
    db_session: Session,
) -> None:
    message_id = put(db_session).id
    claim(db_session)
    renew_lease(db_session, NODE, T0, timedelta(minutes=1))
    later = T0 + timedelta(minutes=2)
    assert recover_stale(db_session, later, resend_unknown=True) == [message_id]
    assert claim(db_session, "sim7", now=later, node="node-b") == message_id
    # node-a reaches the database again, with the outcomes it could not write.
    assert not mark_sent(
        db_session, message_id, node=NODE, modem="sim1", recipient=ALICE, references=[1], now=later
    )
    assert not release(db_session, message_id, node=NODE, error="late")
    db_session.expire_all()
    row = db_session.get_one(Message, message_id)
    assert (row.state, row.owner) == (S.SENDING, "node-b")
    assert mark_sent(
        db_session,
        message_id,
        node="node-b",
        modem="sim7",
        recipient=ALICE,
        references=[2],
        now=later,
    )
    assert state(db_session, message_id) == S.SENT
