"""The durable send queue: the ``messages`` table is the queue (DESIGN.md sections 2-3).

Every function takes the session and the time, so tests drive the clock; every state
change is one guarded update committed at once.
"""

from gateway.queue.claim import Claim, claim_next
from gateway.queue.enqueue import enqueue, enqueue_due, sticky_modem
from gateway.queue.numbers import normalise_number
from gateway.queue.recovery import drop_lease, recover_stale, renew_lease
from gateway.queue.reports import Report, apply_status_reports
from gateway.queue.retry import Backoff
from gateway.queue.transitions import cancel, mark_failed, mark_retry, mark_sent, release
from gateway.queue.wakeup import Work, on_work

__all__ = [
    "Backoff",
    "Claim",
    "Report",
    "Work",
    "apply_status_reports",
    "cancel",
    "claim_next",
    "drop_lease",
    "enqueue",
    "enqueue_due",
    "mark_failed",
    "mark_retry",
    "mark_sent",
    "normalise_number",
    "on_work",
    "recover_stale",
    "release",
    "renew_lease",
    "sticky_modem",
]
