"""Quiet hours in the recipient's local time, deferral to the next allowed moment."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.compliance.quiet_hours import QuietHours, Window, parse_window

NEW_YORK = "+12125550100"
LONDON = "+442071234567"
SYDNEY = "+61212345678"
RUSSIA_MOBILE = "+79161234567"  # phonenumbers maps it to many zones
UNKNOWN = "+15550000001"  # a reserved US range with no known zone


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_parse_window() -> None:
    assert parse_window("08:00-21:00") == Window(time(8), time(21))
    assert parse_window(" 9:30 - 24:00 ").end == time.max
    with pytest.raises(ValueError, match="HH:MM"):
        parse_window("8-21")
    with pytest.raises(ValueError, match="start before"):
        parse_window("21:00-08:00")


def test_allowed_now_is_returned_unchanged() -> None:
    now = at("2026-06-01T15:00")  # 11:00 in New York
    assert QuietHours().next_allowed(now, NEW_YORK) == now


def test_night_in_new_york_defers_to_eight_local() -> None:
    now = at("2026-06-01T03:00")  # 23:00 the day before in New York (EDT, UTC-4)
    assert QuietHours().next_allowed(now, NEW_YORK) == at("2026-06-01T12:00")


def test_same_moment_differs_by_recipient_zone() -> None:
    now = at("2026-06-01T12:00")  # 13:00 London, 22:00 Sydney, 08:00 New York
    quiet = QuietHours()
    assert quiet.next_allowed(now, LONDON) == now
    assert quiet.next_allowed(now, NEW_YORK) == now
    assert quiet.next_allowed(now, SYDNEY) == at("2026-06-01T22:00")  # 08:00 next day


def test_contact_override_wins_over_the_number() -> None:
    now = at("2026-06-01T12:00")
    assert QuietHours().next_allowed(now, SYDNEY, "Europe/London") == now


def test_region_window_overrides_the_default() -> None:
    quiet = QuietHours(regions={"GB": parse_window("09:00-20:00")})
    now = at("2026-01-10T08:30")  # 08:30 in London (GMT)
    assert quiet.next_allowed(now, LONDON) == at("2026-01-10T09:00")


def test_unknown_zone_falls_back_to_the_business_zone() -> None:
    quiet = QuietHours(fallback_zone="Europe/Paris")
    now = at("2026-01-10T06:30")  # 07:30 in Paris
    assert quiet.next_allowed(now, UNKNOWN) == at("2026-01-10T07:00")


def test_several_zones_must_all_allow_it() -> None:
    quiet = QuietHours()
    zones = quiet.zones_for(RUSSIA_MOBILE)
    assert len(zones) > 1
    chosen = quiet.next_allowed(at("2026-03-01T00:00"), RUSSIA_MOBILE)
    for zone in zones:
        assert quiet.default.allows(chosen.astimezone(zone).time())


def test_windows_that_never_overlap_honour_the_first_zone() -> None:
    narrow = QuietHours(default=parse_window("10:00-11:00"))
    chosen = narrow.next_allowed(at("2026-03-01T00:00"), RUSSIA_MOBILE)
    first = narrow.zones_for(RUSSIA_MOBILE)[0]
    assert narrow.default.allows(chosen.astimezone(first).time())


def test_daylight_saving_change_in_new_york() -> None:
    # 2026-03-08 02:00 local clocks go forward; 08:00 EDT is 12:00 UTC.
    now = at("2026-03-08T06:00")
    assert QuietHours().next_allowed(now, NEW_YORK) == at("2026-03-08T12:00")


@given(
    st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
    ),
    st.sampled_from([NEW_YORK, LONDON, SYDNEY, RUSSIA_MOBILE, UNKNOWN, "+18085550100"]),
)
def test_deferral_is_allowed_everywhere_and_within_a_day(now: datetime, number: str) -> None:
    quiet = QuietHours()
    chosen = quiet.next_allowed(now, number)
    assert now <= chosen < now + timedelta(days=1)
    for zone in quiet.zones_for(number):
        assert quiet.default.allows(chosen.astimezone(zone).time())
