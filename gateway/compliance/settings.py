"""The compliance and auto-reply rules in force: the config file's, with admins' overrides.

:func:`rules` builds them from a :class:`Config`. :class:`LiveRules` gives the send
gate and the inbound pipeline the rules in force for each message: the config file's
values with the overrides saved in Settings (:mod:`gateway.setting_overrides`) applied.
Reading those for every message would cost a query each; instead it compares their
version (a ``count(*)`` over a table of a handful of rows) at most every
:data:`CHECK_SECONDS` and reloads only when it moved. So a change saved on another node
sharing the database is in force within that time, and one saved through a session
factory the rules follow (:meth:`LiveRules.follow`) at once.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from gateway import commit_signals, setting_overrides
from gateway.autoreply.business_hours import WEEKDAYS, BusinessHours
from gateway.compliance.caps import FrequencyCap
from gateway.compliance.gate import Policy
from gateway.compliance.keywords import KeywordSet
from gateway.compliance.quiet_hours import QuietHours, Window, parse_window
from gateway.config import Config

# How stale the rules may be on a node that did not make the change.
CHECK_SECONDS = 2.0


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


@dataclass(frozen=True)
class Rules:
    """Everything admins may change that decides what is sent."""

    policy: Policy
    business_hours: BusinessHours
    autoreply_enabled: bool
    autoreply_text: str


def rules(config: Config) -> Rules:
    return Rules(
        policy=policy(config),
        business_hours=business_hours(config),
        autoreply_enabled=config.autoreply.enabled,
        autoreply_text=config.autoreply.text,
    )


class LiveRules:
    """The rules in force, for one process; call it with any session on the database.

    Thread-safe: workers, the web server and the webhook thread share one.
    """

    def __init__(
        self,
        config: Config,
        *,
        check_seconds: float = CHECK_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._check_seconds = check_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._rules = rules(config)
        self._version = -1  # no version read yet
        self._fresh_until = -math.inf
        self._invalidations = 0

    def __call__(self, session: Session) -> Rules:
        now = self._clock()
        with self._lock:
            if now < self._fresh_until:
                return self._rules
            known, invalidations = self._version, self._invalidations
        # Read outside the lock: a slow database must not stall other threads' cache hits.
        version = setting_overrides.version(session)
        reloaded = None
        if version != known:
            overrides = setting_overrides.load(session).values()
            reloaded = rules(setting_overrides.effective(self._config, overrides))
        with self._lock:
            if reloaded is not None:
                self._rules, self._version = reloaded, version
            if invalidations == self._invalidations:
                # Else a change committed while we read, perhaps after: look again next time.
                self._fresh_until = now + self._check_seconds
            return self._rules

    def policy(self, session: Session) -> Policy:
        """What the send gate needs (see :func:`gateway.compliance.gate.install`)."""
        return self(session).policy

    def invalidate(self) -> None:
        """Read the version again at the next message."""
        with self._lock:
            self._fresh_until = -math.inf
            self._invalidations += 1

    def follow(self, sessions: sessionmaker[Session]) -> Callable[[], None]:
        """Apply changes saved through ``sessions`` from their commit on; returns the undo."""
        return commit_signals.after_marked_commit(
            sessions, setting_overrides.CHANGED, self.invalidate
        )
