"""Campaigns, the runs that materialise them, and APScheduler's own job table.

A campaign says what to send (a template), to whom (a segment) and when (its
schedule). Each time it fires, a :class:`CampaignRun` row records the run and how far
materialising it has got, so a crash half-way through a 100,000-contact run resumes
where it stopped instead of starting again or losing the rest. The messages themselves
are ordinary outbound rows (the queue), tied to the campaign through ``message_meta``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, utcnow


class CampaignStatus(StrEnum):
    DRAFT = "draft"  # being written; never fires
    ACTIVE = "active"  # its schedule fires
    PAUSED = "paused"  # outstanding messages withdrawn, schedule held
    FINISHED = "finished"  # a one-off that has run
    CANCELLED = "cancelled"


class ScheduleKind(StrEnum):
    NOW = "now"
    AT = "at"  # once, at ``send_at``
    CRON = "cron"  # recurring, ``cron`` in the campaign's time zone
    RELATIVE = "relative"  # ``offset_minutes`` from each contact's ``relative_field``


class RunState(StrEnum):
    PENDING = "pending"  # fired; messages still to be created
    DONE = "done"
    MISSED = "missed"  # due while the gateway was down, beyond the misfire grace
    CANCELLED = "cancelled"


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Also the tag in message_meta.campaign and keyword_rules.campaign: fixed once created.
    name: Mapped[str] = mapped_column(String(64), unique=True)
    body: Mapped[str] = mapped_column(Text)
    # Everyone who may be texted when None.
    segment_id: Mapped[int | None] = mapped_column(
        ForeignKey("segments.id", ondelete="RESTRICT"), default=None
    )
    status: Mapped[str] = mapped_column(String(16), default=CampaignStatus.DRAFT)
    schedule: Mapped[str] = mapped_column(String(16), default=ScheduleKind.NOW)
    send_at: Mapped[datetime | None] = mapped_column(default=None)
    cron: Mapped[str | None] = mapped_column(String(128), default=None)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    relative_field: Mapped[str | None] = mapped_column(String(64), default=None)
    # Negative: before the contact's date ("24 h before appointment_at" is -1440).
    offset_minutes: Mapped[int] = mapped_column(default=0)
    # Messages per minute for this campaign; as fast as the modems allow when None.
    per_minute: Mapped[int | None] = mapped_column(default=None)
    transliterate: Mapped[bool] = mapped_column(default=False)
    # The next moment the schedule fires (None: not scheduled). Business state lives
    # here, never in APScheduler's job store.
    next_run_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    # Relative campaigns: contact moments up to here have been considered.
    checked_until: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CampaignRun(Base):
    """One firing of a campaign; unique per moment so two nodes cannot both fire it."""

    __tablename__ = "campaign_runs"
    __table_args__ = (
        UniqueConstraint("campaign_id", "run_at", name="uq_campaign_runs_campaign_id_run_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    run_at: Mapped[datetime]
    # Relative campaigns: contacts whose moment falls in (window_start, run_at].
    window_start: Mapped[datetime | None] = mapped_column(default=None)
    state: Mapped[str] = mapped_column(String(16), default=RunState.PENDING, index=True)
    # The last contact id materialised: a resumed run continues after it.
    cursor: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


# APScheduler's SQLAlchemyJobStore table, declared here (same shape as the library's)
# and created by migration 0500 so Alembic owns every table in the database.
scheduler_jobs = Table(
    "apscheduler_jobs",
    Base.metadata,
    Column("id", String(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)
