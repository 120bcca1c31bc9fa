"""Per-SIM pacing and plan caps, with the clock in the test's hands."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from gateway.dispatch.bucket import TokenBucket
from gateway.dispatch.caps import SendCaps


def test_a_full_bucket_sends_at_once_then_paces_at_the_rate() -> None:
    bucket = TokenBucket(rate_per_minute=6)
    assert bucket.delay(100.0) == 0
    bucket.take(1, 100.0)
    assert bucket.delay(100.0) == pytest.approx(10.0)
    assert bucket.delay(107.5) == pytest.approx(2.5)
    assert bucket.delay(110.0) == 0


def test_a_multipart_message_costs_a_token_per_part() -> None:
    bucket = TokenBucket(rate_per_minute=60)
    bucket.take(3, 0.0)
    assert bucket.delay(0.0) == pytest.approx(3.0)


def test_jitter_varies_each_pause_but_keeps_the_average_rate() -> None:
    bucket = TokenBucket(rate_per_minute=60, jitter=0.3, rng=random.Random(7))
    now, pauses = 0.0, []
    for _ in range(2000):
        wait = bucket.delay(now)
        pauses.append(wait)
        now += wait
        bucket.take(1, now)
    assert min(pauses[1:]) >= 0.7 - 1e-9
    assert max(pauses) <= 1.3 + 1e-9
    assert len({round(p, 6) for p in pauses}) > 100
    assert now / 2000 == pytest.approx(1.0, rel=0.02)


def test_small_lateness_does_not_lower_the_long_run_rate() -> None:
    bucket = TokenBucket(rate_per_minute=60)
    now = 0.0
    for _ in range(1000):
        now += bucket.delay(now) + 0.2  # every send starts 0.2 intervals late
        bucket.take(1, now)
    assert now == pytest.approx(1000.0, abs=1.0)


def test_an_idle_spell_is_not_saved_up_for_a_burst() -> None:
    bucket = TokenBucket(rate_per_minute=60)
    bucket.take(1, 0.0)
    bucket.take(1, 100.0)
    assert bucket.delay(100.0) == pytest.approx(1.0)


@pytest.mark.parametrize(("rate", "jitter", "slack"), [(0, 0.0, 0.5), (6, 1.0, 0.5), (6, 0.1, 1.0)])
def test_nonsense_settings_are_refused(rate: float, jitter: float, slack: float) -> None:
    with pytest.raises(ValueError, match="need rate"):
        TokenBucket(rate, jitter=jitter, slack=slack)


def test_caps_count_in_the_business_time_zone() -> None:
    caps = SendCaps(daily=3, monthly=10, zone=ZoneInfo("America/New_York"))
    caps._day = datetime(2026, 3, 7, tzinfo=ZoneInfo("America/New_York"))
    caps._month = datetime(2026, 3, 1, tzinfo=ZoneInfo("America/New_York"))
    caps.add(2)
    assert caps.reached() is None
    caps.add(1)
    assert caps.reached() == "daily cap of 3 SMS reached"
    # The night DST starts is 23 hours long; the cap still lifts at local midnight.
    assert caps.resumes_at().astimezone(UTC) == datetime(2026, 3, 8, 5, tzinfo=UTC)
    caps.today = 0
    caps.this_month = 10
    assert caps.reached() == "monthly cap of 10 SMS reached"
    assert caps.resumes_at().astimezone(UTC) == datetime(2026, 4, 1, 4, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "stale"),
    [
        (datetime(2026, 3, 8, 5, tzinfo=UTC), False),  # local midnight, the day counted
        (datetime(2026, 3, 9, 3, 59, tzinfo=UTC), False),  # 23:59 of a 23-hour day (DST)
        (datetime(2026, 3, 9, 4, tzinfo=UTC), True),  # the next local midnight
        (datetime(2026, 3, 8, 4, 59, tzinfo=UTC), True),  # the clock went back a day
    ],
)
def test_caps_are_counted_again_at_local_midnight(now: datetime, stale: bool) -> None:
    caps = SendCaps(daily=3, monthly=10, zone=ZoneInfo("America/New_York"))
    assert caps.stale(now)  # nothing counted yet
    caps._day = datetime(2026, 3, 8, tzinfo=ZoneInfo("America/New_York"))
    caps._month = datetime(2026, 3, 1, tzinfo=ZoneInfo("America/New_York"))
    assert caps.stale(now) is stale
