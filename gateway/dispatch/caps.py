"""Daily and monthly SMS caps of a SIM plan, counted in the business's time zone.

Counts are SMS parts, because that is what a plan bills. The worker that owns the modem
is the only sender on it, so it counts locally after one query per period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.models import Message


def day_start(now: datetime, zone: ZoneInfo) -> datetime:
    local = now.astimezone(zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def month_start(now: datetime, zone: ZoneInfo) -> datetime:
    return day_start(now, zone).replace(day=1)


def sent_parts_since(session: Session, modem: str, since: datetime) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(Message.segments), 0)).where(
            Message.sent_modem == modem, Message.sent_at >= since
        )
    )
    return int(total or 0)


@dataclass
class SendCaps:
    daily: int  # 0: no cap
    monthly: int
    zone: ZoneInfo
    today: int = 0
    this_month: int = 0
    _day: datetime | None = field(default=None, init=False)
    _month: datetime | None = field(default=None, init=False)

    def stale(self, now: datetime) -> bool:
        """Whether a new day (so maybe a month) has begun since the last count, or none
        was made. Asked before every send, so it compares instead of converting zones."""
        return self._day is None or not self._day <= now < self._day_end(self._day)

    @staticmethod
    def _day_end(day: datetime) -> datetime:
        return day + timedelta(days=1)  # wall-clock arithmetic: DST-safe

    def refresh(self, session: Session, modem: str, now: datetime) -> None:
        """Recount when a new day or month has begun (and the first time)."""
        day, month = day_start(now, self.zone), month_start(now, self.zone)
        if day != self._day:
            self._day, self.today = day, sent_parts_since(session, modem, day)
        if month != self._month:
            self._month, self.this_month = month, sent_parts_since(session, modem, month)

    def add(self, parts: int) -> None:
        self.today += parts
        self.this_month += parts

    def allow(self, parts: int) -> bool:
        """Whether ``parts`` more fit under the caps."""
        return (not self.daily or self.today + parts <= self.daily) and (
            not self.monthly or self.this_month + parts <= self.monthly
        )

    def reached(self) -> str | None:
        """Why this SIM must stop for now, or ``None``."""
        if self.daily and self.today >= self.daily:
            return f"daily cap of {self.daily} SMS reached"
        if self.monthly and self.this_month >= self.monthly:
            return f"monthly cap of {self.monthly} SMS reached"
        return None

    def resumes_at(self) -> datetime:
        """When the cap that was reached lifts."""
        assert self._day is not None
        assert self._month is not None
        if self.daily and self.today >= self.daily:
            return self._day_end(self._day)
        return (self._month + timedelta(days=32)).replace(day=1)
