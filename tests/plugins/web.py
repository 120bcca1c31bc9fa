"""Fixtures for the web UI: clients already logged in, and CSRF tokens for forms.

Test modules load it with ``pytest_plugins = ["tests.plugins.web"]``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import ADMIN_PASSWORD, AGENT_PASSWORD

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The token a form on ``path`` carries."""
    match = TOKEN.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def logged_in(app: Flask, username: str, password: str) -> FlaskClient:
    client = app.test_client()
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture
def admin_client(app: Flask) -> FlaskClient:
    return logged_in(app, "alice", ADMIN_PASSWORD)


@pytest.fixture
def agent_client(app: Flask) -> FlaskClient:
    return logged_in(app, "bob", AGENT_PASSWORD)


@pytest.fixture
def csrf() -> Callable[[FlaskClient, str], str]:
    """``csrf(client, path)``: the token of the form on ``path``."""
    return csrf_token
