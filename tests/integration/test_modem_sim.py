"""The real driver over a real pseudo-terminal against the simulated modems."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from drivers.errors import CmsError, CommandTimeout, PinRequiredError, RetryClass, TransportError
from drivers.modem import Modem, Outgoing, events
from drivers.pdu import Deliver, StatusReport, encode_deliver
from drivers.sim import VENDORS, Simulator
from drivers.sim.storage import Stat

WAIT = 10.0


class EventLog:
    """Collects ``on_event`` calls and lets a test wait for one (never hangs)."""

    def __init__(self) -> None:
        self.events: list[events.Event] = []
        self.threads: set[str] = set()
        self._cond = threading.Condition()

    def __call__(self, event: events.Event) -> None:
        with self._cond:
            self.events.append(event)
            self.threads.add(threading.current_thread().name)
            self._cond.notify_all()

    def wait_for(self, wanted: Callable[[events.Event], bool], timeout: float = WAIT) -> Any:
        with self._cond:
            self._cond.wait_for(lambda: any(wanted(e) for e in self.events), timeout)
            found = [e for e in self.events if wanted(e)]
        assert found, f"no matching event in {self.events}"
        return found[0]


@pytest.fixture
def log() -> EventLog:
    return EventLog()


@pytest.fixture
def connect(log: EventLog) -> Iterator[Callable[..., Modem]]:
    opened: list[Modem] = []

    def open_modem(url: str, **kw: Any) -> Modem:
        kw.setdefault("command_timeout", 2.0)
        kw.setdefault("send_timeout", 5.0)
        kw.setdefault("reconnect_interval", 0.2)
        modem = Modem(url, on_event=log, **kw)
        modem.open()
        opened.append(modem)
        return modem

    yield open_modem
    for modem in opened:
        modem.close()


@pytest.mark.parametrize("vendor", sorted(VENDORS))
def test_open_reads_identity_signal_and_registration_per_vendor(
    simulator: Callable[..., Simulator], connect: Callable[..., Modem], vendor: str
) -> None:
    sim = simulator(vendor=vendor)
    simulated = sim.modems[0]
    modem = connect(simulated.device)
    identity = modem.identity()
    assert modem.profile.name == vendor
    assert (identity.imei, identity.imsi, identity.iccid) == (
        simulated.imei,
        simulated.imsi,
        simulated.iccid,
    )
    assert identity.number == simulated.number
    assert identity.manufacturer == VENDORS[vendor].manufacturer
    signal = modem.signal()
    assert signal.dbm == -113 + 2 * signal.rssi
    assert 0 < signal.bars <= 5
    registration = modem.registration()
    assert registration.registered
    assert registration.operator == simulated.operator
    assert modem.healthy


def test_single_part_send_returns_its_reference(
    simulator: Callable[..., Simulator], connect: Callable[..., Modem]
) -> None:
    sim = simulator(modems=2)
    modem = connect(sim.modems[0].device)
    result = modem.send_sms(sim.modems[1].number, "Hello from Cellgate")
    sent = sim.wait_sent(1, WAIT)
    assert result.parts == 1
    assert result.encoding == "gsm7"
    assert tuple(result.references) == sent[0].references
    assert sent[0].text == "Hello from Cellgate"


@pytest.mark.parametrize("vendor", ["generic", "huawei"])
def test_multipart_send_returns_every_reference(
    simulator: Callable[..., Simulator], connect: Callable[..., Modem], vendor: str
) -> None:
    sim = simulator(modems=2, vendor=vendor)
    modem = connect(sim.modems[0].device)
    text = "Grüße aus Köln 😀 " * 10
    result = modem.send_sms(sim.modems[1].number, text)
    sent = sim.wait_sent(1, WAIT)
    assert result.encoding == "ucs2"
    assert result.parts == len(result.references) == sent[0].parts > 1
    assert tuple(result.references) == sent[0].references
    assert sent[0].text == text


def test_a_modems_sends_take_its_latency_on_average_give_or_take_its_jitter(
    simulator: Callable[..., Simulator], connect: Callable[..., Modem]
) -> None:
    """Each pair of sends takes twice the latency, so a benchmark's ideal (messages x
    latency / modems) holds for a run of any length, while single sends still vary."""
    sim = simulator(modems=2, latency=0.2, jitter=0.1, seed=3)
    modem = connect(sim.modems[0].device)
    took = []
    for n in range(6):
        started = time.monotonic()
        modem.send_sms(sim.modems[1].number, f"send {n}")
        took.append(time.monotonic() - started)

    pairs = [first + second for first, second in zip(took[::2], took[1::2], strict=True)]
    assert all(0.4 <= pair < 0.43 for pair in pairs), pairs
    assert max(took) - min(took) > 0.02, took


def test_on_submitted_runs_once_when_the_modem_has_the_first_part_before_its_answer(
    simulator: Callable[..., Simulator], connect: Callable[..., Modem]
) -> None:
    sim = simulator(modems=2, latency=0.3, jitter=0.0)
    modem = connect(sim.modems[0].device)
    calls: list[tuple[str, int]] = []

    def on_submitted() -> None:
        calls.append((threading.current_thread().name, len(sim.sent)))

    result = modem.send_sms(sim.modems[1].number, "part " * 50, on_submitted=on_submitted)
    assert result.parts == 2
    assert len(calls) == 1, "once per message, not per part"
    thread, sent_then = calls[0]
    assert thread != threading.current_thread().name
    assert sent_then == 0, "it ran while the network still had the message"
    assert len(sim.wait_sent(1, WAIT)) == 1


def test_a_failing_on_submitted_leaves_the_send_and_the_port_working(
    simulator: Callable[..., Simulator], connect: Callable[..., Modem]
) -> None:
    sim = simulator(modems=2)
    modem = connect(sim.modems[0].device)

    def on_submitted() -> None:
        raise RuntimeError("the caller's bug")

    first = modem.send_sms(sim.modems[1].number, "one", on_submitted=on_submitted)
    second = modem.send_sms(sim.modems[1].number, "two")
    assert first.parts == second.parts == 1
    assert [m.text for m in sim.wait_sent(2, WAIT)] == ["one", "two"]


def test_the_next_message_starts_at_the_ok_on_the_reader_thread_and_follows_on(
    simulator: Callable[..., Simulator], connect: Callable[..., Modem]
) -> None:
    sim = simulator(modems=2, latency=0.05, jitter=0.0)
    modem = connect(sim.modems[0].device)
    to = sim.modems[1].number
    asked: list[str] = []
    queue = [modem.prepare(to, "two"), modem.prepare(to, "three")]

    def then() -> Outgoing | None:
        asked.append(threading.current_thread().name)
        return queue.pop(0) if queue else None

    first = modem.send_sms(to, "one", then=then)
    assert modem.following
    second = modem.follow_on(then=then)
    assert modem.following
    third = modem.follow_on(then=then)
    assert not modem.following
    sent = sim.wait_sent(3, WAIT)
    assert [m.text for m in sent] == ["one", "two", "three"]
    assert [first.references, second.references, third.references] == [
        list(m.references) for m in sent
    ]
    assert len(asked) == 3  # at each OK; the last found nothing
    assert all(name.startswith("at-reader") for name in asked)
    assert modem.signal().rssi >= 0, "the port is free again"


def test_on_submitted_of_a_follow_on_runs_once_the_modem_has_it(
    simulator: Callable[..., Simulator], connect: Callable[..., Modem]
) -> None:
    sim = simulator(modems=2, latency=0.3, jitter=0.0)
    modem = connect(sim.modems[0].device)
    to = sim.modems[1].number
    follower = modem.prepare(to, "two")
    modem.send_sms(to, "one", then=lambda: follower)
    calls: list[int] = []
    modem.follow_on(on_submitted=lambda: calls.append(len(sim.sent)))
    assert calls == [1], "once, while the network still had the second message"
    assert [m.text for m in sim.wait_sent(2, WAIT)] == ["one", "two"]


def test_another_threads_command_ends_a_run_of_follow_ons_at_the_next_ok(
    simulator: Callable[..., Simulator], connect: Callable[..., Modem]
) -> None:
    """A balance check (USSD) from the web UI during a long broadcast gets the port
    after the send in progress, not after the broadcast."""
    sim = simulator(modems=2, latency=0.05, jitter=0.0, status_report_delay=3600.0)
    modem = connect(sim.modems[0].device)
    to = sim.modems[1].number
    endless = modem.prepare(to, "again")
    answered: list[int] = []

    def probe() -> None:
        modem.signal()
        answered.append(len(sim.sent))

    other = threading.Thread(target=probe)
    modem.send_sms(to, "first", then=lambda: endless)
    sends = 1
    while modem.following:
        if sends == 3:
            other.start()  # blocked on the port within a send or two (50 ms each)
        modem.follow_on(then=lambda: endless)
        sends += 1
        assert sends < 200, "the other thread never got the port"
    other.join(WAIT)
    assert answered == [sends]
    assert sends <= 6


def test_a_message_started_at_an_ok_that_gets_no_prompt_was_never_sent(
    simulator: Callable[..., Simulator], connect: Callable[..., Modem]
) -> None:
    """The modem hangs between a send's OK and the next AT+CMGS the reader writes: the
    first message is sent, and the next one times out as one the modem never had."""
    sim = simulator(modems=2, latency=0.05, jitter=0.0)
    modem = connect(sim.modems[0].device, send_timeout=1.0)
    to = sim.modems[1].number
    follower = modem.prepare(to, "two")

    def then() -> Outgoing:
        sim.modems[0].fault("hang")  # before the next AT+CMGS is written
        return follower

    assert modem.send_sms(to, "one", then=then).references
    assert modem.following
    with pytest.raises(CommandTimeout) as timeout:
        modem.follow_on()
    assert timeout.value.retry_class is not RetryClass.UNKNOWN
    assert not modem.following
    assert [m.text for m in sim.sent] == ["one"]


def test_a_failed_send_starts_nothing_after_it(
    simulator: Callable[..., Simulator], connect: Callable[..., Modem]
) -> None:
    sim = simulator(modems=2)
    modem = connect(sim.modems[0].device)
    to = sim.modems[1].number
    asked: list[bool] = []

    def then() -> Outgoing:
        asked.append(True)
        return modem.prepare(to, "next")

    sim.modems[0].fault("cms_error", code=38, count=1)
    with pytest.raises(CmsError):
        modem.send_sms(to, "fails", then=then)
    assert not modem.following
    assert asked == []
    assert modem.send_sms(to, "after").references
    assert [m.text for m in sim.wait_sent(1, WAIT)] == ["after"]


def test_a_long_message_does_not_follow_on_and_is_sent_the_usual_way(
    simulator: Callable[..., Simulator], connect: Callable[..., Modem]
) -> None:
    sim = simulator(modems=2)
    modem = connect(sim.modems[0].device)
    to = sim.modems[1].number
    long = modem.prepare(to, "part " * 50)
    assert len(long.parts) == 2
    modem.send_sms(to, "short", then=lambda: long)
    assert not modem.following
    assert modem.send_sms(to, "part " * 50).parts == 2


def test_the_port_stays_held_for_a_follow_on_until_its_answer_is_taken(
    simulator: Callable[..., Simulator], connect: Callable[..., Modem]
) -> None:
    """Another thread's command (a USSD from the web UI, the supervisor's probe) must
    not cut into the message the reader started: it waits for follow_on."""
    sim = simulator(modems=2, latency=0.1, jitter=0.0)
    modem = connect(sim.modems[0].device)
    to = sim.modems[1].number
    follower = modem.prepare(to, "two")
    modem.send_sms(to, "one", then=lambda: follower)
    assert modem.following
    done: list[float] = []

    def probe() -> None:
        modem.signal()
        done.append(time.monotonic())

    other = threading.Thread(target=probe)
    other.start()
    time.sleep(0.3)  # past the second message's answer
    assert done == [], "the other command waited"
    taken = time.monotonic()
    assert modem.follow_on().references
    other.join(WAIT)
    assert done
    assert done[0] >= taken
    assert [m.text for m in sim.wait_sent(2, WAIT)] == ["one", "two"]


def test_inbound_message_is_announced_read_and_deleted(
    simulator: Callable[..., Simulator], connect: Callable[..., Modem], log: EventLog
) -> None:
    sim = simulator()
    modem = connect(sim.modems[0].device)
    sim.modems[0].inject_text("+447700900123", "Is this thing on?")
    stored = log.wait_for(lambda e: isinstance(e, events.NewMessageStored))
    message = modem.read_message(stored.index, stored.storage)
    assert isinstance(message.decoded, Deliver)
    assert message.decoded.text == "Is this thing on?"
    assert message.decoded.sender.number == "+447700900123"
    assert [m.index for m in modem.list_messages()] == [stored.index]
    modem.delete_message(stored.index)
    assert modem.list_messages() == []
    assert modem.storage().used == 0


def test_callbacks_run_on_one_dispatcher_thread(
    simulator: Callable[..., Simulator], connect: Callable[..., Modem], log: EventLog
) -> None:
    sim = simulator()
    connect(sim.modems[0].device, name="m0")
    for n in range(5):
        sim.modems[0].inject_text("+447700900123", f"burst {n}")
    log.wait_for(lambda e: isinstance(e, events.NewMessageStored) and e.index >= 5)
    assert log.threads == {"modem-events-m0"}
    assert sum(isinstance(e, events.NewMessageStored) for e in log.events) == 5


def test_undecodable_stored_pdu_is_returned_raw_with_its_error(
    simulator: Callable[..., Simulator], connect: Callable[..., Modem]
) -> None:
    sim = simulator()
    modem = connect(sim.modems[0].device)
    truncated = encode_deliver("+447700900123", "fine", timestamp=datetime.now(UTC))[0][:-8]
    # As a corrupt SIM would hold it: the network could never deliver this one.
    index = sim.modems[0].sim.stores["SM"].add(Stat.REC_UNREAD, truncated)
    assert index is not None
    message = modem.read_message(index)
    assert message.decoded is None
    assert message.error
    assert message.pdu == truncated
    assert modem.list_messages()[0].pdu == truncated


def test_status_report_is_stored_and_read_back(
    simulator: Callable[..., Simulator], connect: Callable[..., Modem], log: EventLog
) -> None:
    sim = simulator(modems=2, status_report_delay=0.1)
    modem = connect(sim.modems[0].device)
    result = modem.send_sms(sim.modems[1].number, "report please")
    stored = log.wait_for(lambda e: isinstance(e, events.StatusReportStored))
    report = modem.read_message(stored.index, stored.storage).decoded
    assert isinstance(report, StatusReport)
    assert report.message_reference == result.references[0]
    assert report.delivered
    modem.delete_message(stored.index, stored.storage)
    assert modem.list_messages(storage=stored.storage) == []


def test_after_reading_reports_the_sims_own_messages_are_read_from_the_sim(
    simulator: Callable[..., Simulator], connect: Callable[..., Modem], log: EventLog
) -> None:
    """mem1 stays on "SR" after a report (no switch back); the next SM read switches."""
    sim = simulator(modems=2, status_report_delay=0.1)
    modem = connect(sim.modems[0].device)
    modem.send_sms(sim.modems[1].number, "report please")
    stored = log.wait_for(lambda e: isinstance(e, events.StatusReportStored))
    assert stored.storage == "SR"
    modem.read_message(stored.index, stored.storage)
    modem.delete_message(stored.index, stored.storage)
    sim.modems[0].inject_text("+14155550100", "hello SIM")
    arrived = log.wait_for(lambda e: isinstance(e, events.NewMessageStored))
    message = modem.read_message(arrived.index, arrived.storage).decoded
    assert isinstance(message, Deliver)
    assert message.text == "hello SIM"
    assert [m.index for m in modem.list_messages()] == [arrived.index]
    assert modem.storage().name == "SM"


def test_sim800_status_reports_arrive_inline(
    simulator: Callable[..., Simulator], connect: Callable[..., Modem], log: EventLog
) -> None:
    sim = simulator(modems=2, vendor="sim800", status_report_delay=0.1)
    modem = connect(sim.modems[0].device)
    result = modem.send_sms(sim.modems[1].number, "report please")
    incoming = log.wait_for(lambda e: isinstance(e, events.IncomingStatusReport))
    assert isinstance(incoming.decoded, StatusReport)
    assert incoming.decoded.message_reference == result.references[0]


@pytest.mark.parametrize("vendor", sorted(VENDORS))
def test_ussd_answer_is_returned_as_text(
    simulator: Callable[..., Simulator], connect: Callable[..., Modem], vendor: str
) -> None:
    sim = simulator(vendor=vendor)
    modem = connect(sim.modems[0].device)
    answer = modem.ussd("*100#", timeout=5.0)
    assert "balance" in answer.lower()


def test_cms_error_is_classified(
    simulator: Callable[..., Simulator], connect: Callable[..., Modem]
) -> None:
    sim = simulator(modems=2)
    modem = connect(sim.modems[0].device)
    sim.modems[0].fault("cms_error", code=38, count=1)
    with pytest.raises(CmsError) as transient:
        modem.send_sms(sim.modems[1].number, "first")
    sim.modems[0].fault("cms_error", code=21, count=1)
    with pytest.raises(CmsError) as permanent:
        modem.send_sms(sim.modems[1].number, "second")
    assert (transient.value.code, transient.value.retry_class) == (38, RetryClass.TRANSIENT)
    assert (permanent.value.code, permanent.value.retry_class) == (21, RetryClass.PERMANENT)
    assert modem.send_sms(sim.modems[1].number, "third").references


def test_garbage_bytes_are_survived(
    simulator: Callable[..., Simulator], connect: Callable[..., Modem]
) -> None:
    sim = simulator(modems=2)
    modem = connect(sim.modems[0].device)
    for _ in range(5):
        sim.modems[0].fault("garbage", count=200)
    assert modem.signal().rssi >= 0
    assert modem.send_sms(sim.modems[1].number, "still here").references
    assert modem.healthy


def test_hung_modem_times_out_then_recovers(
    simulator: Callable[..., Simulator], connect: Callable[..., Modem], log: EventLog
) -> None:
    sim = simulator(modems=2)
    modem = connect(sim.modems[0].device, command_timeout=0.5, send_timeout=0.5)
    sim.modems[0].fault("hang")
    with pytest.raises(CommandTimeout):
        modem.send_sms(sim.modems[1].number, "into the void")
    log.wait_for(lambda e: isinstance(e, events.ModemLost))
    assert not modem.healthy
    with pytest.raises(TransportError):
        modem.signal()
    sim.modems[0].fault("clear")
    log.wait_for(lambda e: isinstance(e, events.ModemRecovered))
    assert modem.healthy
    assert modem.send_sms(sim.modems[1].number, "back again").references


def test_unplugged_port_is_reopened_when_it_comes_back(
    simulator: Callable[..., Simulator], connect: Callable[..., Modem], log: EventLog
) -> None:
    sim = simulator(modems=2)
    modem = connect(sim.modems[0].device)
    sim.modems[0].fault("unplug")
    lost = log.wait_for(lambda e: isinstance(e, events.ModemLost))
    assert lost.reason
    with pytest.raises(TransportError):
        modem.signal()
    sim.modems[0].fault("replug")
    log.wait_for(lambda e: isinstance(e, events.ModemRecovered))
    assert modem.send_sms(sim.modems[1].number, "replugged").references
    sim.modems[0].inject_text("+447700900123", "after replug")
    log.wait_for(lambda e: isinstance(e, events.NewMessageStored))


def test_pin_locked_sim_without_a_pin_refuses_to_open(
    simulator: Callable[..., Simulator], log: EventLog
) -> None:
    sim = simulator()
    sim.modems[0].fault("sim_pin", pin="4321")
    sim.modems[0].fault("replug")
    modem = Modem(sim.modems[0].device, on_event=log, command_timeout=2.0)
    with pytest.raises(PinRequiredError):
        modem.open()
    with Modem(sim.modems[0].device, pin="4321", command_timeout=2.0) as unlocked:
        assert unlocked.signal().rssi >= 0


def test_spy_url_logs_the_traffic(
    simulator: Callable[..., Simulator],
    connect: Callable[..., Modem],
    capsys: pytest.CaptureFixture[str],
) -> None:
    sim = simulator()
    modem = connect(f"spy://{sim.modems[0].device}")
    assert modem.signal().rssi >= 0
    assert "41 54 2B 43 53 51" in capsys.readouterr().err  # "AT+CSQ" in the hex dump


def test_sim_url_handler_drives_the_same_driver(
    simulator: Callable[..., Simulator], connect: Callable[..., Modem]
) -> None:
    sim = simulator(modems=2)
    modem = connect(f"sim://{sim.modems[0].id}")
    assert modem.send_sms(sim.modems[1].number, "in process").references
