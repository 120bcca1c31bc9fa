"""One serial port: a reader thread that owns reading, and a lock that owns writing.

Follows pyserial's ``threaded.ReaderThread``: the reader does ``read(in_waiting or 1)``
and feeds the sans-I/O :class:`~drivers.at.ATConnection`; responses wake the command
waiting under the lock, unsolicited lines go to ``on_urc`` (which must only queue them:
it runs on the reader thread). ``serial.SerialException`` is translated here, once, into
:class:`~drivers.errors.TransportError`.

A send is written by the reader too where no thread need wake for it: the PDU at the
prompt, and, when the sender asks for it, the next send's ``AT+CMGS`` at the OK (its
sender then takes that answer with :meth:`Port.follow`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import serial

from drivers.at import ATConnection, FinalResult, InfoLine, Prompt, Unsolicited
from drivers.at.events import NEED_DATA
from drivers.errors import CommandTimeout, PortBusy, RetryClass, TransportError, command_error

log = logging.getLogger(__name__)

# How long one read may block, so the reader notices a close without cancel_read support.
READ_TIMEOUT = 0.2
# Silence that ends the wait for a late answer after a timeout (see ``Port._drain``).
QUIET = 0.2
# Called once a PDU is written; what it returns is ignored.
OnWritten = Callable[[], object]


@dataclass(frozen=True)
class Submission:
    """A send as the port writes it: ``AT+CMGS=<n>``, then at the prompt the PDU."""

    command: str
    pdu: str


# Asked by the reader at a send's OK, on the reader thread: the send to start at once, if
# any. It must return at once and must not use the port.
FollowWith = Callable[[], Submission | None]
# Failures a port raises when it is unplugged or closed underneath a read/write.
_PORT_ERRORS = (serial.SerialException, OSError, TypeError, AttributeError, ValueError)


class Port:
    """A modem's AT port: open/close, one command in flight, URCs handed off."""

    def __init__(
        self,
        url: str,
        *,
        baudrate: int,
        on_urc: Callable[[Unsolicited], None],
        on_lost: Callable[[str], None],
        name: str = "",
    ) -> None:
        self.url = url
        self.name = name or url
        self._baudrate = baudrate
        self._on_urc = on_urc
        self._on_lost = on_lost
        self._lock = threading.RLock()  # one command (or one send transaction) at a time
        self._cond = threading.Condition()  # guards the engine and the response queue
        self._serial: Any = None
        self._conn = ATConnection()
        self._responses: deque[InfoLine | FinalResult | Prompt] = deque()
        self._reader: threading.Thread | None = None
        self._lost: str | None = None
        self._stopping = threading.Event()
        self._dirty = False  # a command timed out: its late answer may still come
        self._last_rx = 0.0  # monotonic time of the last bytes read
        # The PDU of the send waiting for its prompt: the reader writes it the moment the
        # prompt is parsed, rather than waking the sending thread to do it (a thread
        # switch that cost more than the modem's own answer), with what to call once it
        # is written. Guarded by _cond.
        self._on_prompt: tuple[str, OnWritten | None] | None = None
        # Who to ask at the OK of the send in progress for the next send, which the
        # reader then starts itself: the next message goes out without waiting for the
        # sending thread to wake and look (``then`` of :meth:`submit`). Set by the sender
        # (_then), armed by the reader once the PDU is written (_armed). Guarded by _cond.
        self._then: FollowWith | None = None
        self._armed: FollowWith | None = None
        # The command of the send the reader started so, until its answer is awaited.
        self._followed: str | None = None
        self._waiting = 0  # threads waiting for _lock (see _acquire); guarded by _cond

    @property
    def is_open(self) -> bool:
        return self._serial is not None and self._lost is None

    def open(self) -> None:
        """Open the URL (device path, ``socket://``, ``rfc2217://``, ``spy://``...)."""
        try:
            # exclusive: a second process (another gateway, ModemManager, a terminal)
            # on the same tty would steal answers; the OS lock refuses it instead.
            port = serial.serial_for_url(
                self.url, baudrate=self._baudrate, timeout=READ_TIMEOUT, exclusive=True
            )
        except _PORT_ERRORS as exc:
            # pyserial has no exception type of its own for a held lock, only this text.
            error = PortBusy if "exclusively lock" in str(exc) else TransportError
            raise error(f"{self.name}: cannot open {self.url}: {exc}") from exc
        with self._cond:
            self._serial = port
            self._conn = ATConnection()
            self._responses.clear()
            self._lost = None
            self._dirty = False
            self._then = self._armed = None
            self._followed = None
        self._stopping.clear()
        self._reader = threading.Thread(
            target=self._read_loop, args=(port,), name=f"at-reader-{self.name}", daemon=True
        )
        self._reader.start()

    def close(self) -> None:
        """Stop the reader and close the port; safe to call twice."""
        self._stopping.set()
        port, self._serial = self._serial, None
        if self._reader is not None and self._reader is not threading.current_thread():
            self._reader.join(timeout=2 * READ_TIMEOUT + 1)
        self._reader = None
        if port is not None:
            try:
                port.close()
            except _PORT_ERRORS as exc:
                log.debug("%s: error while closing: %s", self.name, exc)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the port for several commands that must not interleave with others."""
        with self._held():
            yield

    def command(self, command: str, timeout: float) -> list[InfoLine]:
        """Run one command; its information lines on OK, else raise.

        Raises CommandError (ERROR/+CME/+CMS), CommandTimeout or TransportError.
        """
        with self._held():
            self._resync_if_dirty()
            self._start(command)
            return self._await(command, timeout)

    def submit(
        self,
        command: str,
        pdu: str,
        timeout: float,
        on_written: OnWritten | None = None,
        then: FollowWith | None = None,
    ) -> list[InfoLine]:
        """``AT+CMGS=<n>``, wait for ``> ``, then the PDU and Ctrl-Z: one locked transaction.

        A timeout or a lost port before the prompt means the modem never had the message;
        after the PDU was written it may have sent it, and the error says so
        (:attr:`RetryClass.UNKNOWN`). ``on_written`` runs on the reader thread once the
        PDU is written, while the network takes the message: it must return at once.

        ``then`` is asked at this send's OK for the next send, which the reader starts
        at once. If it does (:attr:`following`), the port stays held for this thread
        until :meth:`follow` has taken that send's answer; the caller must call it. Not
        while another thread waits for the port: it gets the port after this send.
        """
        with self._held():
            self._resync_if_dirty()
            with self._cond:
                self._on_prompt = (pdu, on_written)
                self._then = then
            return self._await_send(command, timeout, start=True)

    @property
    def following(self) -> bool:
        """Whether the reader started the next send at the last send's OK."""
        return self._followed is not None

    def follow(
        self,
        timeout: float,
        on_written: OnWritten | None = None,
        then: FollowWith | None = None,
    ) -> list[InfoLine]:
        """The answer of the send the reader started (see :meth:`submit`), as ``submit``
        gives it, with ``on_written`` and ``then`` as there (``on_written`` runs at once
        if the PDU is written already). Lets go of the port held for it."""
        written = False
        with self._cond:
            command, self._followed = self._followed, None
            if command is None:
                raise RuntimeError(f"{self.name}: no send was started to follow")
            if self._on_prompt is not None:
                self._on_prompt = (self._on_prompt[0], on_written)
                self._then = then  # armed at the prompt, as in submit()
            else:
                written = True
                if not any(isinstance(event, FinalResult) for event in self._responses):
                    self._armed = then  # past the prompt already, not yet answered
        try:
            if written:
                self._written(on_written)
            return self._await_send(command, timeout)
        finally:
            self._lock.release()

    def _await_send(self, command: str, timeout: float, *, start: bool = False) -> list[InfoLine]:
        try:
            if start:
                self._start(command)
            return self._await(command, timeout, sending=True)
        finally:
            with self._cond:
                self._then = self._armed = None
                following = self._followed is not None
                if not following:  # else the PDU waiting is the next send's
                    self._on_prompt = None
            if following:
                self._lock.acquire()  # held for the next send until follow() takes it

    def resync(self, attempts: int = 3, timeout: float = 1.0, *, wait: bool = True) -> bool:
        """Leave any prompt (ESC) and send ``AT`` until the modem answers ``OK``.

        With ``wait=False`` a port busy with another command counts as answering.
        """
        if wait:
            self._acquire()
        elif not self._lock.acquire(blocking=False):
            return True
        try:
            for _ in range(attempts):
                with self._cond:
                    escape = self._conn.cancel()
                self._write(escape)
                self._drain(timeout)
                try:
                    self._start("AT")
                    self._await("AT", timeout)
                except CommandTimeout:
                    continue
                except TransportError:
                    raise
                except Exception as exc:  # an ERROR answer still proves it is alive
                    log.debug("%s: resync answered %s", self.name, exc)
                self._dirty = False
                return True
            return False
        finally:
            self._lock.release()

    def _drain(self, limit: float) -> None:
        """Let a late answer to an abandoned command arrive and drop it.

        Waits until the line has been quiet for ``QUIET`` seconds (at most ``limit``), so
        the late ``OK`` of a timed-out command is not taken for the probe's answer.
        """
        deadline = time.monotonic() + limit
        with self._cond:
            while True:
                now = time.monotonic()
                quiet_until = self._last_rx + QUIET
                if now >= quiet_until or now >= deadline:
                    break
                self._cond.wait(min(quiet_until, deadline) - now)
            self._responses.clear()

    def write_raw(self, data: bytes) -> None:
        """Bytes that are not a command (a reset poke): nothing waits for an answer."""
        with self._held():
            self._write(data)

    @contextmanager
    def _held(self) -> Iterator[None]:
        self._acquire()
        try:
            yield
        finally:
            self._lock.release()

    def _acquire(self) -> None:
        """Take the port; while it waits for another thread, say so (_waiting): a send
        then starts no next one at its OK, so the wait ends with that send."""
        if self._lock.acquire(blocking=False):
            return
        with self._cond:
            self._waiting += 1
        try:
            self._lock.acquire()
        finally:
            with self._cond:
                self._waiting -= 1

    def _resync_if_dirty(self) -> None:
        if self._dirty and not self.resync():
            raise CommandTimeout("AT", 1.0)

    def _start(self, command: str) -> None:
        with self._cond:
            self._check_open()
            self._responses.clear()
            data = self._conn.send(command)
        self._write(data)

    def _await(self, command: str, timeout: float, *, sending: bool = False) -> list[InfoLine]:
        """The information lines of ``command``'s answer, once its final result says OK.

        ``sending``: the answer of ``AT+CMGS``, which comes after a prompt at which the
        reader writes the PDU; only the final result wakes this thread. Before the prompt
        a timeout or a lost port means the modem never had the message; after it, that
        the modem may have sent it (:attr:`RetryClass.UNKNOWN`).
        """
        deadline = time.monotonic() + timeout
        infos: list[InfoLine] = []
        prompted = False
        with self._cond:
            while True:
                while self._responses:
                    event = self._responses.popleft()
                    if isinstance(event, InfoLine):
                        infos.append(event)
                    elif isinstance(event, FinalResult):
                        if event.ok and sending and not prompted:
                            raise TransportError(f"{self.name}: {command!r} ended without a prompt")
                        if event.ok:
                            return infos
                        raise command_error(command, event.kind, event.code, event.text)
                    elif sending and not prompted:  # the network's time runs from here
                        prompted = True
                        deadline = self._last_rx + timeout
                try:
                    self._check_open()
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        self._dirty = True
                        # Decided under the lock the reader takes to write the PDU: a
                        # prompt arriving now finds none, so this send was never sent;
                        # nor does a late OK start the next one.
                        self._on_prompt = None
                        self._then = self._armed = None
                        raise CommandTimeout(command, timeout)
                except (CommandTimeout, TransportError) as exc:
                    if prompted:
                        exc.retry_class = RetryClass.UNKNOWN
                    raise
                self._cond.wait(remaining)

    def _check_open(self) -> None:
        if self._lost is not None:
            raise TransportError(f"{self.name}: port lost: {self._lost}")
        if self._serial is None:
            raise TransportError(f"{self.name}: port is not open")

    def _write(self, data: bytes) -> None:
        port = self._serial
        if port is None:
            raise TransportError(f"{self.name}: port is not open")
        try:
            port.write(data)
        except _PORT_ERRORS as exc:
            self._mark_lost(f"write failed: {exc}")
            raise TransportError(f"{self.name}: write failed: {exc}") from exc

    def _read_loop(self, port: Any) -> None:
        while not self._stopping.is_set():
            try:
                data = port.read(port.in_waiting or 1)
                # Woken by the first byte: what came with it is taken in the same pass,
                # so one answer is parsed once and its waiter woken once.
                if data and (rest := port.in_waiting):
                    data += port.read(rest)
            except _PORT_ERRORS as exc:
                if not self._stopping.is_set():
                    self._mark_lost(f"read failed: {exc}")
                return
            if data:
                self._feed(data)

    def _feed(self, data: bytes) -> None:
        urcs: list[Unsolicited] = []
        pdu: bytes | None = None
        on_written: OnWritten | None = None
        with self._cond:
            self._last_rx = time.monotonic()
            self._conn.receive_data(data)
            answered = False
            while (event := self._conn.next_event()) is not NEED_DATA:
                if isinstance(event, Unsolicited):
                    urcs.append(event)
                    continue
                self._responses.append(event)
                if isinstance(event, FinalResult):
                    command = self._start_next(event)
                    if command is not None:
                        # Before the waiter wakes: its thread would take the CPU first.
                        with suppress(TransportError):  # marked lost: the follower sees it
                            self._write(command)
                    answered = True
                elif isinstance(event, Prompt) and self._on_prompt is not None:
                    pdu_hex, on_written = self._on_prompt
                    pdu = self._conn.send_pdu(pdu_hex)
                    self._on_prompt = None
                    self._armed, self._then = self._then, None
            # Only a final result wakes the command's thread: waking it for an information
            # line or for the prompt (whose PDU the reader writes itself) costs a thread
            # switch for nothing (a drain times its own waits).
            if answered:
                self._cond.notify_all()
        if pdu is not None:
            self._write_pdu(pdu, on_written)
        for urc in urcs:
            self._on_urc(urc)

    def _start_next(self, result: FinalResult) -> bytes | None:
        """At a send's final result, under _cond: start the next send if it said OK and
        its sender wants one; the bytes to write."""
        then, self._armed = self._armed, None
        if then is None or not result.ok or self._waiting:
            return None
        try:
            submission = then()
        except Exception:  # the reader must go on reading whatever the caller did
            log.exception("%s: choosing the next send failed", self.name)
            return None
        if submission is None:
            return None
        self._followed = submission.command
        self._on_prompt = (submission.pdu, None)  # follow() gives its on_written
        return self._conn.send(submission.command)

    def _write_pdu(self, pdu: bytes, on_written: OnWritten | None) -> None:
        # The sender holds the command lock until its answer, so nothing else writes;
        # a failed write marks the port lost, which the waiting sender sees.
        try:
            self._write(pdu)
        except TransportError:
            return
        self._written(on_written)

    def _written(self, on_written: OnWritten | None) -> None:
        """Call what waits for a PDU to be written; its failure is the caller's, and
        neither the reader nor a port held for a send may be left behind by it."""
        if on_written is not None:
            try:
                on_written()
            except Exception:
                log.exception("%s: the callback after writing a PDU failed", self.name)

    def _mark_lost(self, reason: str) -> None:
        with self._cond:
            first = self._lost is None
            self._lost = reason
            self._cond.notify_all()
        if first:
            log.warning("%s: %s", self.name, reason)
            self._on_lost(reason)
