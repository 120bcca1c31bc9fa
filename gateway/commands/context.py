"""What every command shares: the configuration, the database, and one way to fail.

A bad configuration or an old schema stops a command with one line on stderr
(``cellgate: FILE: key: reason``) and exit status 2.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import click
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gateway import migrate
from gateway.config import Config, ConfigError, load
from gateway.db import make_engine
from gateway.errors import GatewayError
from gateway.sessions import gated_sessions


def fail(message: str) -> NoReturn:
    click.echo(f"cellgate: {message}", err=True)
    sys.exit(2)


def load_config(ctx: click.Context) -> Config:
    try:
        config = load(ctx.find_root().obj["config_path"])
    except ConfigError as exc:
        fail(str(exc))
    logging.basicConfig(
        level=config.logging.level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return config


def open_database(config: Config) -> Engine:
    config.data_dir.mkdir(parents=True, exist_ok=True)
    return make_engine(config.database_url)


def require_current_schema(engine: Engine) -> None:
    current, head = migrate.current_revision(engine), migrate.head_revision()
    if current != head:
        fail(
            f"the database is at revision {current or 'none'}, this Cellgate needs {head}: "
            "run `cellgate init` (or `cellgate db upgrade`) first"
        )


@contextmanager
def database(ctx: click.Context) -> Iterator[Session]:
    """A session on the configured, migrated database, committed when the block succeeds;
    a gateway error stops the command with its message."""
    config = load_config(ctx)
    engine = open_database(config)
    require_current_schema(engine)
    try:
        with gated_sessions(config, engine)() as session:
            yield session
            session.commit()
    except GatewayError as exc:
        fail(str(exc))
    finally:
        engine.dispose()
