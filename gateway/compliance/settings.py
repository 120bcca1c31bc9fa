"""The compliance and auto-reply rules as the configuration states them."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from gateway.autoreply.business_hours import WEEKDAYS, BusinessHours
from gateway.compliance.caps import FrequencyCap
from gateway.compliance.gate import Policy
from gateway.compliance.keywords import KeywordSet
from gateway.compliance.quiet_hours import QuietHours, Window, parse_window
from gateway.config import Config


def _labelled(entries: tuple[str, ...]) -> dict[str, Window]:
    pairs = (entry.partition("=") for entry in entries)
    return {label.strip(): parse_window(window) for label, _, window in pairs}


def policy(config: Config) -> Policy:
    section = config.compliance
    regions = {label.upper(): w for label, w in _labelled(section.quiet_hours_regions).items()}
    return Policy(
        quiet_hours=QuietHours(
            default=parse_window(section.quiet_hours),
            regions=regions,
            fallback_zone=config.gateway.timezone,
        ),
        cap=FrequencyCap(section.marketing_cap, timedelta(hours=section.marketing_cap_hours)),
        keywords=KeywordSet(
            opt_out=section.opt_out_keywords,
            opt_in=section.opt_in_keywords,
            help=section.help_keywords,
            natural_language=section.natural_language_opt_out,
        ),
        opt_out_reply=section.opt_out_reply,
        opt_in_reply=section.opt_in_reply,
        help_reply=section.help_reply,
    )


def business_hours(config: Config) -> BusinessHours:
    weekly = {
        WEEKDAYS.index(label.lower()): window
        for label, window in _labelled(config.autoreply.hours).items()
    }
    return BusinessHours(
        zone=ZoneInfo(config.gateway.timezone),
        weekly=weekly,
        holidays=frozenset(date.fromisoformat(day) for day in config.autoreply.holidays),
    )
