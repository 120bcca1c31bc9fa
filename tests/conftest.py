"""Shared test configuration.

``CELLGATE_REQUIRE_ALL_TESTS=1`` (set by ``.ci/run``) turns a skipped PostgreSQL or
browser test into a failure, so CI can never pass by skipping them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from gateway import migrate
from gateway.config import Config, GatewaySection
from gateway.db import make_engine, make_session_factory, normalise_url
from gateway.models import Role
from gateway.users import create_user
from web import create_app

pytest_plugins = ["tests.plugins.gateway_server", "tests.plugins.simulator"]

REQUIRED_MARKERS = ("postgres", "browser")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, None]:
    outcome = yield
    report = outcome.get_result()
    if (
        report.skipped
        and os.environ.get("CELLGATE_REQUIRE_ALL_TESTS") == "1"
        and any(item.get_closest_marker(name) for name in REQUIRED_MARKERS)
    ):
        report.outcome = "failed"
        report.longrepr = f"skipped, but CELLGATE_REQUIRE_ALL_TESTS=1: {report.longrepr}"


# -- databases: SQLite always, PostgreSQL when CELLGATE_TEST_POSTGRES_URL is set --

POSTGRES_ENV = "CELLGATE_TEST_POSTGRES_URL"


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """Defaults with everything kept under the test's own folder."""
    return Config(gateway=GatewaySection(data_dir=str(tmp_path / "data")))


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A fresh schema in the test PostgreSQL database, dropped afterwards."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(normalise_url(base)).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test that uses it runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
    else:
        with postgres_schema() as url:
            yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated database."""
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def db_session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as session:
        yield session


# -- the web app --

ADMIN_PASSWORD = "correct horse battery"
AGENT_PASSWORD = "agent password 1"


@pytest.fixture
def users(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        create_user(session, "alice", ADMIN_PASSWORD, role=Role.ADMIN, display_name="Alice Admin")
        create_user(session, "bob", AGENT_PASSWORD, role=Role.AGENT, display_name="Bob Agent")


@pytest.fixture
def app(config: Config, sessions: sessionmaker[Session], users: None) -> Flask:
    app = create_app(config, sessions)
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
