"""Taking messages off a modem's SIM: on notification, and by a periodic sweep.

Each message is committed to the database before its SIM copy is deleted, so a crash in
between costs at most a re-read (which :meth:`Pipeline.store` recognises), never a
message. The sweep (``AT+CMGL``) catches what notifications missed: modems that drop
+CMTI in a burst, messages that arrived while the gateway was down, and a full SIM,
which it empties. A PDU the codec cannot read is kept raw (``undecodable_pdus``) and
taken off the SIM too: never lost, and never filling the SIM. Status reports are left
on the SIM for the send worker, which records them and deletes them (its own sweep finds
those no notification announced).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from drivers.errors import CmsError
from drivers.modem import StoredMessage, events
from drivers.pdu import Deliver
from gateway.db import log_failure
from gateway.inbound.pipeline import InboundSms, Pipeline
from gateway.models import Message, UndecodablePdu, utcnow

log = logging.getLogger(__name__)


class SimStorage(Protocol):
    """The part of a modem driver the inbox uses (drivers.modem.Modem has it)."""

    def read_message(self, index: int, storage: str | None = None) -> StoredMessage: ...

    def delete_message(self, index: int, storage: str | None = None) -> None: ...


class SimInbox:
    """Callable as a worker's ``on_event`` handler: ``inbox(modem_name, driver, event)``."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        pipeline: Pipeline,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._pipeline = pipeline
        self._clock = clock

    def __call__(self, modem: str, driver: SimStorage, event: events.Event) -> None:
        if isinstance(event, events.NewMessageStored):
            try:
                stored = driver.read_message(event.index, event.storage)
            except CmsError as exc:
                if not exc.empty_slot:
                    raise
                # A sweep got there first (it lists everything, notified or not).
                log.debug("%s: message %d was already taken off the SIM", modem, event.index)
                return
            self.take(modem, driver, stored)
        elif isinstance(event, events.IncomingPdu):
            if event.decoded is None:
                self._keep_raw(modem, event.raw_hex, event.error or "undecodable")
            else:
                self._receive(modem, event.decoded)

    def sweep(self, modem: str, driver: SimStorage, listed: list[StoredMessage]) -> int:
        """Store and delete every SMS ``listed`` on the SIM (status reports filed there
        are left to the worker); also finish timed-out and unprocessed ones.

        Returns how many SIM messages were taken.
        """
        taken = sum(self.take(modem, driver, stored) for stored in listed)
        now = self._clock()
        with self._sessions() as session:
            self._pipeline.expire_parts(session, now)
            self._pipeline.process_pending(session, now)
        return taken

    def take(self, modem: str, driver: SimStorage, stored: StoredMessage) -> bool:
        """Store one SIM message, then delete it from the SIM; ``False`` when left there."""
        if stored.decoded is None:
            self._keep_raw(modem, stored.pdu, stored.error or "undecodable")
            driver.delete_message(stored.index, stored.storage)
            return True
        if not isinstance(stored.decoded, Deliver):
            return False
        message = self._store(modem, stored.decoded)
        driver.delete_message(stored.index, stored.storage)
        if message is not None:
            self._process(message)
        return True

    def _keep_raw(self, modem: str, pdu: str, error: str) -> None:
        log.warning("%s: undecodable PDU kept raw: %s", modem, error)
        with self._sessions() as session:
            session.add(
                UndecodablePdu(modem=modem, pdu=pdu, error=error, received_at=self._clock())
            )
            session.commit()

    def _store(self, modem: str, deliver: Deliver) -> Message | None:
        sms = InboundSms.from_deliver(deliver, modem)
        with self._sessions() as session:
            return self._pipeline.store(session, sms, self._clock())

    def _process(self, message: Message) -> None:
        # The message is safe in the database: a failure here is retried by the next
        # sweep (process_pending), so it must not stop the SIM from being emptied.
        try:
            with self._sessions() as session:
                attached = session.get(Message, message.id)
                if attached is not None:
                    self._pipeline.process(session, attached, self._clock())
        except Exception as exc:
            log_failure(
                log, exc, "processing inbound message %d failed; the next sweep retries", message.id
            )

    def _receive(self, modem: str, deliver: Deliver) -> None:
        message = self._store(modem, deliver)
        if message is not None:
            self._process(message)
