"""A 100,000-contact campaign on SQLite: time to render and queue it, and peak memory.

Targets (issue 9): render and queue in 30 s or less, peak RSS 250 MB or less. Every
message goes through the ORM and the compliance gate, as in production; the audience
is read in batches. Prints a table; run with ``.venv/bin/python bench/bench_campaign.py``.

The machine may be shared, so the table gives the CPU time (user + system) of the
render and queue step next to its wall time. ``--audience uk`` (the default) is the
audience of the issue's measurements: numbers in a UK range phonenumbers does not know,
so every zone lookup falls back to the business's zone. ``--audience world`` spreads
the contacts over twelve countries' valid mobile numbers, several of which map to many
zones (US, AU, RU), so quiet hours defer part of the campaign as they would for real.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import phonenumbers
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from gateway import contact_fields
from gateway.campaigns import store
from gateway.campaigns.control import schedule
from gateway.campaigns.run import materialise_due
from gateway.config import Config, load
from gateway.db import make_engine
from gateway.migrate import upgrade
from gateway.models import Contact, Message
from gateway.sessions import gated_sessions

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
FIRST = ("Ada", "Grace", "Alan", "", "Émile", "Linus", "Margaret", "")
WORLD = ("GB", "DE", "FR", "US", "CA", "BR", "AU", "RU", "IN", "JP", "MX", "NZ")


def uk_number(index: int) -> str:
    return f"+4477009{index:05d}"


def world_number(index: int) -> str:
    """A valid mobile number of one of :data:`WORLD`'s countries, unique per index."""
    region = WORLD[index % len(WORLD)]
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    assert example is not None, region
    e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
    return f"{e164[:-5]}{index // len(WORLD):05d}"


AUDIENCES = {"uk": uk_number, "world": world_number}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seed(
    sessions: sessionmaker[Session], count: int, number: Callable[[int], str], chunk: int = 5000
) -> None:
    """Contacts written with Core in chunks: they are not messages, the gate has nothing to see."""
    for first in range(0, count, chunk):
        rows = [
            {
                "number": number(index),
                "number_kind": "e164",
                "first_name": FIRST[index % len(FIRST)],
                "last_name": "",
                "tags": ["customer"],
                "fields": {"city": random.choice(["Leeds", "York", ""])},
                "opted_out": index % 50 == 0,
                "created_at": NOW - timedelta(days=30),
            }
            for index in range(first, min(first + chunk, count))
        ]
        with sessions() as session:
            session.execute(insert(Contact), rows)
            session.commit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--audience", choices=sorted(AUDIENCES), default="uk")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        config: Config = load(None)
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        upgrade(engine)
        sessions = gated_sessions(config, engine)
        seed(sessions, args.contacts, AUDIENCES[args.audience])
        rss_before = peak_rss_mb()
        with sessions() as session:
            contact_fields.declare(session, "city", "text")
            campaign = store.create(
                session,
                store.CampaignSpec(
                    name="bench",
                    body="Hi {{first_name|there}}, 20% off in {{city|town}} this week!",
                ),
                NOW,
            )
            schedule(session, campaign.id, NOW)
            started, cpu_started = time.perf_counter(), time.process_time()
            made = materialise_due(session, NOW, batch=args.batch, grace=timedelta(hours=1))
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
            states = dict(
                session.execute(select(Message.state, func.count()).group_by(Message.state)).all()
            )
        engine.dispose()
    rows = [
        ("contacts", f"{args.contacts:,} ({args.audience})"),
        ("batch size", f"{args.batch:,}"),
        ("messages created", f"{made:,}"),
        ("states", ", ".join(f"{k} {v:,}" for k, v in sorted(states.items()))),
        ("render + queue time", f"{elapsed:.1f} s (target <= 30 s)"),
        ("render + queue CPU time", f"{cpu:.1f} s (user + system)"),
        ("messages per second", f"{made / elapsed:,.0f}"),
        ("peak RSS after seeding", f"{rss_before:.0f} MB"),
        ("peak RSS", f"{peak_rss_mb():.0f} MB (target <= 250 MB)"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
