"""The per-API-key token bucket behind 429 and Retry-After, on an injected clock."""

from __future__ import annotations

from web.api.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_allowed_then_the_rate_applies() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=60, burst=3, clock=clock)
    assert [limiter.acquire(1) for _ in range(4)] == [0, 0, 0, 1]
    clock.now += 1.0
    assert limiter.acquire(1) == 0
    assert limiter.acquire(1) == 1


def test_retry_after_says_when_the_next_request_fits() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=2, burst=1, clock=clock)
    assert limiter.acquire(7) == 0
    assert limiter.acquire(7) == 30
    clock.now += 29.5
    assert limiter.acquire(7) == 1
    clock.now += 0.5
    assert limiter.acquire(7) == 0


def test_keys_have_their_own_buckets() -> None:
    limiter = RateLimiter(per_minute=1, burst=1, clock=Clock())
    assert limiter.acquire(1) == 0
    assert limiter.acquire(1) > 0
    assert limiter.acquire(2) == 0
