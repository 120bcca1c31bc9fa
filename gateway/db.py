"""Engines and sessions: SQLite tuned for a gateway, PostgreSQL through psycopg 3."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import CursorResult, Engine, Executable, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT = 10.0


def normalise_url(url: str) -> str:
    """Pick psycopg 3 for plain ``postgresql://`` URLs (SQLAlchemy would pick psycopg2)."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the web UI read while a worker writes; foreign keys are off by default.
    # synchronous=FULL puts every commit on disk before it returns: with NORMAL a power
    # cut (a Pi's usual crash) may undo the last commits, and with them a message the
    # API had accepted, or the record that one was sent (so it would go out again).
    # (The busy timeout, which makes writers queue instead of failing with "database
    # is locked", is set when connecting.)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def make_engine(url: str, *, busy_timeout: float = SQLITE_BUSY_TIMEOUT) -> Engine:
    """``busy_timeout``: how long a SQLite writer waits for another's lock (seconds)."""
    url = normalise_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": busy_timeout}
        )
        event.listen(engine, "connect", _tune_sqlite)
        return engine
    return create_engine(url, pool_pre_ping=True)


# SQLite locked past its busy timeout, PostgreSQL restarting, unreachable or asking for
# a retry (deadlock, serialisation), or every pooled connection busy.
UNAVAILABLE: tuple[type[Exception], ...] = (OperationalError, PoolTimeout)


# SQLite's result codes for faults that waiting does not mend, though its driver raises
# them as OperationalError too: SQL or a schema the code does not match ("no such
# table": a database never upgraded), a damaged file, a file that is not a database.
_SQLITE_FAULTS = frozenset({1, 11, 26})  # SQLITE_ERROR, SQLITE_CORRUPT, SQLITE_NOTADB


def is_transient(exc: BaseException) -> bool:
    """Whether waiting may cure ``exc``: one of :data:`UNAVAILABLE` (a locked or full
    SQLite file, PostgreSQL unreachable or asking for a retry), or a connection that
    broke. Anything else is a fault that waiting does not mend."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if not isinstance(exc, UNAVAILABLE):
        return False
    code = getattr(getattr(exc, "orig", None), "sqlite_errorcode", None)
    return code is None or code & 0xFF not in _SQLITE_FAULTS


def describe(exc: BaseException) -> str:
    """The driver's own words for a database error, on one line: SQLAlchemy's text adds
    the statement and its parameters, which hold phone numbers and message bodies."""
    cause = exc.orig if isinstance(exc, DBAPIError) else exc
    text = " ".join(str(cause).split())
    return text or type(cause).__name__


def log_failure(logger: logging.Logger, exc: BaseException, what: str, *args: object) -> None:
    """Log ``what`` went wrong: a database that is unavailable on one line (it will be
    said often while it lasts), anything else with its traceback."""
    if is_transient(exc):
        logger.warning(f"{what}: the database is unavailable: %s", *args, describe(exc))
    else:
        logger.error(what, *args, exc_info=exc)


def execute_core(
    session: Session, statement: Executable, params: dict[str, Any] | list[dict[str, Any]]
) -> CursorResult[*tuple[Any, ...]]:
    """Run a Core statement on ``session``'s connection, in its transaction.

    The ORM's statement handling (execution events, option merging) cost 10-20 % of the
    CPU of a send worker's transaction, and these statements make no objects. Like the
    ORM with a Core statement, this does not flush what the session holds.
    """
    return session.connection().execute(statement, params)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
