"""The outbound message life cycle (DESIGN.md section 3): one enum, one transition table.

Every state change in the queue goes through :func:`check_transition`, and the guarded
``UPDATE ... WHERE state = :expected`` that performs it is built from the same table, so
the diagram in the docs, the code and the database can never disagree.
"""

from __future__ import annotations

from enum import StrEnum

from gateway.errors import GatewayError


class MessageState(StrEnum):
    SCHEDULED = "scheduled"  # waits for scheduled_at
    QUEUED = "queued"  # may be claimed by a worker now
    SENDING = "sending"  # a worker owns it and is talking to its modem
    RETRY_WAIT = "retry_wait"  # a transient error; queued again at next_attempt_at
    SENT = "sent"  # the network accepted every part; waiting for delivery reports
    DELIVERED = "delivered"  # every part reported delivered
    FAILED = "failed"  # permanent error, retries exhausted, or a report said so
    UNKNOWN = "unknown"  # the process died mid-send: it may or may not have gone out
    SUPPRESSED = "suppressed"  # not sent on purpose (opted out, cap); last_error says why
    CANCELLED = "cancelled"  # withdrawn before it was sent


S = MessageState

TRANSITIONS: dict[MessageState, frozenset[MessageState]] = {
    S.SCHEDULED: frozenset({S.QUEUED, S.SUPPRESSED, S.CANCELLED}),
    S.QUEUED: frozenset({S.SENDING, S.SUPPRESSED, S.CANCELLED}),
    # SENDING -> QUEUED hands a message back untouched when its modem could not even try;
    # SENDING -> SCHEDULED defers marketing a worker came to send inside the recipient's
    # quiet hours (it was queued in time, but the queue was long).
    S.SENDING: frozenset({S.SENT, S.RETRY_WAIT, S.FAILED, S.UNKNOWN, S.QUEUED, S.SCHEDULED}),
    S.RETRY_WAIT: frozenset({S.QUEUED, S.CANCELLED}),
    S.SENT: frozenset({S.DELIVERED, S.FAILED}),
    S.UNKNOWN: frozenset({S.QUEUED}),
    S.DELIVERED: frozenset(),
    S.FAILED: frozenset(),
    S.SUPPRESSED: frozenset(),
    S.CANCELLED: frozenset(),
}

# States no worker will touch again: the message has its outcome (SENT until a report
# arrives; UNKNOWN when resend_unknown is off).
SETTLED = frozenset({S.SENT, S.DELIVERED, S.FAILED, S.UNKNOWN, S.SUPPRESSED, S.CANCELLED})
# States still waiting for the queue to act.
PENDING = frozenset({S.SCHEDULED, S.QUEUED, S.SENDING, S.RETRY_WAIT})


class InvalidTransition(GatewayError):
    """A state change the table does not allow (a bug, or another worker got there first)."""

    def __init__(self, old: MessageState, new: MessageState) -> None:
        super().__init__(f"a message cannot go from {old} to {new}")
        self.old = old
        self.new = new


def check_transition(old: MessageState, new: MessageState) -> None:
    if new not in TRANSITIONS[old]:
        raise InvalidTransition(old, new)


def sources_of(new: MessageState) -> frozenset[MessageState]:
    """The states a message may be in to move to ``new``."""
    return frozenset(old for old, targets in TRANSITIONS.items() if new in targets)


def render_dot() -> str:
    """The transition table as a Graphviz digraph, for the README and docs."""
    lines = ["digraph outbox {", "  rankdir=LR;"]
    for old, targets in TRANSITIONS.items():
        lines += [f"  {old} -> {new};" for new in sorted(targets)]
    return "\n".join([*lines, "}"]) + "\n"
