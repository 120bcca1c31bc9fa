"""Status reports the modem files on its SIM: read in batches, recorded, then deleted.

A modem told to store its reports (AT+CNMI ds=2) files each one and says where with
+CDSI, so none is lost while the gateway is busy or down. The price is commands on the
port, which the next send waits behind. So reports are read in batches (one listing for
many), and where the modem keeps them in a memory of their own ("SR") they are deleted
in one command once every report read from it is on record (``AT+CMGD=<index>,1``
deletes what was read and keeps what arrived since). A report leaves the SIM only once
its outcome is committed, and one the codec cannot read only once its PDU is kept raw.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from concurrent.futures import Future
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from drivers.errors import CmsError, CommandError, ModemError
from drivers.modem import StoredMessage
from drivers.pdu import StatusReport
from gateway.db import describe
from gateway.dispatch.driver import ModemDriver

log = logging.getLogger(__name__)

# Reports are read while the modem has messages to send (each read is a command the next
# send waits behind): when it would wait anyway, or once this many are noted, or once the
# oldest noted has waited this long.
REPORT_BATCH = 16
REPORT_WAIT_SECONDS = 5.0
# The memory that holds nothing but status reports: what was read there may all go at once.
REPORTS_ONLY = "SR"
# The SIM's own memory, where some modems file status reports beside inbound texts.
SIM_MEMORY = "SM"

# Where a message is stored: (index, memory).
Place = tuple[int, str | None]
# Records reports in one transaction on the ledger: per report, the message it settled.
RecordReports = Callable[[list[StatusReport]], Future[list[int | None]]]
# Keeps a PDU the codec cannot read (hex, the decoder's reason), as inbound ones are.
KeepRaw = Callable[[str, str], Future[Any]]


@dataclass(frozen=True)
class _Held:
    """A report read from the SIM and not deleted yet, with the task that puts it on
    record (or keeps it raw) and the PDU it had, to know it again."""

    recorded: Future[Any]
    index: int
    memory: str | None
    pdu: str

    @property
    def place(self) -> Place:
        return (self.index, self.memory)


class StoredReports:
    """One modem's stored reports, driven from its worker's thread."""

    def __init__(
        self,
        name: str,
        driver: ModemDriver,
        record: RecordReports,
        keep_raw: KeepRaw,
        ticker: Callable[[], float],
    ) -> None:
        self._name = name
        self._driver = driver
        self._record = record
        self._keep_raw = keep_raw
        self._ticker = ticker
        self._held: list[_Held] = []
        # Places the modem said it filed a report at, not read yet, and since when
        # (ticker time) the oldest has waited.
        self._noted: list[Place] = []
        self._noted_since = 0.0
        # Reports whose recording failed: left on the SIM to be read again, so read
        # reports may not all be deleted at once meanwhile.
        self._unrecorded: set[Place] = set()
        # Whether this modem deletes its read reports in one command. It stops on the
        # first refusal, and when a report deleted that way is found again (same place,
        # same PDU): firmware that answers OK and keeps them. A driver plugin written
        # before the command was asked of drivers never starts.
        self._at_once = hasattr(driver, "delete_read_messages")
        self._deleted_at_once: dict[Place, str] = {}

    def note(self, index: int, memory: str | None) -> None:
        """The modem said it filed a report (+CDSI)."""
        if not self._noted:
            self._noted_since = self._ticker()
        self._noted.append((index, memory))

    def due(self) -> bool:
        """Whether the noted reports are worth a read now, although messages wait."""
        return bool(self._noted) and (
            len(self._noted) >= REPORT_BATCH
            or self._ticker() - self._noted_since >= REPORT_WAIT_SECONDS
        )

    def read_noted(self) -> None:
        """Read the noted reports: one listing for a memory that holds several, a read
        for a single one (a listing also takes reports never noted)."""
        noted, self._noted = self._noted, []
        in_hand = self._in_hand()
        for memory in dict.fromkeys(where for _, where in noted):
            indexes = [i for i, where in noted if where == memory and (i, where) not in in_hand]
            try:
                if len(indexes) > 1:
                    self._take(memory, self._driver.list_messages(storage=memory), indexes)
                elif indexes:
                    found = [self._driver.read_message(indexes[0], memory)]
                    self._take(memory, found, indexes, whole=False)
            except CmsError as exc:
                if not exc.empty_slot:
                    log.warning("%s: could not read status reports: %s", self._name, exc)
                # gone (a listing took it), or left on the SIM for the sweep
            except ModemError as exc:
                log.warning("%s: could not read status reports: %s", self._name, exc)

    def sweep(self, sim_messages: list[StoredMessage]) -> None:
        """Record (and later delete) the reports no notification told of: those in the
        reports' own memory, and those among ``sim_messages`` (the SIM memory's listing,
        made once for the inbox and for this, as a listing is slow on a real SIM).

        A report that arrived while the gateway was down (its +CDSI went nowhere), or on
        a modem that files reports with the SIM's messages, would otherwise stay on the
        SIM for good, and a SIM full of reports has no room for the next inbound text.
        """
        with suppress(CommandError):  # a modem with no reports memory refuses the listing
            self._take(REPORTS_ONLY, self._driver.list_messages(storage=REPORTS_ONLY))
        self._take(SIM_MEMORY, sim_messages)

    def delete_recorded(self, *, wait: bool = False) -> bool:
        """Delete from the SIM the reports whose outcome is committed (never before);
        whether any were.

        The modem does not wait for that commit: it sends on, and the deletion is done on
        a later pass (or, with ``wait``, now).
        """
        pending: list[_Held] = []
        ready: dict[str | None, list[_Held]] = {}
        for held in self._held:
            recorded = held.recorded
            if not (wait or recorded.done()):
                pending.append(held)
            elif (exc := recorded.exception()) is not None:
                log.warning("%s: report %d not recorded: %s", self._name, held.index, describe(exc))
                self._unrecorded.add(held.place)  # left on the SIM, to be read again
            else:
                ready.setdefault(held.memory, []).append(held)
        waiting = {held.memory for held in pending}
        deleted = False
        for memory, done in ready.items():
            if not self._deletes_at_once(memory):
                self._delete_each(done)
            elif memory in waiting:
                pending += done  # all at once, when the rest is on record too
                continue
            elif not self._delete_all_read(done):
                self._delete_each(done)
            deleted = True
        self._held = pending
        return deleted

    def _take(
        self,
        memory: str | None,
        found: list[StoredMessage],
        announced: Collection[int] = (),
        *,
        whole: bool = True,
    ) -> None:
        """Record the status reports among ``found`` (one transaction) and hold their
        places for deletion once it commits; those already held are skipped. ``whole``:
        ``found`` is everything in ``memory``.

        A place ``announced`` as a report (+CDSI) that holds none that decodes is kept
        raw and then deleted: left there, such places would fill the report memory.
        """
        in_hand = self._in_hand()
        if whole:
            self._unrecorded -= {place for place in self._unrecorded if place[1] == memory}
        reports: list[StatusReport] = []
        places: list[StoredMessage] = []
        for stored in found:
            place = (stored.index, memory)
            if self._deleted_at_once.pop(place, None) == stored.pdu:
                self._kept_after_delete()
            if place in in_hand:
                continue
            self._unrecorded.discard(place)
            if isinstance(stored.decoded, StatusReport):
                reports.append(stored.decoded)
                places.append(stored)
            elif stored.index in announced:
                error = stored.error or "undecodable"
                log.warning(
                    "%s: report %d unreadable, kept raw: %s", self._name, stored.index, error
                )
                kept = self._keep_raw(stored.pdu, error)
                self._held.append(_Held(kept, stored.index, memory, stored.pdu))
        if reports:
            recorded = self._record(reports)
            self._held += (_Held(recorded, s.index, memory, s.pdu) for s in places)

    def _in_hand(self) -> set[Place]:
        return {held.place for held in self._held}

    def _deletes_at_once(self, memory: str | None) -> bool:
        return (
            self._at_once
            and memory == REPORTS_ONLY
            and not any(where == memory for _, where in self._unrecorded)
        )

    def _delete_all_read(self, done: list[_Held]) -> bool:
        """One command for every report read from the reports' own memory; False if the
        modem refuses it (then, and from now on, they are deleted one at a time)."""
        try:
            self._driver.delete_read_messages(REPORTS_ONLY, min(held.index for held in done))
        except CommandError as exc:
            log.info("%s: deletes reports one at a time (%s)", self._name, exc)
            self._at_once = False
            return False
        except ModemError as exc:
            log.warning("%s: could not delete status reports: %s", self._name, exc)
            return True  # still on the SIM: read and recorded again later, harmlessly
        self._deleted_at_once = {held.place: held.pdu for held in done}
        return True

    def _kept_after_delete(self) -> None:
        if self._at_once:
            log.warning(
                "%s: the modem kept reports it said it deleted; deleting one at a time",
                self._name,
            )
        self._at_once = False

    def _delete_each(self, done: list[_Held]) -> None:
        for held in done:
            try:
                self._driver.delete_message(held.index, held.memory)
            except ModemError as exc:
                log.warning("%s: could not delete report %d: %s", self._name, held.index, exc)
