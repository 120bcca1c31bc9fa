"""The business hours and compliance forms of Settings: how each key admins may override
(gateway.setting_overrides.EDITABLE) is typed into the page and shown back.

Parsing stops at the config file's spelling (lists of strings, numbers, booleans): the
config schema's converters, applied by gateway.setting_overrides, judge the values, so
the page accepts what the config file would and says why it refuses the rest.
"""

from __future__ import annotations

import calendar
import re
from typing import Any

from werkzeug.datastructures import MultiDict

from gateway import setting_overrides
from gateway.autoreply.business_hours import WEEKDAYS

LABELS = {
    "autoreply.enabled": "Out-of-hours auto-reply",
    "autoreply.text": "Auto-reply text",
    "autoreply.hours": "Opening hours",
    "autoreply.holidays": "Holidays",
    "compliance.quiet_hours": "Marketing allowed between",
    "compliance.quiet_hours_regions": "Windows by recipient region",
    "compliance.marketing_cap": "Marketing messages per contact",
    "compliance.marketing_cap_hours": "Cap window in hours",
    "compliance.opt_out_keywords": "Opt-out keywords",
    "compliance.opt_in_keywords": "Opt-in keywords",
    "compliance.help_keywords": "Help keywords",
    "compliance.natural_language_opt_out": "Plain-language opt-outs",
    "compliance.opt_out_reply": "Opt-out confirmation",
    "compliance.opt_in_reply": "Opt-in confirmation",
    "compliance.help_reply": "Help reply",
}
GROUPS = {
    group: tuple(key for key in setting_overrides.EDITABLE if key.startswith(section + "."))
    for group, section in (("hours", "autoreply"), ("compliance", "compliance"))
}
GROUP_TITLES = {"hours": "Business hours", "compliance": "Compliance rules"}
FLAGS = frozenset({"autoreply.enabled", "compliance.natural_language_opt_out"})
NUMBERS = frozenset({"compliance.marketing_cap", "compliance.marketing_cap_hours"})
LISTS = frozenset(
    {
        "autoreply.holidays",
        "compliance.quiet_hours_regions",
        "compliance.opt_out_keywords",
        "compliance.opt_in_keywords",
        "compliance.help_keywords",
    }
)
ONE_PER_LINE = frozenset({"compliance.quiet_hours_regions"})
HOURS = "autoreply.hours"
DAY_NAMES = dict(zip(WEEKDAYS, calendar.day_name, strict=True))


def _weekly(entries: tuple[str, ...]) -> dict[str, str]:
    pairs = (entry.partition("=") for entry in entries)
    return {day.strip().lower(): window.strip() for day, _, window in pairs}


def shown(key: str, value: Any) -> Any:
    """``value`` as the form's input for ``key`` shows it."""
    if key in FLAGS:
        return value
    if key == HOURS:
        return _weekly(value)
    if key in LISTS:
        return ("\n" if key in ONE_PER_LINE else ", ").join(value)
    if key in NUMBERS:
        return f"{value:g}"
    return value


def summary(key: str, value: Any) -> str:
    """``value`` in one line, to say what the config file has."""
    if key in FLAGS:
        return "on" if value else "off"
    if key == HOURS:
        return ", ".join(f"{day} {window}" for day, window in _weekly(value).items()) or "closed"
    if key in LISTS:
        return ", ".join(value) or "none"
    return str(shown(key, value))


def typed(key: str, form: MultiDict[str, str]) -> Any:
    """What the admin typed for ``key``, as the form shows it back."""
    if key in FLAGS:
        return key in form
    if key == HOURS:
        return {day: form.get(f"{HOURS}.{day}", "") for day in WEEKDAYS}
    return form.get(key, "")


def _number(text: str) -> int | float | str:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text  # the converter says what is wrong with it


def value(key: str, form: MultiDict[str, str]) -> Any:
    """What the admin typed for ``key``, spelt as the config file would spell it."""
    if key in FLAGS:
        return key in form
    if key == HOURS:
        return [
            f"{day}={text}"
            for day in WEEKDAYS
            if (text := form.get(f"{HOURS}.{day}", "").strip()) and text.lower() != "closed"
        ]
    text = form.get(key, "").strip()
    if key in LISTS:
        return [item.strip() for item in re.split(r"[,\n]", text) if item.strip()]
    if key in NUMBERS:
        return _number(text)
    return text
