"""The campaign clock: APScheduler 3 with its job store in the gateway's database.

STYLE.md point 10: the scheduler is only a clock. Its one persistent job,
``campaigns.materialise_due``, runs every ``[campaigns] check_seconds`` and calls
:func:`gateway.campaigns.run.materialise_due`; what to send and when lives in the
``campaigns`` and ``campaign_runs`` tables, so schedules survive restarts because the
database does, and the job store holds nothing but the clock. The job is stored by
reference to :func:`tick` with no arguments (nothing of this process is pickled) and
re-registered with ``replace_existing`` at each start.

APScheduler's own misfire settings only concern the clock job: ``coalesce`` folds
ticks missed while busy or down into one, and a missed tick is always run
(``misfire_grace_time=None``). The campaign misfire policy is applied by
``materialise_due`` from ``[campaigns] misfire_grace_minutes`` (see gateway.campaigns.run).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from gateway.campaigns.run import materialise_due
from gateway.config import Config
from gateway.db import log_failure, make_engine
from gateway.models import utcnow
from gateway.models.campaign import scheduler_jobs

log = logging.getLogger(__name__)

JOB_ID = "campaigns.materialise_due"

_running: list[CampaignScheduler] = []
_running_lock = threading.Lock()


def tick() -> None:
    """The stored job: every campaign scheduler of this process materialises what is due."""
    with _running_lock:
        schedulers = list(_running)
    for scheduler in schedulers:
        scheduler.run_once()


class CampaignScheduler:
    def __init__(
        self,
        config: Config,
        sessions: sessionmaker[Session],
        engine: Engine,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._settings = config.campaigns
        self._grace = timedelta(minutes=config.campaigns.misfire_grace_minutes)
        # The job store gets an engine of its own: APScheduler disposes its engine at
        # shutdown, which would cut the connections the workers still hold on ours.
        url = engine.url.render_as_string(hide_password=False)
        store = SQLAlchemyJobStore(engine=make_engine(url), tablename=scheduler_jobs.name)
        self._scheduler = BackgroundScheduler(
            jobstores={"default": store},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC,
        )

    def start(self) -> None:
        with _running_lock:
            _running.append(self)
        self._scheduler.add_job(
            tick,
            "interval",
            seconds=self._settings.check_seconds,
            id=JOB_ID,
            replace_existing=True,
        )
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)
        with _running_lock:
            if self in _running:
                _running.remove(self)

    def run_once(self) -> int:
        """Fire and materialise what is due now; the work of one tick."""
        try:
            with self._sessions() as session:
                return materialise_due(
                    session, self._clock(), batch=self._settings.batch_size, grace=self._grace
                )
        except Exception as exc:
            log_failure(log, exc, "materialising campaign runs failed; the next tick retries")
            return 0
