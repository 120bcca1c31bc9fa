"""What happened to a send, and how the queue records it.

The worker notes an outcome the moment its modem answers and goes on to the next
message; the outcome is written later on the worker's ledger thread, usually in the
same transaction as the next claim. Until then the row stays ``sending`` and owned by
this node, so a crash in between leaves it to recovery as ``unknown``: nothing is lost.
A failure counts in the modem's health once its record is committed, so a task the
ledger runs again does not count it twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from drivers.errors import CommandError, ModemError, RetryClass
from drivers.modem import SendResult
from gateway.dispatch.health import HealthRecorder
from gateway.dispatch.ledger import after_commit
from gateway.queue import Backoff, Claim, mark_failed, mark_retry, release
from gateway.queue.transitions import mark_unknown, record_sent
from gateway.states import MessageState


@dataclass(frozen=True)
class Sent:
    claim: Claim
    result: SendResult
    at: datetime


@dataclass(frozen=True)
class Failed:
    claim: Claim
    error: ModemError
    at: datetime


Outcome = Sent | Failed


@dataclass(frozen=True)
class Recorder:
    """Writes outcomes for one modem of ``node`` (on the ledger thread)."""

    node: str
    modem: str
    backoff: Backoff
    health: HealthRecorder
    resend_unknown: bool

    def record(self, session: Session, outcome: Outcome) -> bool:
        """Write ``outcome`` (committing only on the rare failure paths); ``False`` when
        the row had been taken over meanwhile."""
        if isinstance(outcome, Sent):
            claim = outcome.claim
            return record_sent(
                session,
                claim.id,
                node=self.node,
                modem=self.modem,
                recipient=claim.peer,
                references=outcome.result.references,
                now=outcome.at,
                first_attempt=claim.attempts == 1,
            )
        return self._failed(session, outcome)

    def _failed(self, session: Session, outcome: Failed) -> bool:
        exc, claim, now = outcome.error, outcome.claim, outcome.at
        text = f"{self.modem}: {exc}"
        code = exc.code if isinstance(exc, CommandError) else None
        if exc.retry_class is RetryClass.PERMANENT:
            self._count(session, text, now, failed=True, retried=False)
            return mark_failed(session, claim.id, node=self.node, error=text, code=code, now=now)
        if exc.retry_class is RetryClass.UNKNOWN:
            state = mark_unknown(
                session,
                claim.id,
                node=self.node,
                attempts=claim.attempts,
                error=text,
                resend=self.resend_unknown,
                backoff=self.backoff,
                now=now,
            )
            self._count(session, text, now, failed=False, retried=state is MessageState.QUEUED)
            return state is not None
        if exc.retry_class is RetryClass.MODEM:
            # The modem could not take it: another one may, at once.
            self._count(session, text, now, failed=False, retried=True)
            return release(session, claim.id, node=self.node, error=text)
        state = mark_retry(
            session,
            claim.id,
            node=self.node,
            attempts=claim.attempts,
            error=text,
            code=code,
            backoff=self.backoff,
            now=now,
        )
        self._count(
            session,
            text,
            now,
            failed=state is MessageState.FAILED,
            retried=state is MessageState.RETRY_WAIT,
        )
        return state is not None

    def _count(
        self, session: Session, text: str, now: datetime, *, failed: bool, retried: bool
    ) -> None:
        after_commit(session, lambda: self.health.error(text, now, failed=failed, retried=retried))
