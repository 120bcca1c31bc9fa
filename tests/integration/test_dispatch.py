"""The dispatcher against simulated modems over real ptys, through the real driver."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from drivers.modem import Modem, SendResult, events
from drivers.sim import Simulator
from drivers.sim.atline import Command
from gateway.compliance.settings import policy
from gateway.config import Config, GatewaySection, ModemSection, QueueSection
from gateway.dispatch import Dispatcher
from gateway.errors import GatewayError
from gateway.models import Direction, Kind, Message, MessagePart, UndecodablePdu, utcnow
from gateway.queue import enqueue
from gateway.runtime import Gateway
from gateway.states import MessageState
from tests.drivers_custom import recording
from tests.waiting import eventually

S = MessageState
WAIT = 20.0


def gateway_config(tmp_path: Path, sim: Simulator, **modem: object) -> Config:
    return Config(
        gateway=GatewaySection(data_dir=str(tmp_path / "data")),
        queue=QueueSection(
            node="test-node",
            backoff_seconds=0.05,
            backoff_max_seconds=0.2,
            poll_seconds=0.2,
            cooldown_seconds=0.5,
        ),
        modems=tuple(
            ModemSection(name=m.id, port=m.device, rate_per_minute=60_000, **modem)  # type: ignore[arg-type]
            for m in sim.modems
        ),
    )


@pytest.fixture
def dispatch(
    sessions: sessionmaker[Session],
) -> Iterator[Callable[[Config], Dispatcher]]:
    started: list[Dispatcher] = []

    def start(config: Config) -> Dispatcher:
        dispatcher = Dispatcher(config, sessions)
        dispatcher.start()
        started.append(dispatcher)
        return dispatcher

    yield start
    for dispatcher in started:
        dispatcher.stop()


def put(sessions: sessionmaker[Session], count: int, **kwargs: object) -> list[int]:
    with sessions() as session:
        return [
            enqueue(
                session,
                f"+1202555{n:04d}",
                kwargs.pop("body", f"message {n}") if count == 1 else f"message {n}",  # type: ignore[arg-type]
                region="US",
                now=utcnow(),
                **kwargs,  # type: ignore[arg-type]
            ).id
            for n in range(count)
        ]


def wait_for_states(
    sessions: sessionmaker[Session], done: set[MessageState], count: int, timeout: float = WAIT
) -> dict[str | None, int]:
    """Poll the database (this is a test) until ``count`` messages are in ``done`` states."""
    deadline = time.monotonic() + timeout
    while True:
        with sessions() as session:
            states = dict(
                session.execute(select(Message.state, func.count()).group_by(Message.state)).all()
            )
        if sum(n for state, n in states.items() if state in done) >= count:
            return states
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting; states now {states}")
        time.sleep(0.05)


def test_a_broadcast_goes_out_once_each_over_every_modem(
    simulator: Callable[..., Simulator],
    tmp_path: Path,
    sessions: sessionmaker[Session],
    dispatch: Callable[[Config], Dispatcher],
) -> None:
    sim = simulator(modems=3, latency=0.01)
    dispatcher = dispatch(gateway_config(tmp_path, sim))
    # A broadcast spreads over the modems that are up: let all three open first (on a
    # loaded machine the first two could send all 30 before the third has answered).
    assert eventually(lambda: all(h.connected for h in dispatcher.health()), WAIT)
    put(sessions, 30, kind=Kind.MARKETING)
    sent = sim.wait_sent(30, timeout=WAIT)
    wait_for_states(sessions, {S.DELIVERED}, 30)
    assert sorted(m.text for m in sent) == sorted(f"message {n}" for n in range(30))
    assert set(Counter(m.modem for m in sent)) == {"sim0", "sim1", "sim2"}
    health = {h.name: h for h in dispatcher.health()}
    assert sum(h.sent for h in health.values()) == 30
    assert all(h.connected and h.sent_today == h.sent for h in health.values())


def test_an_unplugged_modem_leaves_its_share_to_the_others(
    simulator: Callable[..., Simulator],
    tmp_path: Path,
    sessions: sessionmaker[Session],
    dispatch: Callable[[Config], Dispatcher],
) -> None:
    sim = simulator(modems=3, latency=0.02)
    dispatch(gateway_config(tmp_path, sim))
    put(sessions, 60, kind=Kind.MARKETING)
    sim.wait_sent(10, timeout=WAIT)
    sim.modem("sim1").fault("unplug")
    states = wait_for_states(sessions, {S.SENT, S.DELIVERED}, 60)
    assert states.get(S.FAILED, 0) == 0
    texts = Counter(m.text for m in sim.sent)
    assert set(texts) == {f"message {n}" for n in range(60)}
    # Twice only for the one message sim1 had in flight, and only if sim1 got it out in
    # the instant before its plug was pulled: then its answer was lost, the outcome is
    # unknown, and resend_unknown (on by default) sends it again.
    twice = [text for text, count in texts.items() if count > 1]
    assert len(twice) <= 1
    assert all(sum(m.modem == "sim1" for m in sim.sent if m.text == t) == 1 for t in twice)


def test_a_transient_error_is_retried(
    simulator: Callable[..., Simulator],
    tmp_path: Path,
    sessions: sessionmaker[Session],
    dispatch: Callable[[Config], Dispatcher],
) -> None:
    sim = simulator(modems=1)
    sim.modems[0].fault("cms_error", code=500, count=1)
    dispatch(gateway_config(tmp_path, sim))
    [message_id] = put(sessions, 1)
    wait_for_states(sessions, {S.DELIVERED}, 1)
    with sessions() as session:
        message = session.get_one(Message, message_id)
        assert (message.attempts, message.error_code) == (2, 500)
    assert [m.text for m in sim.sent] == ["message 0"]


def test_a_permanent_error_fails_the_message_with_the_modem_error(
    simulator: Callable[..., Simulator],
    tmp_path: Path,
    sessions: sessionmaker[Session],
    dispatch: Callable[[Config], Dispatcher],
) -> None:
    sim = simulator(modems=1)
    sim.modems[0].fault("cms_error", code=21, count=1)
    dispatch(gateway_config(tmp_path, sim))
    [message_id] = put(sessions, 1)
    wait_for_states(sessions, {S.FAILED}, 1)
    with sessions() as session:
        message = session.get_one(Message, message_id)
        assert (message.attempts, message.error_code) == (1, 21)
        assert "+CMS ERROR 21" in (message.last_error or "")
    assert sim.sent == []


def test_a_multipart_message_is_delivered_when_every_part_is_reported(
    simulator: Callable[..., Simulator],
    tmp_path: Path,
    sessions: sessionmaker[Session],
    dispatch: Callable[[Config], Dispatcher],
) -> None:
    sim = simulator(modems=1)
    dispatch(gateway_config(tmp_path, sim))
    body = "long " * 100
    [message_id] = put(sessions, 1, body=body)
    wait_for_states(sessions, {S.DELIVERED}, 1)
    [sent] = sim.sent
    assert (sent.text, sent.parts) == (body, 4)
    with sessions() as session:
        parts = session.scalars(
            select(MessagePart).where(MessagePart.message_id == message_id)
        ).all()
        assert [p.reference for p in sorted(parts, key=lambda p: p.part)] == list(sent.references)
        assert all(p.delivered_at and p.status == 0 for p in parts)


def test_a_reply_goes_out_on_the_sim_the_contact_last_used(
    simulator: Callable[..., Simulator],
    tmp_path: Path,
    sessions: sessionmaker[Session],
    dispatch: Callable[[Config], Dispatcher],
) -> None:
    sim = simulator(modems=3)
    dispatch(gateway_config(tmp_path, sim))
    put(sessions, 1)
    [first] = sim.wait_sent(1, timeout=WAIT)
    wait_for_states(sessions, {S.SENT, S.DELIVERED}, 1)
    put(sessions, 1, body="reply", kind=Kind.CONVERSATION)
    wait_for_states(sessions, {S.SENT, S.DELIVERED}, 2)
    assert [m.modem for m in sim.sent] == [first.modem, first.modem]


@pytest.mark.parametrize("cap", [2])
def test_a_sim_stops_at_its_daily_cap_and_the_others_carry_on(
    simulator: Callable[..., Simulator],
    tmp_path: Path,
    sessions: sessionmaker[Session],
    dispatch: Callable[[Config], Dispatcher],
    cap: int,
) -> None:
    sim = simulator(modems=2)
    config = gateway_config(tmp_path, sim)
    capped = replace(config.modems[0], daily_cap=cap)
    # The other SIM is paced, so it cannot drain the queue before the capped one is open.
    paced = replace(config.modems[1], rate_per_minute=600)
    dispatcher = dispatch(replace(config, modems=(capped, paced)))
    put(sessions, 12)
    wait_for_states(sessions, {S.SENT, S.DELIVERED}, 12)
    by_modem = Counter(m.modem for m in sim.sent)
    assert by_modem["sim0"] == cap
    assert by_modem["sim1"] == 12 - cap
    assert dispatcher.health()[0].down_reason == f"daily cap of {cap} SMS reached"


def test_stopping_hands_back_the_claim_made_ahead_and_records_every_send(
    simulator: Callable[..., Simulator],
    tmp_path: Path,
    sessions: sessionmaker[Session],
) -> None:
    sim = simulator(modems=2, latency=0.05)
    put(sessions, 40, kind=Kind.MARKETING)
    dispatcher = Dispatcher(gateway_config(tmp_path, sim), sessions)
    dispatcher.start()
    sim.wait_sent(6, timeout=WAIT)
    dispatcher.stop()
    with sessions() as session:
        rows = session.execute(select(Message.state, Message.attempts)).all()
    states = Counter(state for state, _ in rows)
    assert states[S.SENDING] == 0
    assert states[S.SENT] + states[S.DELIVERED] == len(sim.sent)
    assert states[S.QUEUED] == 40 - len(sim.sent)
    assert all(attempts == 0 for state, attempts in rows if state == S.QUEUED)


def test_a_broadcast_follows_on_from_each_ok_and_sends_every_message_once_in_order(
    simulator: Callable[..., Simulator],
    tmp_path: Path,
    sessions: sessionmaker[Session],
    dispatch: Callable[[Config], Dispatcher],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The port starts the next message at each OK (the claim made meanwhile); the
    worker then takes that one's result. Counted through the real driver's own method."""
    followed: list[int] = []
    follow_on = Modem.follow_on

    def counted(modem: Modem, **kwargs: Any) -> SendResult:
        followed.append(1)
        return follow_on(modem, **kwargs)

    monkeypatch.setattr(Modem, "follow_on", counted)
    sim = simulator(modems=1, latency=0.05, status_report_delay=3600.0)
    dispatcher = dispatch(gateway_config(tmp_path, sim))
    assert eventually(lambda: all(h.connected for h in dispatcher.health()), WAIT)
    put(sessions, 30, kind=Kind.MARKETING)
    sent = sim.wait_sent(30, timeout=WAIT)
    wait_for_states(sessions, {S.SENT}, 30)
    assert [m.text for m in sent] == [f"message {n}" for n in range(30)]
    assert followed, "no message followed on"
    assert dispatcher.health()[0].sent == 30


def test_an_inbound_text_is_handed_over_while_a_broadcast_still_sends(
    simulator: Callable[..., Simulator],
    tmp_path: Path,
    sessions: sessionmaker[Session],
) -> None:
    """Messages following on from each OK must not keep the worker from the modem's
    events: a conversation's reply cannot wait for the end of a long broadcast."""
    sim = simulator(modems=1, latency=0.05, status_report_delay=3600.0)
    seen: list[int] = []

    def on_event(name: str, driver: object, event: events.Event) -> None:
        if isinstance(event, events.NewMessageStored):
            seen.append(len(sim.sent))

    dispatcher = Dispatcher(gateway_config(tmp_path, sim), sessions, on_event=on_event)
    dispatcher.start()
    try:
        assert eventually(lambda: all(h.connected for h in dispatcher.health()), WAIT)
        put(sessions, 200, kind=Kind.MARKETING)
        sim.wait_sent(5, timeout=WAIT)
        injected_at = len(sim.sent)
        sim.modems[0].inject_text("+447700900123", "a reply mid-broadcast")
        assert eventually(lambda: bool(seen), WAIT)
        # Within a send or two; status reports may wait up to a second (20 sends here).
        assert seen[0] <= injected_at + 10, (injected_at, seen[0])
    finally:
        dispatcher.stop()


def test_a_message_that_comes_while_every_modem_is_busy_goes_when_one_is_free(
    simulator: Callable[..., Simulator],
    tmp_path: Path,
    sessions: sessionmaker[Session],
    dispatch: Callable[[Config], Dispatcher],
) -> None:
    """A worker does not ask the queue again after a send unless new work woke it, so the
    dispatcher must wake busy workers when none is idle; the periodic look (a minute
    here) would otherwise be the only thing that finds the third message. The outcomes
    of such a trickle are written without a next claim to carry them."""
    # No status reports: their arrival would wake the workers too.
    sim = simulator(modems=2, latency=0.5, jitter=0.0, status_report_delay=3600.0)
    config = gateway_config(tmp_path, sim)
    config = replace(config, queue=replace(config.queue, poll_seconds=60.0))
    dispatcher = dispatch(config)
    assert eventually(lambda: all(w.idle for w in dispatcher.workers.values()), WAIT)
    put(sessions, 1, body="first")
    put(sessions, 1, body="second")
    assert eventually(lambda: not any(w.idle for w in dispatcher.workers.values()), WAIT)
    started = time.monotonic()
    put(sessions, 1, body="third")
    sent = sim.wait_sent(3, timeout=WAIT)
    assert time.monotonic() - started < 10.0  # well before the next look at the queue
    assert sorted(m.text for m in sent) == ["first", "second", "third"]
    wait_for_states(sessions, {S.SENT}, 3)


@pytest.mark.parametrize("resend_unknown", [True, False])
def test_a_modem_lost_after_taking_the_pdu_leaves_the_outcome_unknown(
    simulator: Callable[..., Simulator],
    tmp_path: Path,
    sessions: sessionmaker[Session],
    dispatch: Callable[[Config], Dispatcher],
    resend_unknown: bool,
) -> None:
    """Unplugged while it holds the PDU, the modem may have sent it: ``resend_unknown``
    decides between a resend (at least once) and leaving it for a person (at most once)."""
    sim = simulator(modems=1, latency=2.0)
    config = gateway_config(tmp_path, sim)
    dispatch(replace(config, gateway=replace(config.gateway, resend_unknown=resend_unknown)))
    [message_id] = put(sessions, 1)
    wait_for_states(sessions, {S.SENDING}, 1)
    time.sleep(0.5)  # the PDU is with the modem, which answers after its 2 s latency
    sim.modem("sim0").fault("unplug")
    time.sleep(0.5)
    sim.modem("sim0").fault("replug")
    if resend_unknown:
        wait_for_states(sessions, {S.SENT, S.DELIVERED}, 1)
        assert [m.text for m in sim.sent] == ["message 0"]
    else:
        wait_for_states(sessions, {S.UNKNOWN}, 1)
        time.sleep(3.0)  # long enough for the reopened modem to have sent it again
        assert sim.sent == []
    with sessions() as session:
        message = session.get(Message, message_id)
        assert message is not None
        if resend_unknown:
            assert (message.state, message.attempts) in {(S.SENT, 2), (S.DELIVERED, 2)}
        else:
            assert (message.state, message.attempts) == (S.UNKNOWN, 1)
            assert "outcome unknown" in (message.last_error or "")


def test_marketing_that_reaches_the_front_in_quiet_hours_waits_for_the_morning(
    simulator: Callable[..., Simulator], tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    """Queued in the afternoon behind a slow SIM, sent at 23:00 in Washington: not."""
    night = datetime(2026, 6, 2, 3, 0, tzinfo=UTC)  # 23:00 in Washington (EDT)
    sim = simulator(modems=1, latency=0.01)
    config = gateway_config(tmp_path, sim)
    rules = policy(config)  # quiet hours 08:00-21:00 in the recipient's zone
    with sessions() as session:
        advert = enqueue(
            session, "+12025550100", "Spring sale!", kind=Kind.MARKETING, region="US", now=night
        ).id
        receipt = enqueue(session, "+12025550101", "Your receipt", region="US", now=night).id
    dispatcher = Dispatcher(config, sessions, clock=lambda: night, rules=lambda _s: rules)
    dispatcher.start()
    try:
        sim.wait_sent(1, timeout=WAIT)
        wait_for_states(sessions, {S.SENT, S.DELIVERED}, 1)
        wait_for_states(sessions, {S.SCHEDULED}, 1)
    finally:
        dispatcher.stop()
    assert [m.text for m in sim.sent] == ["Your receipt"]
    with sessions() as session:
        deferred = session.get(Message, advert)
        assert deferred is not None
        assert (deferred.state, deferred.attempts) == (S.SCHEDULED, 0)
        assert deferred.scheduled_at == datetime(2026, 6, 2, 12, 0, tzinfo=UTC)  # 08:00 EDT
        assert "quiet hours" in (deferred.last_error or "")
        sent = session.get(Message, receipt)
        assert sent is not None
        assert sent.state in {S.SENT, S.DELIVERED}


def test_reports_that_came_while_the_gateway_was_down_are_recorded_and_taken_off(
    simulator: Callable[..., Simulator],
    tmp_path: Path,
    sessions: sessionmaker[Session],
    dispatch: Callable[[Config], Dispatcher],
) -> None:
    """Their +CDSI went nowhere: the sweep at start-up finds them, so the message is
    delivered and the SIM does not fill up with reports."""
    sim = simulator(modems=1, latency=0.01, status_report_delay=1.0)
    config = gateway_config(tmp_path, sim)
    first = Dispatcher(config, sessions)
    first.start()
    try:
        [message_id] = put(sessions, 1)
        wait_for_states(sessions, {S.SENT}, 1)
    finally:
        first.stop()  # before the report comes
    reports = sim.modems[0].interpreter.sim.stores["SR"]
    deadline = time.monotonic() + WAIT
    while reports.used == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert reports.used == 1
    dispatch(config)
    wait_for_states(sessions, {S.DELIVERED}, 1)
    deadline = time.monotonic() + WAIT
    while reports.used and time.monotonic() < deadline:
        time.sleep(0.05)
    assert reports.used == 0
    with sessions() as session:
        delivered = session.get(Message, message_id)
        assert delivered is not None
        assert delivered.state == S.DELIVERED


def test_each_sweep_lists_the_sim_memory_once_for_texts_and_reports(
    simulator: Callable[..., Simulator],
    tmp_path: Path,
    engine: Engine,
    sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Texts and status reports share the SIM's memory; listing it is slow on a real SIM,
    so the inbox and the reports read one listing. The text is stored and deleted."""
    sim = simulator(modems=1)
    interpreter = sim.modems[0].interpreter
    listings: Counter[str] = Counter()
    memory = ["SM"]
    dispatch_command = interpreter._dispatch

    def counted(command: Command) -> list[str]:
        if command.name == "+CPMS" and command.args:
            memory[0] = command.args.split(",")[0].strip('"')
        elif command.name == "+CMGL":
            listings[memory[0]] += 1
        return dispatch_command(command)

    monkeypatch.setattr(interpreter, "_dispatch", counted)
    sim.modems[0].inject_text("+14155550123", "C")
    config = gateway_config(tmp_path, sim)
    config = replace(config, inbound=replace(config.inbound, sweep_seconds=0.3))
    gateway = Gateway.build(config, engine)
    gateway.start()
    try:
        assert eventually(lambda: listings["SR"] >= 3, WAIT)
    finally:
        gateway.stop()

    assert abs(listings["SM"] - listings["SR"]) <= 1
    assert interpreter.sim.stores["SM"].used == 0
    with sessions() as session:
        assert session.scalars(
            select(Message.body).where(Message.direction == Direction.IN)
        ).all() == ["C"]


def test_reports_of_a_broadcast_are_read_in_batches_and_every_message_is_delivered(
    simulator: Callable[..., Simulator],
    tmp_path: Path,
    sessions: sessionmaker[Session],
    dispatch: Callable[[Config], Dispatcher],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A report read or deleted between two sends is a command the next send waits
    behind: while a backlog goes out they are noted, read a listing at a time, and
    deleted together."""
    sim = simulator(modems=1, latency=0.02, status_report_delay=0.01)
    interpreter = sim.modems[0].interpreter
    reads: Counter[str] = Counter()
    dispatch_command = interpreter._dispatch

    def counted(command: Command) -> list[str]:
        reads[command.name] += 1
        return dispatch_command(command)

    monkeypatch.setattr(interpreter, "_dispatch", counted)
    put(sessions, 40)
    dispatch(gateway_config(tmp_path, sim))
    wait_for_states(sessions, {S.DELIVERED}, 40)
    reports = interpreter.sim.stores["SR"]
    assert eventually(lambda: reports.used == 0)
    assert reads["+CMGR"] + reads["+CMGL"] < 40 // 4
    assert reads["+CMGD"] < 40 // 4


def test_a_report_that_does_not_decode_is_kept_raw_and_taken_off_the_sim(
    simulator: Callable[..., Simulator],
    tmp_path: Path,
    sessions: sessionmaker[Session],
    dispatch: Callable[[Config], Dispatcher],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Announced with +CDSI but unreadable: left there, such reports would fill the
    memory; its PDU is kept raw, as an unreadable inbound one is."""
    sim = simulator(modems=1, latency=0.01)
    dispatcher = dispatch(gateway_config(tmp_path, sim))
    assert eventually(lambda: all(h.connected for h in dispatcher.health()))
    reports = sim.modems[0].interpreter.sim.stores["SR"]
    sim.modems[0].receive_from_network("0006FFFF", report=True)
    assert eventually(lambda: reports.used == 0)
    assert "report 1 unreadable, kept raw" in caplog.text
    with sessions() as session:
        [kept] = session.scalars(select(UndecodablePdu)).all()
        assert (kept.modem, kept.pdu) == (sim.modems[0].id, "0006FFFF")


def test_a_driver_plugin_named_in_the_config_is_loaded_and_sent_through(
    tmp_path: Path,
    sessions: sessionmaker[Session],
    dispatch: Callable[[Config], Dispatcher],
) -> None:
    config = Config(
        gateway=GatewaySection(data_dir=str(tmp_path / "data")),
        queue=QueueSection(node="test-node", poll_seconds=0.2),
        modems=(
            ModemSection(
                name="rec", port="none", driver=recording.__name__, rate_per_minute=60_000
            ),
        ),
    )
    recording.SENT.clear()
    dispatch(config)
    put(sessions, 3)
    wait_for_states(sessions, {S.SENT}, 3)
    assert sorted(recording.SENT["rec"]) == [(f"+1202555{n:04d}", f"message {n}") for n in range(3)]


def test_a_driver_plugin_that_cannot_be_loaded_is_named_in_the_error(
    tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    config = Config(
        gateway=GatewaySection(data_dir=str(tmp_path / "data")),
        modems=(ModemSection(name="odd", port="none", driver="no.such.module"),),
    )
    with pytest.raises(
        GatewayError, match=re.escape("modem odd: driver 'no.such.module' cannot be loaded")
    ):
        Dispatcher(config, sessions)
