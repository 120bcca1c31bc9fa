"""The simulator's timer thread: order, and how early it may fire to be on time."""

from __future__ import annotations

import threading
import time

from drivers.sim.scheduler import MAX_EARLY, Scheduler


def test_timers_fire_in_due_order_and_never_more_than_the_bound_early() -> None:
    scheduler = Scheduler()
    scheduler.start()
    fired: list[tuple[int, float, float]] = []
    done = threading.Event()
    count = 60
    now = time.monotonic()
    try:
        for n in reversed(range(count)):
            due = now + 0.005 * (n + 1)

            def action(n: int = n, due: float = due) -> None:
                fired.append((n, due, time.monotonic()))
                if len(fired) == count:
                    done.set()

            scheduler.call_later(due - now, action, since=now)
        assert done.wait(10)
    finally:
        scheduler.stop()
    assert [n for n, _, _ in fired] == list(range(count))
    assert all(at >= due - MAX_EARLY for _, due, at in fired)
