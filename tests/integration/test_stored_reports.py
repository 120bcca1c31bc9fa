"""Status reports filed on the SIM: read, recorded, deleted, through the real driver on a
pty against the simulator. Recording is a future the test settles, as the ledger would."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import replace
from typing import cast

import pytest

from drivers.modem import Modem, StoredMessage
from drivers.pdu import StatusReport
from drivers.sim import VENDORS, Simulator
from drivers.sim.atline import Command
from drivers.sim.storage import MessageStore
from gateway.dispatch.driver import ModemDriver
from gateway.dispatch.stored_reports import StoredReports
from tests.waiting import eventually


class Ledger:
    """Stands in for the database side: every recording task is a future the test settles."""

    def __init__(self) -> None:
        self.tasks: list[tuple[list[StatusReport], Future[list[int | None]]]] = []
        self.raw: list[tuple[str, str, Future[None]]] = []

    def record(self, reports: list[StatusReport]) -> Future[list[int | None]]:
        future: Future[list[int | None]] = Future()
        self.tasks.append((reports, future))
        return future

    def keep_raw(self, pdu: str, error: str) -> Future[None]:
        future: Future[None] = Future()
        self.raw.append((pdu, error, future))
        return future

    def commit_all(self) -> None:
        for reports, future in self.tasks:
            if not future.done():
                future.set_result([None] * len(reports))
        for _, _, kept in self.raw:
            if not kept.done():
                kept.set_result(None)


class Rig:
    """A simulated modem, the driver on its pty, and the modem's stored reports."""

    def __init__(self, sim: Simulator, modem: Modem) -> None:
        self.sim = sim
        self.modem = modem
        self.ledger = Ledger()
        self.reports = StoredReports(
            "sim0", modem, self.ledger.record, self.ledger.keep_raw, time.monotonic
        )
        self.commands: Counter[str] = Counter()
        interpreter = sim.modems[0].interpreter
        dispatch = interpreter._dispatch

        def counted(command: Command) -> list[str]:
            self.commands[f"{command.name}={command.args}"] += 1
            return dispatch(command)

        interpreter._dispatch = counted  # type: ignore[method-assign]

    @property
    def store(self) -> MessageStore:
        return self.sim.modems[0].interpreter.sim.stores["SR"]

    def file_reports(self, count: int) -> list[int]:
        """Send ``count`` messages and note where their reports were filed."""
        before = self.store.used
        for n in range(count):
            self.modem.send_sms(self.sim.modems[1].number, f"report {n}")
        assert eventually(lambda: self.store.used == before + count)
        filed = [index for index, _ in self.store.items()][before:]
        for index in filed:
            self.reports.note(index, "SR")
        return filed

    def take_and_delete(self, count: int) -> list[int]:
        """File ``count`` reports, read, record and delete them: the SIM ends empty, and
        each report was deleted by a command of its own."""
        filed = self.file_reports(count)
        self.reports.read_noted()
        self.ledger.commit_all()
        assert self.reports.delete_recorded()
        assert self.store.used == 0
        assert all(self.commands[f"+CMGD={index}"] == 1 for index in filed)
        return filed

    def deleted_at_once(self) -> int:
        return sum(n for command, n in self.commands.items() if command.endswith(",1"))


@pytest.fixture
def rig(simulator: Callable[..., Simulator], request: pytest.FixtureRequest) -> Iterator[Rig]:
    vendor = getattr(request, "param", "generic")
    sim = simulator(modems=2, vendor=[vendor, "generic"], status_report_delay=0.01)
    modem = Modem(sim.modems[0].device, on_event=lambda event: None, name="sim0")
    modem.open()
    try:
        yield Rig(sim, modem)
    finally:
        modem.close()


@pytest.fixture
def keeps_flagged(monkeypatch: pytest.MonkeyPatch) -> str:
    """Firmware that answers OK to AT+CMGD=<index>,1 and deletes nothing."""
    monkeypatch.setitem(VENDORS, "keeps", replace(VENDORS["generic"], delete_flags="ignored"))
    return "keeps"


@pytest.fixture
def refuses_flagged(monkeypatch: pytest.MonkeyPatch) -> str:
    """Firmware without the flag: AT+CMGD=<index>,1 answers ERROR."""
    monkeypatch.setitem(VENDORS, "refuses", replace(VENDORS["generic"], delete_flags="refused"))
    return "refuses"


@pytest.mark.parametrize("rig", ["generic", "huawei"], indirect=True)  # Huawei counts from 0
def test_reports_read_from_their_memory_are_deleted_in_one_command_once_recorded(
    rig: Rig,
) -> None:
    rig.file_reports(3)
    rig.reports.read_noted()
    assert rig.commands["+CMGL=4"] == 1
    [(reports, _)] = rig.ledger.tasks
    assert len(reports) == 3
    assert not rig.reports.delete_recorded()  # not on record yet: still on the SIM
    assert rig.store.used == 3
    rig.ledger.commit_all()
    assert rig.reports.delete_recorded()
    assert rig.store.used == 0
    assert rig.deleted_at_once() == 1
    assert sum(n for command, n in rig.commands.items() if command.startswith("+CMGD")) == 1


def test_a_report_that_arrives_after_the_listing_stays_through_the_delete(rig: Rig) -> None:
    """The delete takes what was read; a report filed since is unread, so it stays."""
    rig.file_reports(2)
    rig.reports.read_noted()
    rig.ledger.commit_all()
    [late] = rig.file_reports(1)
    assert rig.reports.delete_recorded()
    assert [index for index, _ in rig.store.items()] == [late]
    rig.reports.read_noted()
    rig.ledger.commit_all()
    rig.reports.delete_recorded()
    assert rig.store.used == 0
    assert len(rig.ledger.tasks) == 2  # the late report was recorded once


def test_a_report_whose_recording_failed_stays_until_it_is_on_record(rig: Rig) -> None:
    """A delete of every read report would take it unrecorded: until a later read
    records it, reports are deleted one at a time."""
    [failed] = rig.file_reports(1)
    rig.reports.read_noted()
    [(_, future)] = rig.ledger.tasks
    future.set_exception(RuntimeError("database is locked"))
    assert not rig.reports.delete_recorded()
    [other] = rig.file_reports(1)
    rig.reports.read_noted()
    rig.ledger.commit_all()
    assert rig.reports.delete_recorded()
    assert [index for index, _ in rig.store.items()] == [failed]
    assert rig.deleted_at_once() == 0
    assert rig.commands[f"+CMGD={other}"] == 1
    rig.reports.sweep([])  # lists the memory: the kept report is read and recorded again
    rig.ledger.commit_all()
    assert rig.reports.delete_recorded()
    assert rig.store.used == 0
    assert rig.deleted_at_once() == 1


@pytest.mark.parametrize("rig", ["refuses"], indirect=True)
def test_a_modem_that_refuses_the_flag_has_its_reports_deleted_one_at_a_time(
    refuses_flagged: str, rig: Rig
) -> None:
    asked = []
    for _ in range(2):
        rig.commands.clear()
        rig.take_and_delete(2)
        asked.append(rig.deleted_at_once())
    assert asked == [1, 0]  # asked once, then never again


@pytest.mark.parametrize("rig", ["keeps"], indirect=True)
def test_a_modem_that_keeps_what_it_said_it_deleted_is_asked_one_at_a_time_from_then_on(
    keeps_flagged: str, rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    kept = rig.file_reports(2)
    rig.reports.read_noted()
    rig.ledger.commit_all()
    assert rig.reports.delete_recorded()
    assert rig.store.used == 2  # it said OK
    fresh = rig.file_reports(2)
    rig.reports.read_noted()  # the listing finds the first two where they were
    assert "kept reports it said it deleted" in caplog.text
    rig.ledger.commit_all()
    assert rig.reports.delete_recorded()
    assert rig.store.used == 0
    assert all(rig.commands[f"+CMGD={index}"] == 1 for index in kept + fresh)
    assert rig.deleted_at_once() == 1


def test_an_announced_report_that_does_not_decode_is_deleted_once_kept_raw(rig: Rig) -> None:
    rig.sim.modems[0].receive_from_network("0006FFFF", report=True)
    assert eventually(lambda: rig.store.used == 1)
    [(index, _)] = rig.store.items()
    rig.reports.note(index, "SR")
    rig.reports.read_noted()
    [(pdu, error, _)] = rig.ledger.raw
    assert pdu == "0006FFFF"
    assert error
    assert not rig.reports.delete_recorded()  # not kept yet: still on the SIM
    assert rig.store.used == 1
    rig.ledger.commit_all()
    assert rig.reports.delete_recorded()
    assert rig.store.used == 0


class OlderPlugin:
    """A driver plugin written before drivers were asked to delete read messages at once."""

    def __init__(self, modem: Modem) -> None:
        self._modem = modem

    def read_message(self, index: int, storage: str | None = None) -> StoredMessage:
        return self._modem.read_message(index, storage)

    def list_messages(self, stat: int = 4, storage: str | None = None) -> list[StoredMessage]:
        return self._modem.list_messages(stat, storage)

    def delete_message(self, index: int, storage: str | None = None) -> None:
        self._modem.delete_message(index, storage)


def test_a_driver_plugin_without_the_bulk_delete_has_its_reports_deleted_one_at_a_time(
    rig: Rig,
) -> None:
    older = cast(ModemDriver, OlderPlugin(rig.modem))
    rig.reports = StoredReports(
        "sim0", older, rig.ledger.record, rig.ledger.keep_raw, time.monotonic
    )
    rig.take_and_delete(2)
    assert rig.deleted_at_once() == 0
