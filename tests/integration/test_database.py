"""Migrations and engine settings on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.orm import Session

from gateway import migrate
from gateway.db import make_engine
from gateway.errors import ValidationError
from gateway.models import Role, User, utcnow
from gateway.users import authenticate, create_user, set_password


def test_migrations_reach_head_and_create_the_tables(engine: Engine) -> None:
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert "users" in inspect(engine).get_table_names()


def test_upgrade_twice_is_harmless(engine: Engine) -> None:
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()


def test_sqlite_runs_in_wal_with_foreign_keys_a_busy_timeout_and_durable_commits(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 10_000
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
    engine.dispose()


def test_passwords_are_stored_hashed_and_checked(db_session: Session) -> None:
    user = create_user(db_session, "carol", "a long enough password", role=Role.ADMIN)
    assert "a long enough password" not in user.password_hash
    assert authenticate(db_session, "carol", "a long enough password", now=utcnow()) is user
    assert authenticate(db_session, "carol", "wrong password!!", now=utcnow()) is None
    assert authenticate(db_session, "nobody", "a long enough password", now=utcnow()) is None
    assert user.last_login_at is not None


def test_changing_a_password_invalidates_older_sessions(db_session: Session) -> None:
    user = create_user(db_session, "dave", "first password!")
    token = user.session_token
    set_password(user, "second password!")
    assert user.session_token != token


@pytest.mark.parametrize(
    ("username", "password", "field"),
    [
        ("", "long enough password", "username"),
        ("a b", "long enough password", "username"),
        ("erin", "short", "password"),
    ],
)
def test_bad_usernames_and_short_passwords_are_refused(
    db_session: Session, username: str, password: str, field: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        create_user(db_session, username, password)
    assert raised.value.field == field


def test_duplicate_username_is_refused(db_session: Session) -> None:
    create_user(db_session, "frank", "long enough password")
    with pytest.raises(ValidationError, match="already exists"):
        create_user(db_session, "frank", "long enough password")


def test_times_come_back_aware_in_utc(db_session: Session) -> None:
    user = create_user(db_session, "gina", "long enough password")
    db_session.commit()
    db_session.expire_all()
    loaded = db_session.get(User, user.id)
    assert loaded is not None
    assert loaded.created_at.utcoffset() is not None


def test_migrations_form_one_line_of_history() -> None:
    """Two branches written in parallel must be re-chained, never left as two heads."""
    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert len(script.get_heads()) == 1, script.get_heads()
