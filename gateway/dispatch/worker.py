"""One worker per modem: it alone talks to its port, and it sends what it may send next.

The loop: handle the modem's events (delivery reports first), make sure the modem is
usable (open, not cooling down, under its caps), wait for a token, take the next
message, send it, note the outcome. While the queue keeps the modem busy, the port's
reader starts the message claimed ahead at each OK, so the modem does not wait for this
thread to wake between sends; the worker then takes that message's result in turn, until
the modem's events (other than status reports, for a while) want it. The database work
goes through the worker's ledger (gateway.dispatch.ledger), whose thread does what the
modem need not wait for: once the modem has one message the next is claimed while the
network takes it (a guarded claim into ``sending`` owned by this node, like any other),
and the outcome of a send is written in the same transaction as the claim after next
(with nothing to claim, on its own after OUTCOME_LINGER_SECONDS). Every wait is on an
Event with a timeout, woken by new work or by the modem's own events. Nothing ends the
loop but a stop: a step that fails (the database down, a fault) is logged, shown in the
modem's health, and followed by a rest.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from drivers.errors import ModemError, PduError
from drivers.modem import NextMessage, Outgoing, SendResult, StoredMessage, events
from drivers.pdu import StatusReport
from gateway.compliance.gate import PolicySource, quiet_until
from gateway.config import Config, ModemSection
from gateway.db import describe, is_transient, log_failure
from gateway.dispatch.bucket import TokenBucket
from gateway.dispatch.caps import SendCaps
from gateway.dispatch.driver import FollowingDriver, ModemDriver, load_driver
from gateway.dispatch.health import HealthRecorder, ModemHealth
from gateway.dispatch.ledger import Ledger
from gateway.dispatch.outcomes import Failed, Outcome, Recorder, Sent
from gateway.dispatch.stored_reports import REPORT_BATCH, SIM_MEMORY, StoredReports
from gateway.errors import ValidationError
from gateway.models import Kind, ModemRecord, UndecodablePdu, utcnow
from gateway.queue import Backoff, Claim, Report, apply_status_reports, normalise_number, release
from gateway.queue.claim import still_claimed, take_next
from gateway.queue.transitions import defer

log = logging.getLogger(__name__)

REOPEN_SECONDS = 5.0
# A wait this long (for a token, or for work) is time enough to read the stored reports.
REPORT_IDLE_SECONDS = 0.05
# How long a send's outcome may wait for the next claim to carry it: a message of a
# close trickle (API requests) then costs one transaction on the ledger instead of two.
# Short, because until it is written a crash leaves the message ``unknown`` (resent, if
# resend_unknown says so, though the network has it): 50 ms saved no more CPU than 10.
OUTCOME_LINGER_SECONDS = 0.01
# How long status reports may wait while a modem sends back to back (see _next_to_follow).
FOLLOW_EVENTS_SECONDS = 1.0
DEFERRED = "quiet hours in the recipient's time zone when its turn came"
# Handed each event the worker does not handle itself, on the worker's thread (so the
# handler may read and delete stored messages through the driver).
EventHandler = Callable[[str, ModemDriver, events.Event], None]
# Takes the inbound texts among the SIM's messages (listed once with AT+CMGL for it and
# for the status reports filed there), on the worker's thread: at open, after a recovery,
# and every inbound.sweep_seconds, for notifications a modem never sent.
SweepHandler = Callable[[str, ModemDriver, list[StoredMessage]], object]


class _Booking:
    """A ledger task submitted once: by the driver when the modem has the message, so the
    database work overlaps the network's time rather than the exchange with the modem
    (on a busy interpreter the two competed for the lock), or by the worker after the
    send when the driver never did. With ``prepare``, the message it claims is encoded
    as soon as it is, on the ledger's thread (see ModemWorker._next_to_follow)."""

    def __init__(
        self,
        ledger: Ledger,
        task: Callable[[Session], Claim | None],
        prepare: Callable[[Claim], Outgoing] | None = None,
    ) -> None:
        self._ledger = ledger
        self._task = task
        self._prepare = prepare
        self._lock = threading.Lock()
        self._future: Future[Claim | None] | None = None
        # The message claimed, encoded; None until then, or if there is none.
        self.prepared: Outgoing | None = None

    def submit(self) -> Future[Claim | None]:
        with self._lock:
            if self._future is None:
                self._future = self._ledger.submit(self._task)
                if self._prepare is not None:
                    self._future.add_done_callback(self._encode)
            return self._future

    def _encode(self, future: Future[Claim | None]) -> None:
        if self._prepare is None or future.exception() is not None:
            return
        claim = future.result()
        if claim is None:
            return
        try:
            self.prepared = self._prepare(claim)
        except PduError:
            return  # sent the usual way, which reports the error


class ModemWorker:
    def __init__(
        self,
        section: ModemSection,
        config: Config,
        sessions: sessionmaker[Session],
        *,
        node: str,
        clock: Callable[[], datetime] = utcnow,
        ticker: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        on_event: EventHandler | None = None,
        on_sweep: SweepHandler | None = None,
        rules: PolicySource | None = None,
    ) -> None:
        self.name = section.name
        # The compliance rules in force, to look at quiet hours again when sending
        # marketing (None: the gate's decision at enqueue stands, as in tests of pacing).
        self._rules = rules
        self._config = config
        self._queue = config.queue
        self._sessions = sessions
        self._node = node
        self._clock = clock
        self._ticker = ticker  # monotonic seconds, for pacing
        self._on_event = on_event
        self._on_sweep = on_sweep
        self._sweep_every = config.inbound.sweep_seconds
        self._next_sweep = 0.0  # ticker time; 0 sweeps at the first chance
        self._takeover_after = timedelta(minutes=config.queue.sticky_takeover_minutes)
        self._bucket = TokenBucket(
            section.rate_per_minute,
            jitter=config.queue.jitter,
            rng=rng or random.Random(),  # noqa: S311 -- pacing jitter, not secrecy
        )
        self._caps = SendCaps(
            section.daily_cap, section.monthly_cap, ZoneInfo(config.gateway.timezone)
        )
        self._health = HealthRecorder(section.name, section.daily_cap)
        self._recorder = Recorder(
            node,
            section.name,
            Backoff.from_config(config.queue),
            self._health,
            resend_unknown=config.gateway.resend_unknown,
        )
        self._events: queue.SimpleQueue[events.Event] = queue.SimpleQueue()
        # Since when events have waited (ticker time), and whether one is not a status
        # report: while either is so, a send does not start the next (_next_to_follow).
        self._events_since: float | None = None
        self._urgent_event = False
        self._wake = threading.Event()
        # Waiting because the last claim found nothing: new work may wake this worker.
        self.idle = False
        # Whether to claim the next message while one is on the air. Worth it while the
        # queue has a backlog (a broadcast, or work found without being woken); with a
        # trickle of single messages (API requests) each such claim found nothing and
        # cost a write transaction, so then only new work since the last claim counts.
        self._flowing = False
        self._woken = 0  # wakes so far
        self._woken_at_claim = 0  # wakes there had been when the last claim was asked for
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._opened = False
        self._reopen_at = 0.0
        self._down_reason: str | None = None
        self._errors_in_row = 0
        self._cooldown_until: datetime | None = None
        # Set while run() runs: the database side, the claim made ahead of time, and the
        # outcomes not yet written (see gateway.dispatch.outcomes).
        self._ledger: Ledger | None = None
        self._ahead: Future[Claim | None] | None = None
        self._unrecorded: list[Outcome] = []
        self._unrecorded_since = 0.0  # ticker time of the oldest
        # A message went out with nothing claimed behind it, and nothing new came since the
        # claim that found it: asking the queue again now would find nothing.
        self._sent_unasked = False
        self.driver: ModemDriver = load_driver(section, self._driver_event)
        self._follower = self.driver if isinstance(self.driver, FollowingDriver) else None
        self._reports = StoredReports(
            self.name, self.driver, self._record_reports, self._keep_raw, ticker
        )

    # -- life cycle ----------------------------------------------------------------------

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self.run, name=f"worker-{self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the send in progress, then close the modem."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._opened:
            self.driver.close()
            self._opened = False

    def wake(self, *, backlog: bool = False) -> None:
        """New work: one message (it may be for us), or with ``backlog`` possibly many."""
        self.idle = False  # taken: the next new message goes to another idle worker
        self._woken += 1
        if backlog:
            self._flowing = True
        self._wake.set()

    def health(self) -> ModemHealth:
        return self._health.snapshot()

    def _driver_event(self, event: events.Event) -> None:
        """Runs on the driver's dispatcher thread: hand over to the worker's thread."""
        if self._events_since is None:
            self._events_since = self._ticker()
        self._events.put(event)
        if not isinstance(event, events.StatusReportStored | events.IncomingStatusReport):
            self._urgent_event = True
        self._wake.set()

    # -- the loop ------------------------------------------------------------------------

    def run(self) -> None:
        """Send until stopped. On the way out the claim made ahead is handed back and every
        outcome is written."""
        self._ledger = Ledger(
            self._sessions, self.name, stopping=self._stopping, on_unavailable=self._show_failure
        )
        try:
            while not self._stopping.is_set():
                try:
                    self._handle_events()
                    wait = self._step()
                except Exception as exc:  # the modem must outlive any one failure
                    wait = self._failed_step(exc)
                if wait is None:
                    continue
                if wait >= REPORT_IDLE_SECONDS:
                    self._reports.read_noted()
                self._wait_for_work(wait)
        finally:
            self._finish()

    def _failed_step(self, exc: Exception) -> float:
        """Log what went wrong and rest before the next step: the database may be back by
        then, and a fault that repeats must not spin. An inbound message that could not
        be stored stays on the SIM (it is deleted only once stored) for the next sweep."""
        log_failure(log, exc, "%s: could not go on", self.name)
        self._show_failure(exc)
        return self._queue.poll_seconds

    def _show_failure(self, exc: Exception) -> None:
        what = "database unavailable: " if is_transient(exc) else ""
        self._health.error(
            f"{self.name}: {what}{describe(exc)}", self._clock(), failed=False, retried=False
        )

    def _finish(self) -> None:
        """On the way out: hand back the claim made ahead and write every outcome. With the
        database down that cannot be done; the rows stay ``sending`` for start-up recovery."""
        assert self._ledger is not None
        try:
            self._hand_back("the worker stopped")
            self._ledger.call(self._write_unrecorded)
            self._reports.delete_recorded(wait=True)
        except Exception as exc:
            log_failure(log, exc, "%s: stopped without writing every outcome", self.name)
        finally:
            self._ledger.close()
            self._ledger = None

    def _step(self) -> float | None:
        """Send one message; else return how long to wait before looking again."""
        self.idle = False
        now = self._clock()
        if not self._ensure_open(now):
            return max(0.0, self._reopen_at - self._ticker())
        if not self.driver.healthy:
            self._set_down("modem not answering", now)
            return self._queue.poll_seconds
        self._sweep_when_due()  # inbound goes on while sending rests or is capped
        if self._cooldown_until is not None:
            if now < self._cooldown_until:
                return (self._cooldown_until - now).total_seconds()
            self._cooldown_until = None
            self._health.update(cooldown_until=None)
        if self._caps.stale(now):
            with self._sessions() as session:
                self._caps.refresh(session, self.name, now)
        capped = self._caps.reached()
        if capped is not None:
            self._set_down(capped, now)
            until = (self._caps.resumes_at() - now).total_seconds()
            return min(self._queue.poll_seconds, max(until, 0.0))
        self._set_up(now)
        delay = self._bucket.delay(self._ticker())
        if delay > 0:
            return delay
        claim = self._next_claim()
        if claim is None:
            return self._queue.poll_seconds
        self._send(claim)
        return None

    def _sweep_when_due(self) -> None:
        if self._ticker() < self._next_sweep:
            return
        self._next_sweep = self._ticker() + self._sweep_every
        try:
            sim_messages = self.driver.list_messages(storage=SIM_MEMORY)
            if self._on_sweep is not None:
                self._on_sweep(self.name, self.driver, sim_messages)
            self._reports.sweep(sim_messages)
        except ModemError as exc:
            log.warning("%s: could not list the SIM's messages: %s", self.name, exc)

    def _next_claim(self) -> Claim | None:
        """The claim made ahead if there is one, else one made now.

        An empty claim made ahead is believed unless new work was committed since (asking
        again at once would find nothing too), and so is the claim that found the message
        just sent: work committed on this node since would have woken a worker (the
        dispatcher wakes busy ones when none is idle), and other nodes' work is found by
        the periodic look. Outcomes not yet written go in the same transaction as the claim.
        """
        assert self._ledger is not None
        ahead, self._ahead = self._ahead, None
        sent_unasked, self._sent_unasked = self._sent_unasked, False
        if ahead is not None:
            claim = ahead.result()
            if claim is not None or self._woken == self._woken_at_claim:
                self._flowing = claim is not None
                self.idle = claim is None
                return claim
        woken = self._woken != self._woken_at_claim
        if sent_unasked and not woken and not self._flowing:
            self.idle = True
            return None
        self._woken_at_claim = self._woken
        # Idle from before the claim: work committed while it runs still wakes us.
        self.idle = True
        claim = self._ledger.call(self._book(claim_next=True))
        self.idle = claim is None
        if claim is not None and not woken:
            self._flowing = True  # found without being told: a backlog
        return claim

    def _send(self, claim: Claim) -> None:
        """Send ``claim``. With a driver that can, the message claimed meanwhile starts
        at the OK (see _next_to_follow); its result is then taken here too, and so on
        while the queue keeps the modem busy and nothing else needs the worker."""
        assert self._ledger is not None
        following = False
        while True:
            started = self._ticker()
            self._bucket.take(claim.segments, started)
            # Claim the next message while this one is on the air, when the modem will be
            # free to send it by then; a rate-bound modem claims when its token is due,
            # so it does not hold on to a message another modem could send now.
            expected = self._health.snapshot().average_latency or 0.0
            wanted = self._flowing or self._woken != self._woken_at_claim
            ahead = self._bucket.delay(started) <= expected and wanted
            ahead = ahead and self._cooldown_until is None
            if ahead:
                self._woken_at_claim = self._woken
            # Whether the message claimed ahead may start at this one's OK, as far as
            # this worker's state says (the rest is asked at the OK: _next_to_follow).
            follow = (
                ahead
                and self._follower is not None
                and not self._caps.stale(self._clock())
                and self._caps.allow(claim.segments + 1)
            )
            booking = None
            if ahead or self._unrecorded:
                prepare = self._prepare if follow else None
                booking = _Booking(self._ledger, self._book(claim_next=ahead), prepare)
            then = partial(self._next_to_follow, booking) if follow and booking else None
            result: SendResult | ModemError
            try:
                result = self._transmit(claim, booking, then, following=following)
            except ModemError as exc:
                result = exc
            finally:
                if booking is not None:
                    future = booking.submit()  # unless the driver did, once the modem had it
                    if ahead:
                        self._ahead = future
            following = self._follower is not None and self._follower.following
            if not following:
                self._settle(claim, result, started)
                return
            followed = self._take_ahead()
            try:
                self._settle(claim, result, started)
            except Exception as exc:  # the message on the air is taken in any case
                log_failure(log, exc, "%s: could not note message %d", self.name, claim.id)
            claim = followed

    def _transmit(
        self,
        claim: Claim,
        booking: _Booking | None,
        then: NextMessage | None,
        *,
        following: bool,
    ) -> SendResult:
        """Hand ``claim`` to the modem, or with ``following`` take the result of it, which
        the driver started at the last OK; ``then`` may start the next."""
        on_submitted = None if booking is None else booking.submit
        if following:
            assert self._follower is not None
            return self._follower.follow_on(on_submitted=on_submitted, then=then)
        if then is not None:
            assert self._follower is not None
            return self._follower.send_sms(
                claim.peer, claim.body, on_submitted=on_submitted, then=then
            )
        return self.driver.send_sms(claim.peer, claim.body, on_submitted=on_submitted)

    def _take_ahead(self) -> Claim:
        """The claim made ahead, which the driver has started: it is this worker's now."""
        ahead, self._ahead = self._ahead, None
        assert ahead is not None
        claim = ahead.result()
        assert claim is not None
        return claim

    def _prepare(self, claim: Claim) -> Outgoing:
        assert self._follower is not None
        return self._follower.prepare(claim.peer, claim.body)

    def _next_to_follow(self, booking: _Booking) -> Outgoing | None:
        """Asked on the port's reader thread at a send's OK, while this worker waits for
        that answer: the message claimed ahead, encoded, if the worker would send it at
        once anyway (the driver starts only a single-part one). The caps and a cool-down
        were looked at before the send.

        Not when the modem's events want the worker: at once for any but status reports,
        which wait for a batch or for FOLLOW_EVENTS_SECONDS (a report waiting on the SIM
        keeps a place in its small memory).
        """
        prepared = booking.prepared
        if prepared is None:
            return None
        now = self._ticker()
        events_since = self._events_since
        if (
            self._stopping.is_set()
            or self._urgent_event
            or self._events.qsize() >= REPORT_BATCH
            or (events_since is not None and now - events_since >= FOLLOW_EVENTS_SECONDS)
            or self._reports.due()
            or now >= self._next_sweep
            or self._bucket.delay(now) > 0
        ):
            return None
        return prepared

    def _settle(self, claim: Claim, result: SendResult | ModemError, started: float) -> None:
        """Note the outcome of a send, for the ledger to write."""
        if isinstance(result, ModemError):
            self._note(Failed(claim, result, self._clock()))
            self._after_error(claim, result)
            return
        finished = self._ticker()
        self._note(Sent(claim, result, self._clock()))
        self._sent_unasked = self._ahead is None
        self._caps.add(result.parts)
        self._errors_in_row = 0
        self._health.sent(result.parts, finished - started, self._caps.today)

    def _note(self, outcome: Outcome) -> None:
        if not self._unrecorded:
            self._unrecorded_since = self._ticker()
        self._unrecorded.append(outcome)

    def _wait_for_work(self, wait: float) -> None:
        """Wait up to ``wait`` seconds for new work or the modem's events.

        Outcomes not written yet wait up to OUTCOME_LINGER_SECONDS for new work, whose
        claim carries them; then they are written on their own.
        """
        linger = self._unrecorded_since + OUTCOME_LINGER_SECONDS - self._ticker()
        if self._unrecorded and linger < wait:
            if linger > 0:
                if self._wake.wait(linger):
                    self._wake.clear()
                    return
                wait -= linger
            self._write_soon()
        self._wake.wait(wait)
        self._wake.clear()

    def _book(self, *, claim_next: bool) -> Callable[[Session], Claim | None]:
        """A ledger task: write the outcomes noted so far, then claim if asked.

        The ledger runs a task again when its transaction failed, and a commit whose
        answer was lost may have landed: then the outcomes are on record already, and
        the claim made is kept rather than stranded in ``sending`` while another is made.
        """
        outcomes, self._unrecorded = self._unrecorded, []
        runs = 0
        made: Claim | None = None  # by the last run, whose commit may have landed

        def task(session: Session) -> Claim | None:
            nonlocal runs, made
            runs += 1
            for outcome in outcomes:
                if not self._recorder.record(session, outcome):
                    self._log_refused(outcome, again=runs > 1)
            if not claim_next:
                return None
            if made is not None and still_claimed(session, made, node=self._node):
                return made
            made = self._claim(session)
            return made

        return task

    def _log_refused(self, outcome: Outcome, *, again: bool) -> None:
        if again:
            log.info(
                "%s: message %d: outcome on record already (the commit that wrote it lost"
                " its answer), or taken over meanwhile",
                self.name,
                outcome.claim.id,
            )
        else:
            log.warning(
                "%s: message %d was taken over while it was being sent",
                self.name,
                outcome.claim.id,
            )

    def _claim(self, session: Session) -> Claim | None:
        """The next message that may go now; marketing that reached the front of the queue
        inside its recipient's quiet hours is scheduled for their morning instead."""
        while True:
            now = self._clock()
            claim = take_next(
                session, self.name, now, node=self._node, takeover_after=self._takeover_after
            )
            if claim is None or claim.kind != Kind.MARKETING or self._rules is None:
                return claim
            until = quiet_until(session, claim.peer, now, policy=self._rules(session))
            if until is None:
                return claim
            defer(session, claim.id, node=self._node, until=until, reason=DEFERRED)

    def _write_soon(self) -> None:
        """Write the outcomes noted so far without waiting (the modem is not busy)."""
        if self._unrecorded and self._ledger is not None:
            self._ledger.submit(self._book(claim_next=False))

    def _write_unrecorded(self, session: Session) -> None:
        self._book(claim_next=False)(session)

    def _hand_back(self, reason: str) -> None:
        """Return the claim made ahead to the queue: this modem cannot send it now."""
        ahead, self._ahead = self._ahead, None
        claim = ahead.result() if ahead is not None else None
        if claim is not None and self._ledger is not None:
            text = f"{self.name}: handed back: {reason}"
            self._ledger.call(
                lambda session: release(session, claim.id, node=self._node, error=text)
            )

    def _after_error(self, claim: Claim, exc: ModemError) -> None:
        log.info("%s: message %d: %s", self.name, claim.id, exc)
        self._errors_in_row += 1
        if self._errors_in_row >= self._queue.cooldown_after_errors:
            self._errors_in_row = 0
            self._cooldown_until = self._clock() + timedelta(seconds=self._queue.cooldown_seconds)
            log.warning("%s: %s; resting until %s", self.name, exc, self._cooldown_until)
            self._hand_back(f"resting after errors until {self._cooldown_until}")
            self._health.update(cooldown_until=self._cooldown_until)
            self._save_record(cooldown_until=self._cooldown_until, last_error=f"{self.name}: {exc}")

    # -- the modem's state, shared through the modems table ------------------------------

    def _ensure_open(self, now: datetime) -> bool:
        if self._opened:
            return True
        if self._ticker() < self._reopen_at:
            return False
        try:
            self.driver.open()
            identity = self.driver.identity()
        except ModemError as exc:
            self.driver.close()
            self._reopen_at = self._ticker() + REOPEN_SECONDS
            self._health.error(f"{self.name}: {exc}", now, failed=False, retried=False)
            self._set_down(f"cannot open: {exc}", now)
            return False
        self._opened = True
        self._next_sweep = 0.0  # what arrived while the port was closed
        with self._sessions() as session:
            record = session.get(ModemRecord, self.name) or ModemRecord(name=self.name)
            record.node = self._node
            record.manufacturer = identity.manufacturer
            record.model = identity.model
            record.imei = identity.imei
            record.iccid = identity.iccid
            record.number = identity.number
            record.last_seen_at = now
            session.add(record)
            session.commit()
        self._health.update(connected=True)
        return True

    def _set_down(self, reason: str, now: datetime) -> None:
        self._hand_back(reason)
        if self._down_reason == reason:
            return
        first = self._down_reason is None
        self._down_reason = reason
        self._health.update(connected=self._opened and self.driver.healthy, down_reason=reason)
        log.warning("%s: cannot send: %s", self.name, reason)
        values: dict[str, object] = {"last_error": reason}
        if first:
            values["down_since"] = now
        self._save_record(**values)

    def _set_up(self, now: datetime) -> None:
        if self._down_reason is None:
            return
        self._down_reason = None
        self._health.update(connected=True, down_reason=None)
        log.info("%s: sending again", self.name)
        self._save_record(down_since=None, last_seen_at=now)

    def _save_record(self, **values: object) -> None:
        with self._sessions() as session:
            found = session.execute(
                update(ModemRecord).where(ModemRecord.name == self.name).values(**values)
            )
            if not found.rowcount:  # type: ignore[attr-defined]
                session.add(ModemRecord(name=self.name, node=self._node, **values))
            session.commit()

    # -- events --------------------------------------------------------------------------

    def _handle_events(self) -> None:
        self._events_since = None
        self._urgent_event = False
        self._reports.delete_recorded()
        arrived: list[StatusReport] = []  # sent whole (+CDS): recorded together
        try:
            while True:
                try:
                    event = self._events.get_nowait()
                except queue.Empty:
                    break
                try:
                    self._handle(event, arrived)
                except ModemError as exc:
                    log.warning("%s: could not handle %s: %s", self.name, type(event).__name__, exc)
        finally:
            # Even when an event's handler failed: these reports exist nowhere else.
            if arrived:
                self._record_reports(arrived)
        if self._reports.due():
            self._reports.read_noted()

    def _handle(self, event: events.Event, arrived: list[StatusReport]) -> None:
        if isinstance(event, events.IncomingStatusReport):
            if event.decoded is not None:
                arrived.append(event.decoded)
        elif isinstance(event, events.StatusReportStored):
            self._reports.note(event.index, event.storage)
        elif isinstance(event, events.ModemLost):
            self._set_down(event.reason, self._clock())
        elif isinstance(event, events.ModemRecovered):
            self._next_sweep = 0.0  # what arrived while it was not answering
            self._set_up(self._clock())
        elif self._on_event is not None:
            self._on_event(self.name, self.driver, event)

    def _matchable(self, report: StatusReport) -> Report:
        try:
            recipient = normalise_number(
                report.recipient.number, self._config.gateway.default_region
            )
        except ValidationError:
            recipient = report.recipient.number
        return Report(
            self.name,
            report.message_reference,
            recipient,
            report.status,
            report.delivered,
            report.final,
        )

    def _record_reports(self, reports: list[StatusReport]) -> Future[list[int | None]]:
        """Record ``reports`` on the ledger thread in one transaction, after the outcomes
        noted before them (written first, so the sends they are about are on record)."""
        matchable = [self._matchable(report) for report in reports]
        window = timedelta(hours=self._queue.report_window_hours)
        assert self._ledger is not None
        self._write_soon()
        recorded = self._ledger.submit(
            lambda session: apply_status_reports(
                session, matchable, now=self._clock(), window=window
            )
        )
        recorded.add_done_callback(lambda done: self._log_unmatched(done, matchable))
        return recorded

    def _keep_raw(self, pdu: str, error: str) -> Future[None]:
        """Keep a stored report the codec cannot read, as inbound PDUs are (on the ledger
        thread, in order with the rest)."""
        assert self._ledger is not None
        received = UndecodablePdu(modem=self.name, pdu=pdu, error=error, received_at=self._clock())
        return self._ledger.submit(lambda session: session.add(received))

    def _log_unmatched(self, recorded: Future[list[int | None]], reports: list[Report]) -> None:
        if recorded.exception() is not None:
            return
        for report, settled in zip(reports, recorded.result(), strict=True):
            if settled is None:
                log.info(
                    "%s: status report for reference %d matches no message",
                    self.name,
                    report.reference,
                )
