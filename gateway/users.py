"""Accounts: creation, password checks. There is no default account or password."""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from gateway.errors import ValidationError
from gateway.models import Role, User

MIN_PASSWORD_LENGTH = 10
USERNAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
# Checked against when a username is unknown, so a login takes as long either way.
_DUMMY_HASH = generate_password_hash(secrets.token_urlsafe(16))


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            f"a password needs at least {MIN_PASSWORD_LENGTH} characters", field="password"
        )


def generate_password() -> str:
    """A random password for accounts made by tools (demo, init without a prompt)."""
    return secrets.token_urlsafe(12)


def create_user(
    session: Session,
    username: str,
    password: str,
    *,
    role: Role = Role.AGENT,
    display_name: str = "",
) -> User:
    if not USERNAME_PATTERN.fullmatch(username):
        raise ValidationError(
            "a username is 1-64 letters, digits, '.', '_', '@' or '-'", field="username"
        )
    validate_password(password)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ValidationError(f"user {username!r} already exists", field="username")
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=generate_password_hash(password),
        role=role,
        session_token=secrets.token_hex(16),
    )
    session.add(user)
    session.flush()
    return user


def set_password(user: User, password: str) -> None:
    validate_password(password)
    user.password_hash = generate_password_hash(password)
    user.session_token = secrets.token_hex(16)


def authenticate(session: Session, username: str, password: str, *, now: datetime) -> User | None:
    """The active user with these credentials, or None; records the login time."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    user.last_login_at = now
    return user


def count_admins(session: Session) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.active)
        )
        or 0
    )
