"""Login, logout, CSRF and deny-by-default authorisation through the Flask app."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import ADMIN_PASSWORD


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def log_in(client: FlaskClient, username: str = "alice", password: str = ADMIN_PASSWORD) -> int:
    token = csrf_token(client)
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )
    return response.status_code


def test_pages_redirect_to_login_when_signed_out(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/")


def test_login_with_the_right_password_shows_the_dashboard(client: FlaskClient) -> None:
    assert log_in(client) == 302
    page = client.get("/").get_data(as_text=True)
    assert "<h1>Dashboard</h1>" in page
    assert "Alice Admin" in page


def test_wrong_password_is_refused(client: FlaskClient) -> None:
    assert log_in(client, password="not the password") == 401
    assert client.get("/").status_code == 302


def test_login_without_csrf_token_is_refused(client: FlaskClient) -> None:
    response = client.post("/login", data={"username": "alice", "password": ADMIN_PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_logout_needs_post_with_csrf(client: FlaskClient) -> None:
    log_in(client)
    assert client.post("/logout").status_code == 400
    assert client.get("/logout").status_code == 405
    token = csrf_token(client, "/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_repeated_failed_logins_are_throttled(client: FlaskClient) -> None:
    codes = [log_in(client, password=f"wrong {n}") for n in range(11)]
    assert codes[:10] == [401] * 10
    assert codes[10] == 429
    assert log_in(client) == 429


def test_next_parameter_cannot_send_users_to_another_site(client: FlaskClient) -> None:
    token = csrf_token(client)
    response = client.post(
        "/login?next=//evil.example/x",
        data={"username": "alice", "password": ADMIN_PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_every_route_but_login_static_and_health_requires_a_user(app: Flask) -> None:
    client = app.test_client()
    public = {"auth.login", "static", "health"}
    for rule in app.url_map.iter_rules():
        if rule.endpoint in public or "GET" not in (rule.methods or set()):
            continue
        path = re.sub(r"<[^>]+>", "1", rule.rule)
        assert client.get(path).status_code in {302, 401}, rule.rule


def test_responses_forbid_inline_script(client: FlaskClient) -> None:
    response = client.get("/login")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_session_cookie_is_httponly_and_samesite(client: FlaskClient) -> None:
    token = csrf_token(client)
    response = client.post(
        "/login", data={"username": "alice", "password": ADMIN_PASSWORD, "csrf_token": token}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
