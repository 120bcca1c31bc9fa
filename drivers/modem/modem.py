"""The serial modem driver: the public :class:`Modem` the gateway talks to.

Threads: the port's reader thread (reads, parses, queues URCs), the dispatcher thread
(calls ``on_event``), and a supervisor thread that reopens an unplugged port and resets a
modem that stops answering. Callers' threads run commands, one at a time, under the
port's lock.
"""

from __future__ import annotations

import logging
import queue
import re
import secrets
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from types import TracebackType
from typing import Self

from drivers.at import InfoLine, Unsolicited
from drivers.errors import (
    ATProtocolError,
    CmeError,
    CommandError,
    CommandTimeout,
    ModemError,
    PduError,
    PinRequiredError,
    TransportError,
    command_error,
)
from drivers.modem import events, responses
from drivers.modem.dispatcher import Dispatcher
from drivers.modem.port import FollowWith, Port, Submission
from drivers.modem.results import (
    Identity,
    NextMessage,
    Outgoing,
    Registration,
    SendResult,
    Signal,
    Storage,
    StoredMessage,
)
from drivers.pdu import SubmitPart, decode, encode_submit
from drivers.profiles import GENERIC, VendorProfile, profile_for

log = logging.getLogger(__name__)

# Errors that mean "not ready yet, ask again shortly" during set-up.
_NOT_READY_CME = frozenset({14, 515})
_NOT_READY_CMS = frozenset({314, 500, 512, 513, 514, 515})
# +CME codes that mean the SIM wants a PIN/PUK.
_PIN_CME = {11: "SIM PIN", 12: "SIM PUK", 17: "SIM PIN2", 18: "SIM PUK2"}
_USSD_CODE = re.compile(r"[0-9*#+]{1,160}")
# The memory messages arrive in and are read from unless an operation names another.
HOME_STORAGE = "SM"


class Modem:
    """One GSM modem on a serial port (or any ``serial_for_url`` URL)."""

    def __init__(
        self,
        url: str,
        *,
        pin: str | None = None,
        baudrate: int = 115200,
        name: str = "",
        on_event: Callable[[events.Event], None] | None = None,
        command_timeout: float = 10.0,
        send_timeout: float = 60.0,
        reconnect_interval: float = 2.0,
        health_interval: float = 60.0,
    ) -> None:
        self.url = url
        self.name = name or url
        self.command_timeout = command_timeout
        self.send_timeout = send_timeout
        self.reconnect_interval = reconnect_interval
        self.health_interval = health_interval
        self.profile: VendorProfile = GENERIC
        self.healthy = False
        self.last_error: ModemError | None = None
        self._pin = pin
        self._dispatcher = Dispatcher(on_event, self.name)
        self._port = Port(
            url, baudrate=baudrate, on_urc=self._on_urc, on_lost=self._on_lost, name=self.name
        )
        self._closed = threading.Event()
        self._wake = threading.Event()  # the supervisor has something to look at
        self._suspect = False  # a command timed out: is the modem still there?
        self._supervisor: threading.Thread | None = None
        self._ussd_lock = threading.Lock()
        self._ussd_waiter: queue.Queue[Unsolicited] | None = None
        self._concat_reference = secrets.randbelow(256)
        self._read_storage: str | None = None
        self._followed: SubmitPart | None = None  # the part the port started at an OK

    # -- life cycle -------------------------------------------------------------------

    def open(self) -> None:
        """Open the port and initialise the modem; raises if either fails."""
        self._closed.clear()
        self._port.open()
        try:
            self._initialise()
        except BaseException:
            self._port.close()
            raise
        self.healthy = True
        self._dispatcher.start()
        self._supervisor = threading.Thread(
            target=self._supervise, name=f"modem-supervisor-{self.name}", daemon=True
        )
        self._supervisor.start()

    def close(self) -> None:
        """Stop every thread and close the port."""
        self._closed.set()
        self._wake.set()
        if self._supervisor is not None:
            self._supervisor.join(timeout=10)
            self._supervisor = None
        self._port.close()
        self._dispatcher.stop()
        self.healthy = False

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- queries ----------------------------------------------------------------------

    def identity(self) -> Identity:
        """Manufacturer, model, revision, IMEI, IMSI, ICCID and own number (if known)."""
        manufacturer = responses.identity_value(self._optional("AT+CGMI", "AT+GMI"))
        model = responses.identity_value(self._optional("AT+CGMM", "AT+GMM"))
        revision = responses.identity_value(self._optional("AT+CGMR", "AT+GMR"))
        imei = responses.digits_value(self._optional("AT+CGSN", "AT+GSN"))
        imsi = responses.digits_value(self._optional("AT+CIMI"))
        iccid = responses.digits_value(self._optional(*self.profile.iccid_commands))
        number = responses.own_number(self._optional("AT+CNUM"))
        return Identity(manufacturer, model, revision, imei, imsi, iccid, number)

    def signal(self) -> Signal:
        """Signal quality (``AT+CSQ``)."""
        result = responses.signal(self._lines("AT+CSQ"))
        if result is None:
            raise ATProtocolError(f"{self.name}: no +CSQ answer")
        return result

    def registration(self) -> Registration:
        """Registration on the network (``+CREG``, else ``+CEREG``) and the operator."""
        operator = self._optional("AT+COPS?")
        found = responses.registration(self._lines("AT+CREG?"), operator)
        if found is None or not found.registered:
            lte = responses.registration(self._optional("AT+CEREG?"), operator)
            found = lte if lte is not None and (found is None or lte.registered) else found
        if found is None:
            raise ATProtocolError(f"{self.name}: no +CREG answer")
        return found

    def storage(self) -> Storage:
        """How full the message storage is (``AT+CPMS?``, with mem1 on the SIM's own)."""
        with self._storage(None):
            result = responses.storage(self._lines("AT+CPMS?"))
        if result is None:
            raise ATProtocolError(f"{self.name}: no +CPMS answer")
        return result

    # -- messages ---------------------------------------------------------------------

    def send_sms(
        self,
        to: str,
        text: str,
        *,
        request_status_report: bool = True,
        validity: timedelta | None = None,
        timeout: float | None = None,
        on_submitted: Callable[[], object] | None = None,
        then: NextMessage | None = None,
    ) -> SendResult:
        """Send one SMS (several parts if long); the message reference of every part.

        Each part is one locked ``AT+CMGS`` transaction. A timeout raises CommandTimeout:
        the outcome is unknown (the network may have the message). ``on_submitted`` runs
        once the modem has the first part, on the port's reader thread, while the network
        takes it: work started then does not hold up the exchange with the modem. It must
        return at once.

        ``then`` is asked at the OK for the next message (see :meth:`prepare`), which
        then starts at once, from the reader thread: a sender sending back to back
        loses no time waking up between sends. When it did (:attr:`following`, which
        may be so even when this raised), the caller must take its result with
        :meth:`follow_on` before anything else; the port is held for it until then.
        Only a single-part message follows so, and not after one sent under
        ``AT+CMMS=2``.
        """
        self._concat_reference = (self._concat_reference + 1) % 256
        parts = encode_submit(
            to,
            text,
            concat_reference=self._concat_reference,
            request_status_report=request_status_report,
            validity=validity,
        )
        keep_link = len(parts) > 1 and self.profile.supports_cmms
        follow = None if then is None or keep_link else self._follower(then)
        references: list[int] = []
        with self._guard(), self._port.transaction():
            if keep_link:
                self._try("AT+CMMS=2")
            try:
                for number, part in enumerate(parts):
                    last = number == len(parts) - 1
                    lines = self._port.submit(
                        f"AT+CMGS={part.tpdu_length}",
                        part.pdu,
                        timeout or self.send_timeout,
                        on_submitted if number == 0 else None,
                        follow if last else None,
                    )
                    references.append(self._sent_reference(lines))
            finally:
                if keep_link:
                    self._try("AT+CMMS=0")
        return SendResult(references, len(parts), parts[0].encoding.value)

    @property
    def following(self) -> bool:
        """Whether the message ``then`` gave has started: :meth:`follow_on` is owed."""
        return self._port.following

    def follow_on(
        self,
        *,
        timeout: float | None = None,
        on_submitted: Callable[[], object] | None = None,
        then: NextMessage | None = None,
    ) -> SendResult:
        """The result of the message started at the last send's OK (see :meth:`send_sms`),
        with ``on_submitted`` and ``then`` as there (``on_submitted`` runs at once if the
        modem has the message already)."""
        part, self._followed = self._followed, None
        follow = None if then is None else self._follower(then)
        with self._guard(check_health=False):  # it is on its way: its answer counts
            lines = self._port.follow(timeout or self.send_timeout, on_submitted, follow)
        assert part is not None  # set with the port's follow-up, which follow() checked
        return SendResult([self._sent_reference(lines)], 1, part.encoding.value)

    def prepare(self, to: str, text: str, *, request_status_report: bool = True) -> Outgoing:
        """``text`` to ``to`` encoded, for ``then`` of :meth:`send_sms` (on any thread).

        Raises PduError as :meth:`send_sms` would. A long message is encoded too (so the
        caller sees it is long), but only :meth:`send_sms` sends one.
        """
        return Outgoing(tuple(encode_submit(to, text, request_status_report=request_status_report)))

    def _follower(self, then: NextMessage) -> FollowWith:
        """What the port asks at a send's OK, on its reader thread: the next message, if
        ``then`` gives one that fits a single part."""

        def follow() -> Submission | None:
            message = then()
            if message is None or len(message.parts) != 1:
                return None
            part = message.parts[0]
            self._followed = part
            return Submission(f"AT+CMGS={part.tpdu_length}", part.pdu)

        return follow

    def _sent_reference(self, lines: list[InfoLine]) -> int:
        reference = responses.sent_reference([line.text for line in lines])
        if reference is None:
            raise ATProtocolError(f"{self.name}: AT+CMGS answered without +CMGS")
        return reference

    def list_messages(self, stat: int = 4, storage: str | None = None) -> list[StoredMessage]:
        """Every stored message with status ``stat`` (4 = all), undecodable ones included."""
        with self._storage(storage) as memory:
            infos = self._infos(f"AT+CMGL={stat}")
        found: list[StoredMessage] = []
        for info in infos:
            if not info.text.upper().startswith("+CMGL"):
                continue
            index, status = responses.message_header(info.text)
            if index is not None:
                found.append(_stored(index, status, info.pdu, memory))
        return found

    def read_message(self, index: int, storage: str | None = None) -> StoredMessage:
        """One stored message; ``storage`` ("SR" for reports) switches memory for the read."""
        command = f"AT+CMGR={index}"
        with self._storage(storage) as memory:
            infos = self._infos(command)
        for info in infos:
            if info.text.upper().startswith("+CMGR"):
                _, status = responses.message_header(info.text)
                return _stored(index, status, info.pdu, memory)
        raise command_error(command, "CMS", 321, "empty message slot")

    def delete_message(self, index: int, storage: str | None = None) -> None:
        """Delete one stored message (only after it is safely stored elsewhere)."""
        with self._storage(storage):
            self._lines(f"AT+CMGD={index}")

    def delete_read_messages(self, storage: str, index: int) -> None:
        """Delete every message already read from ``storage`` in one command, leaving
        those that arrived since (``AT+CMGD=<index>,1``).

        The standard says the index is then ignored; ``index`` should still be one of a
        stored message, for firmware that checks it anyway.
        """
        with self._storage(storage):
            self._lines(f"AT+CMGD={index},1")

    def ussd(self, code: str, timeout: float = 30.0) -> str:
        """Run a USSD code (``*100#``) and return the network's answer text."""
        if not _USSD_CODE.fullmatch(code):
            raise ValueError(f"not a USSD code: {code!r}")
        with self._ussd_lock:
            waiter: queue.Queue[Unsolicited] = queue.Queue()
            self._ussd_waiter = waiter
            try:
                for command in self.profile.ussd_setup:
                    self._try(command)
                command = f'AT+CUSD=1,"{code}",15'
                deadline = time.monotonic() + timeout
                self._lines(command)
                try:
                    answer = self._await_ussd(waiter, command, deadline, timeout)
                except CommandTimeout:
                    self._try("AT+CUSD=2")  # do not leave a session open on the network
                    raise
            finally:
                self._ussd_waiter = None
        fields = answer.fields
        if fields and fields[0] == "1":
            self._try("AT+CUSD=2")  # the network wants a reply we will not send: end it
        if fields and fields[0] == "4":
            raise CommandError(command, 4, "USSD not supported by the network")
        dcs = int(fields[2]) if len(fields) > 2 and fields[2].isdigit() else None
        return responses.ussd_text(fields[1] if len(fields) > 1 else "", dcs)

    def _await_ussd(
        self, waiter: queue.Queue[Unsolicited], command: str, deadline: float, timeout: float
    ) -> Unsolicited:
        """The answer: the first +CUSD with text, skipping a bare "session released" one."""
        first: Unsolicited | None = None
        while True:
            remaining = deadline - time.monotonic()
            if first is not None:
                remaining = min(remaining, 1.0)
            try:
                urc = waiter.get(timeout=max(remaining, 0))
            except queue.Empty:
                if first is not None:
                    return first
                raise CommandTimeout(command, timeout) from None
            if urc.fields[:1] in (("0",), ("1",)):
                return urc
            first = first or urc

    # -- set-up -----------------------------------------------------------------------

    def _initialise(self) -> None:
        """The init sequence; also run after every recovery."""
        probe = min(1.0, self.command_timeout)
        if not self._port.resync(attempts=5, timeout=probe):
            raise CommandTimeout("AT", probe)
        self._try("ATE0")
        self._try("AT+CMEE=1")
        manufacturer = responses.identity_value(self._optional("AT+CGMI", "AT+GMI"))
        model = responses.identity_value(self._optional("AT+CGMM", "AT+GMM"))
        self.profile = profile_for(manufacturer, model)
        log.info("%s: %s %s, profile %s", self.name, manufacturer, model, self.profile.name)
        self._unlock_sim()
        for command in self.profile.init_extras:
            self._try(command)
        self._until_ready("AT+CMGF=0")
        if not self._try('AT+CPMS="SM","SM","SM"'):
            self._try('AT+CPMS="SM","SM"')
        self._read_storage = HOME_STORAGE
        self._set_indications()

    def _unlock_sim(self) -> None:
        state = self._pin_state()
        if state == "READY" or state is None:
            return
        if state != "SIM PIN" or not self._pin:
            raise PinRequiredError(state)
        self._port.command(f'AT+CPIN="{self._pin}"', self.command_timeout)
        deadline = time.monotonic() + self.profile.ready_wait
        while self._pin_state() != "READY":
            if time.monotonic() > deadline:
                raise PinRequiredError("SIM PIN (not accepted)")
            self._closed.wait(0.5)

    def _pin_state(self) -> str | None:
        timeout = self.command_timeout if self.profile.cpin_has_ok else self._probe_timeout
        try:
            lines = self._until_ready("AT+CPIN?", timeout)
        except CommandTimeout:
            if self.profile.cpin_has_ok:
                raise
            return None  # old Wavecom: "+CPIN: READY" without OK
        except CmeError as exc:
            if exc.code in _PIN_CME:
                return _PIN_CME[exc.code]
            raise
        return responses.pin_state(lines)

    def _set_indications(self) -> None:
        """AT+CNMI from what ``AT+CNMI=?`` offers; see ``responses.choose_cnmi``."""
        supported = responses.cnmi_supported(self._optional("AT+CNMI=?"))
        for setting in responses.choose_cnmi(supported):
            if self._try(f"AT+CNMI={setting}"):
                log.info("%s: AT+CNMI=%s", self.name, setting)
                return
        log.warning("%s: modem accepts no AT+CNMI setting; poll with list_messages", self.name)

    def _until_ready(self, command: str, timeout: float | None = None) -> list[str]:
        """Run a command, retrying while the SIM or SMS stack says "not ready yet"."""
        deadline = time.monotonic() + self.profile.ready_wait
        while True:
            try:
                return self._lines_now(command, timeout)
            except CommandError as exc:
                not_ready = (isinstance(exc, CmeError) and exc.code in _NOT_READY_CME) or (
                    exc.kind == "+CMS ERROR" and exc.code in _NOT_READY_CMS
                )
                if not not_ready or time.monotonic() > deadline or self._closed.is_set():
                    raise
            self._closed.wait(0.5)

    # -- supervision ------------------------------------------------------------------

    def _supervise(self) -> None:
        while not self._closed.is_set():
            woken = self._wake.wait(self.health_interval)
            self._wake.clear()
            if self._closed.is_set():
                return
            if self._port.is_open and not self._still_answers(suspect=woken and self._suspect):
                self._recover("modem stopped answering")
            elif not self._port.is_open:
                self._recover(self.last_error_text or "port lost")

    @property
    def _probe_timeout(self) -> float:
        """How long an ``AT`` probe waits: short, but never longer than a command."""
        return min(2.0, self.command_timeout)

    @property
    def last_error_text(self) -> str | None:
        return str(self.last_error) if self.last_error is not None else None

    def _still_answers(self, *, suspect: bool) -> bool:
        """After a timeout (or on the health tick) the modem must answer AT.

        The periodic tick does not queue behind a command in progress: that command's
        own timeout will tell.
        """
        self._suspect = False
        try:
            return self._port.resync(attempts=3, timeout=self._probe_timeout, wait=suspect)
        except TransportError:
            return False

    def _recover(self, reason: str) -> None:
        """Reopen and re-initialise until the modem answers again (or we are closed)."""
        self.healthy = False
        self.last_error = self.last_error or TransportError(reason)
        self._dispatcher.put(events.ModemLost(reason))
        attempt = 0
        while not self._closed.is_set():
            attempt += 1
            try:
                self._recover_once(attempt)
            except ModemError as exc:
                log.info("%s: recovery attempt %d failed: %s", self.name, attempt, exc)
                self.last_error = exc
                self._closed.wait(self.reconnect_interval)
                continue
            self.healthy = True
            self.last_error = None
            self._dispatcher.put(events.ModemRecovered())
            return

    def _recover_once(self, attempt: int) -> None:
        if not self._port.is_open:
            self._port.close()
            self._port.open()
        elif not self._port.resync(attempts=2, timeout=self._probe_timeout):
            reset = self.profile.reset_commands[(attempt - 1) % len(self.profile.reset_commands)]
            log.warning("%s: not answering; sending %s", self.name, reset)
            self._port.write_raw(reset.encode("ascii") + b"\r")
            self._closed.wait(self.reconnect_interval)
            self._port.close()
            self._port.open()
        self._initialise()

    # -- plumbing ---------------------------------------------------------------------

    def _on_urc(self, urc: Unsolicited) -> None:
        """Runs on the reader thread: queue only, never call user code here."""
        waiter = self._ussd_waiter
        if urc.kind == "+CUSD" and waiter is not None:
            waiter.put(urc)
            return
        self._dispatcher.put(urc)

    def _on_lost(self, reason: str) -> None:
        self.healthy = False
        self.last_error = TransportError(f"{self.name}: {reason}")
        self._wake.set()

    def _guard(self, *, check_health: bool = True) -> _Guard:
        return _Guard(self, check_health=check_health)

    def _lines(self, command: str) -> list[str]:
        return [info.text for info in self._infos(command)]

    def _infos(self, command: str) -> list[InfoLine]:
        with self._guard():
            return self._port.command(command, self.command_timeout)

    def _lines_now(self, command: str, timeout: float | None = None) -> list[str]:
        """A command without the health gate (set-up and recovery use it)."""
        infos = self._port.command(command, timeout or self.command_timeout)
        return [info.text for info in infos]

    def _optional(self, *commands: str) -> list[str]:
        """The first of ``commands`` the modem accepts; ``[]`` if it rejects them all."""
        for command in commands:
            try:
                return self._lines_now(command)
            except CommandError as exc:
                log.debug("%s: %s", self.name, exc)
        return []

    def _try(self, command: str) -> bool:
        """A command whose rejection is fine (optional features); False if rejected."""
        try:
            self._lines_now(command)
        except CommandError as exc:
            log.debug("%s: %s", self.name, exc)
            return False
        return True

    def _storage(self, storage: str | None) -> _StorageSwitch:
        return _StorageSwitch(self, storage)


class _Guard:
    """Refuses work while unhealthy; turns timeouts into a supervisor check."""

    def __init__(self, modem: Modem, *, check_health: bool) -> None:
        self._modem = modem
        self._check_health = check_health

    def __enter__(self) -> None:
        modem = self._modem
        if self._check_health and not modem.healthy:
            raise modem.last_error or TransportError(f"{modem.name}: not open")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if isinstance(exc, CommandTimeout):
            self._modem._suspect = True
            self._modem._wake.set()
        if isinstance(exc, CmeError) and exc.code in _PIN_CME:
            raise PinRequiredError(_PIN_CME[exc.code]) from exc


class _StorageSwitch:
    """Holds the port and points ``AT+CPMS`` mem1 at ``storage`` (the SIM's, SM, if None).

    mem1 stays where the last operation left it: reading and deleting a run of status
    reports in "SR" then costs one command each instead of three (switch, act, switch
    back), which on a busy modem was port time taken from sending. The next operation
    on another memory switches first.
    """

    def __init__(self, modem: Modem, storage: str | None) -> None:
        self._modem = modem
        self._wanted = (storage or HOME_STORAGE).upper()
        self._transaction = modem._port.transaction()

    def __enter__(self) -> str:
        modem = self._modem
        self._transaction.__enter__()
        if modem._read_storage == self._wanted:
            return self._wanted
        try:
            with modem._guard():
                modem._port.command(f'AT+CPMS="{self._wanted}"', modem.command_timeout)
            modem._read_storage = self._wanted
        except BaseException as exc:
            if isinstance(exc, CommandTimeout):
                modem._read_storage = None  # unknown: the next operation switches again
            self._transaction.__exit__(None, None, None)
            raise
        return self._wanted

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._transaction.__exit__(exc_type, exc, traceback)


def _stored(index: int, stat: int | None, pdu: str | None, storage: str) -> StoredMessage:
    """A stored message, decoded if possible; the raw PDU is kept either way."""
    if not pdu:
        return StoredMessage(index, stat, "", None, "the PDU line is missing", storage)
    try:
        return StoredMessage(index, stat, pdu, decode(pdu), None, storage)
    except PduError as exc:
        return StoredMessage(index, stat, pdu, None, str(exc), storage)
