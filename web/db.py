"""One database session per request, closed when the request ends."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session, sessionmaker


def get_session() -> Session:
    if "db" not in g:
        factory: sessionmaker[Session] = current_app.extensions["cellgate.sessions"]
        g.db = factory()
    session: Session = g.db
    return session


def close_session(_error: BaseException | None = None) -> None:
    session: Session | None = g.pop("db", None)
    if session is not None:
        session.close()


def init_app(app: Flask, factory: sessionmaker[Session]) -> None:
    app.extensions["cellgate.sessions"] = factory
    app.teardown_appcontext(close_session)
