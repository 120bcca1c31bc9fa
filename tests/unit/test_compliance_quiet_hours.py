"""Quiet hours in the recipient's local time, deferral to the next allowed moment."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers.timezone import time_zones_for_number

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


# The lookup answers from caches and, when a moment is allowed in every zone a calling
# code can have, without asking phonenumbers at all. It must answer exactly what asking
# phonenumbers for every number, every time, answered: that is stated here once more,
# plainly, and the tests below hold the fast lookup to it.


def uncached_window(quiet: QuietHours, number: str) -> Window:
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        region = None
    return quiet.regions.get(region or "", quiet.default)


def uncached_zones(quiet: QuietHours, number: str, override: str | None) -> list[str]:
    if override:
        return [override]
    try:
        names = time_zones_for_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        names = ()
    return [name for name in names if name != "Etc/Unknown"] or [quiet.fallback_zone]


def uncached_next_allowed(
    quiet: QuietHours, now: datetime, number: str, override: str | None
) -> datetime:
    window = uncached_window(quiet, number)
    zones = [ZoneInfo(name) for name in uncached_zones(quiet, number, override)]

    def allowed(moment: datetime, zones: list[ZoneInfo]) -> bool:
        return all(window.allows(moment.astimezone(zone).time()) for zone in zones)

    if allowed(now, zones):
        return now
    openings = sorted(
        {
            opening
            for zone in zones
            for days in range(-1, 3)
            if (
                opening := datetime.combine(
                    now.astimezone(zone).date() + timedelta(days=days), window.start, tzinfo=zone
                ).astimezone(UTC)
            )
            > now
        }
    )
    everywhere = [opening for opening in openings if allowed(opening, zones)]
    return everywhere[0] if everywhere else min(o for o in openings if allowed(o, zones[:1]))


TRICKY = (
    NEW_YORK,
    LONDON,
    SYDNEY,
    RUSSIA_MOBILE,
    UNKNOWN,
    "+14155552671",  # San Francisco
    "+18085550100",  # Hawaii
    "+19075550100",  # Alaska
    "+18002345678",  # US toll-free: the zones of all +1
    "+16045550100",  # Vancouver
    "+14165550100",  # Toronto
    "+17095550100",  # Newfoundland, half an hour off
    "+12425550100",  # Bahamas, also +1
    "+16715550100",  # Guam, also +1, across the date line
    "+61412345678",  # Australian mobile: eight zones
    "+61892345678",  # Perth
    "+5511961234567",  # São Paulo
    "+5592981234567",  # Manaus
    "+74951234567",  # Moscow
    "+74232123456",  # Vladivostok
    "+77710009998",  # Kazakhstan, which shares +7
    "+447400123456",  # UK mobile
    "+447700900123",  # UK drama range: no zone
    "+441481256789",  # Guernsey, which shares +44
    "+447624123456",  # Isle of Man mobile
    "+6433050000",  # Chatham Islands, 45 minutes off
    "+6281234567890",  # Indonesian mobile: three zones
    "+686720123456",  # Kiribati: three zones, up to UTC+14
    "+8613912345678",  # China
    "+999123456",  # no such calling code
    "+1",  # too short to parse
    "+0123456789",  # no calling code starts with 0
    "+44 20 7946 0958",  # not plain E.164: parsed as always
    "+٤٤٢٠٧١٢٣٤٥٦٧",  # Arabic-Indic digits, which phonenumbers reads
    "not a number",
)
EXAMPLES = tuple(
    phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
    for region in sorted(phonenumbers.SUPPORTED_REGIONS)
    for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE)
    if (example := phonenumbers.example_number_for_type(region, kind)) is not None
)
POLICIES = (
    QuietHours(),
    QuietHours(
        regions={
            "GB": parse_window("09:00-20:00"),
            "GG": parse_window("10:00-12:00"),
            "US": parse_window("09:00-20:00"),
            "CA": parse_window("10:00-19:00"),
            "AU": parse_window("07:00-22:00"),
            "KZ": parse_window("11:00-18:00"),
        },
        fallback_zone="Europe/Paris",
    ),
    QuietHours(default=parse_window("10:00-11:00"), fallback_zone="Pacific/Auckland"),
)
OVERRIDES = (None, "", "Europe/London", "America/St_Johns", "Pacific/Kiritimati")


@pytest.mark.parametrize("quiet", POLICIES)
def test_window_and_zones_are_what_phonenumbers_says(quiet: QuietHours) -> None:
    for number in TRICKY + EXAMPLES:
        assert quiet.window_for(number) == uncached_window(quiet, number), number
        for override in OVERRIDES:
            zones = [zone.key for zone in quiet.zones_for(number, override)]
            assert zones == uncached_zones(quiet, number, override), (number, override)


@pytest.mark.parametrize("quiet", POLICIES)
def test_next_allowed_is_the_uncached_answer_around_the_clock(quiet: QuietHours) -> None:
    # Every 45 minutes (so each quarter hour in turn) over the clock changes of both
    # hemispheres; all numbers at each moment, so they share (and could spoil) caches.
    starts = (at("2026-03-07T12:00"), at("2026-04-04T00:00"), at("2026-10-24T12:00"))
    moments = [start + timedelta(minutes=45 * step) for start in starts for step in range(48)]
    for now in moments:
        for number in TRICKY:
            for override in (None, "America/St_Johns"):
                expected = uncached_next_allowed(quiet, now, number, override)
                assert quiet.next_allowed(now, number, override) == expected, (now, number)


@pytest.mark.parametrize("quiet", POLICIES)
def test_next_allowed_is_the_uncached_answer_for_every_region(quiet: QuietHours) -> None:
    for now in (at("2026-01-15T03:00"), at("2026-07-15T12:00"), at("2026-07-15T21:30")):
        for number in EXAMPLES:
            assert quiet.next_allowed(now, number) == uncached_next_allowed(
                quiet, now, number, None
            ), (now, number)


@given(
    st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
    ),
    st.sampled_from(TRICKY + EXAMPLES),
    st.sampled_from(OVERRIDES),
    st.sampled_from(POLICIES),
)
@settings(max_examples=300)
def test_next_allowed_is_the_uncached_answer(
    now: datetime, number: str, override: str | None, quiet: QuietHours
) -> None:
    assert quiet.next_allowed(now, number, override) == uncached_next_allowed(
        quiet, now, number, override
    )
