"""Frequency caps for marketing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from gateway.compliance.caps import FrequencyCap

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_under_the_cap_may_send() -> None:
    assert FrequencyCap().next_free([NOW - HOUR, NOW - 2 * HOUR], NOW) is None


def test_at_the_cap_waits_for_the_oldest_to_leave_the_window() -> None:
    sent = [NOW - 23 * HOUR, NOW - 5 * HOUR, NOW - HOUR]
    assert FrequencyCap().next_free(sent, NOW) == NOW + HOUR


def test_sends_older_than_the_window_do_not_count() -> None:
    sent = [NOW - 25 * HOUR, NOW - 5 * HOUR, NOW - HOUR]
    assert FrequencyCap().next_free(sent, NOW) is None


def test_limit_zero_switches_the_cap_off() -> None:
    assert FrequencyCap(limit=0).next_free([NOW] * 10, NOW) is None


@given(st.lists(st.integers(min_value=0, max_value=48 * 60), max_size=12), st.integers(1, 5))
def test_waiting_until_next_free_always_makes_room(minutes_ago: list[int], limit: int) -> None:
    cap = FrequencyCap(limit=limit)
    sent = [NOW - timedelta(minutes=m) for m in minutes_ago]
    free = cap.next_free(sent, NOW)
    if free is not None:
        assert free > NOW
        assert cap.next_free(sent, free) is None
