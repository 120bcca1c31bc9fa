"""Creating, checking and finding campaigns.

Everything a campaign needs is checked when it is saved: the template against the
declared fields, the segment, the schedule (a cron expression that parses, a relative
field that is a declared date/time), so a campaign that saves is one that can run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import contact_fields, segments, templating
from gateway.campaigns import timing
from gateway.errors import NotFound, ValidationError
from gateway.models import Campaign, CampaignStatus, FieldType, ScheduleKind

MAX_PER_MINUTE = 6000
MAX_OFFSET_MINUTES = 366 * 24 * 60


@dataclass(frozen=True)
class CampaignSpec:
    name: str
    body: str
    segment_id: int | None = None
    schedule: str = ScheduleKind.NOW
    send_at: datetime | None = None
    cron: str | None = None
    time_zone: str = "UTC"
    relative_field: str | None = None
    offset_minutes: int = 0
    per_minute: int | None = None
    transliterate: bool = False


def _check(session: Session, spec: CampaignSpec) -> None:
    name = spec.name.strip()
    if not name or len(name) > 64:
        raise ValidationError("a campaign needs a name of 1-64 characters", field="name")
    if session.scalar(select(Campaign.id).where(Campaign.name == name)) is not None:
        raise ValidationError(f"a campaign named {name!r} exists", field="name")
    templating.check(session, spec.body, transliterate=spec.transliterate)
    if spec.segment_id is not None:
        segments.get(session, spec.segment_id)
    try:
        kind = ScheduleKind(spec.schedule)
    except ValueError:
        raise ValidationError(f"unknown schedule {spec.schedule!r}", field="schedule") from None
    try:
        ZoneInfo(spec.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"unknown time zone {spec.time_zone!r}", field="time_zone") from None
    if kind is ScheduleKind.AT and spec.send_at is None:
        raise ValidationError("a campaign sent at a time needs send_at", field="send_at")
    if kind is ScheduleKind.CRON:
        timing.cron_trigger(spec.cron or "", spec.time_zone)
    if kind is ScheduleKind.RELATIVE:
        types = contact_fields.types(session)
        if spec.relative_field is None or types.get(spec.relative_field) is not FieldType.DATETIME:
            raise ValidationError(
                "a relative campaign needs a declared date/time field", field="relative_field"
            )
    if abs(spec.offset_minutes) > MAX_OFFSET_MINUTES:
        raise ValidationError("the offset is at most a year", field="offset_minutes")
    if spec.per_minute is not None and not 1 <= spec.per_minute <= MAX_PER_MINUTE:
        raise ValidationError(
            f"the throughput limit is 1-{MAX_PER_MINUTE} a minute", field="per_minute"
        )


def create(session: Session, spec: CampaignSpec, now: datetime) -> Campaign:
    """Store a draft campaign (checked) and commit it."""
    _check(session, spec)
    campaign = Campaign(
        name=spec.name.strip(),
        body=spec.body,
        segment_id=spec.segment_id,
        status=CampaignStatus.DRAFT,
        schedule=spec.schedule,
        send_at=spec.send_at,
        cron=spec.cron if spec.schedule == ScheduleKind.CRON else None,
        time_zone=spec.time_zone,
        relative_field=spec.relative_field if spec.schedule == ScheduleKind.RELATIVE else None,
        offset_minutes=spec.offset_minutes,
        per_minute=spec.per_minute,
        transliterate=spec.transliterate,
        created_at=now,
    )
    session.add(campaign)
    session.commit()
    return campaign


def get(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(f"no campaign {campaign_id}")
    return campaign


def all_campaigns(session: Session) -> list[Campaign]:
    return list(session.scalars(select(Campaign).order_by(Campaign.id.desc())))


def template_of(campaign: Campaign) -> templating.CampaignTemplate:
    return templating.CampaignTemplate(campaign.body, campaign.transliterate)
