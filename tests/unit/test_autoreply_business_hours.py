"""Opening hours and the closed period an out-of-hours reply belongs to."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from gateway.autoreply.business_hours import ALWAYS_CLOSED_SINCE, BusinessHours
from gateway.compliance.quiet_hours import parse_window

NINE_TO_FIVE = parse_window("09:00-17:00")
WEEKDAYS_ONLY = BusinessHours(
    zone=ZoneInfo("Europe/Berlin"),
    weekly={day: NINE_TO_FIVE for day in range(5)},
    holidays=frozenset({date(2026, 12, 25)}),
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_open_during_the_day() -> None:
    assert WEEKDAYS_ONLY.is_open(at("2026-06-03T10:00"))  # Wednesday 12:00 Berlin


def test_evening_belongs_to_the_period_that_began_at_closing() -> None:
    assert WEEKDAYS_ONLY.closed_since(at("2026-06-03T18:00")) == at("2026-06-03T15:00")


def test_early_morning_is_the_same_period_as_the_evening_before() -> None:
    evening = WEEKDAYS_ONLY.closed_since(at("2026-06-03T20:00"))
    morning = WEEKDAYS_ONLY.closed_since(at("2026-06-04T05:00"))
    assert evening == morning


def test_weekend_is_one_period_from_friday_closing() -> None:
    friday_close = at("2026-06-05T15:00")
    assert WEEKDAYS_ONLY.closed_since(at("2026-06-06T12:00")) == friday_close
    assert WEEKDAYS_ONLY.closed_since(at("2026-06-08T06:00")) == friday_close


def test_holiday_is_closed_all_day() -> None:
    assert not WEEKDAYS_ONLY.is_open(at("2026-12-25T10:00"))  # a Friday
    assert WEEKDAYS_ONLY.closed_since(at("2026-12-25T10:00")) == at("2026-12-24T16:00")


def test_no_hours_at_all_is_one_endless_period() -> None:
    assert BusinessHours().closed_since(at("2026-06-03T10:00")) == ALWAYS_CLOSED_SINCE
