"""When a campaign fires: its first and next moments, and the misfire rule.

Cron expressions are read with APScheduler's own ``CronTrigger`` (used here as a
calculator only), in the campaign's time zone, so "0 9 * * 1" is 09:00 local on
Mondays across daylight-saving changes. Numeric weekdays are read as crontab means them
(0 and 7 Sunday): APScheduler 3 counts 0 as Monday, so they are turned into names first.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from gateway.errors import ValidationError
from gateway.models import Campaign, ScheduleKind

# A relative campaign looks for contacts whose moment has come this often.
RELATIVE_TICK = timedelta(minutes=1)


WEEKDAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_NUMBER = re.compile(r"(?<![/\d])[0-7](?!\d)")


def cron_trigger(expression: str, zone: str) -> CronTrigger:
    fields = expression.split()
    if len(fields) == 5:
        fields[4] = _WEEKDAY_NUMBER.sub(lambda m: WEEKDAY_NAMES[int(m.group(0))], fields[4])
    try:
        return CronTrigger.from_crontab(" ".join(fields), timezone=ZoneInfo(zone))
    except (ValueError, KeyError) as exc:
        raise ValidationError(f"not a cron expression: {exc}", field="cron") from None


def next_cron(expression: str, zone: str, after: datetime) -> datetime | None:
    """The first firing strictly after ``after``."""
    trigger = cron_trigger(expression, zone)
    moment: datetime | None = trigger.get_next_fire_time(None, after + timedelta(seconds=1))
    return moment


def first_run(campaign: Campaign, now: datetime) -> datetime | None:
    """When a campaign just scheduled fires first."""
    kind = ScheduleKind(campaign.schedule)
    if kind is ScheduleKind.NOW or kind is ScheduleKind.RELATIVE:
        return now
    if kind is ScheduleKind.AT:
        if campaign.send_at is None:
            raise ValidationError("a campaign sent at a time needs send_at", field="send_at")
        return campaign.send_at
    if not campaign.cron:
        raise ValidationError("a recurring campaign needs a cron expression", field="cron")
    return next_cron(campaign.cron, campaign.time_zone, now - timedelta(seconds=1))


def after_run(campaign: Campaign, now: datetime) -> datetime | None:
    """When it fires next once a run at ``now`` is recorded; None for a one-off."""
    kind = ScheduleKind(campaign.schedule)
    if kind is ScheduleKind.CRON and campaign.cron:
        return next_cron(campaign.cron, campaign.time_zone, now)
    if kind is ScheduleKind.RELATIVE:
        return now + RELATIVE_TICK
    return None


def misfired(moment: datetime, now: datetime, grace: timedelta) -> bool:
    return now - moment > grace
