"""Consistent copies of the SQLite database while the gateway keeps running.

SQLite's online backup API copies pages under a read transaction, so the copy is
consistent even while workers write (a plain file copy of a WAL database is not).
PostgreSQL has its own tools for this; we point to them rather than reimplement them.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from gateway.errors import GatewayError


class BackupError(GatewayError):
    """The backup could not be written."""


def backup_sqlite(database_url: str, target: Path) -> Path:
    """Write a consistent copy of the database to ``target`` (a file or a folder)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupError(
            "cellgate backup copies SQLite databases; for PostgreSQL use pg_dump "
            f"(e.g. pg_dump -Fc -f cellgate.dump {url.database or 'cellgate'})"
        )
    source = Path(url.database or "")
    if not source.is_file():
        raise BackupError(f"no database at {source}: run `cellgate init` first")
    if target.is_dir():
        target = target / source.name
    if target.resolve() == source.resolve():
        raise BackupError("the backup must not overwrite the live database")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    try:
        with sqlite3.connect(source) as live, sqlite3.connect(partial) as copy:
            live.backup(copy)
        live.close()
        copy.close()
        partial.replace(target)
    except (sqlite3.Error, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"backup to {target} failed: {exc}") from None
    return target
