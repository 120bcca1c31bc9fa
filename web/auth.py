"""Login, logout and the rule that every route needs a signed-in user.

Authorisation is deny-by-default: a ``before_app_request`` hook refuses every endpoint
that is not explicitly public, so a new route cannot be left open by forgetting a
decorator. Admin-only views add :func:`admin_required`.
"""

from __future__ import annotations

import functools
import time
from collections import defaultdict, deque
from collections.abc import Callable
from typing import ParamSpec, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from gateway.models import User, utcnow
from gateway.users import authenticate
from web.api import is_api_path
from web.db import get_session

bp = Blueprint("auth", __name__)

PUBLIC_ENDPOINTS = frozenset({"auth.login", "static", "health"})
P = ParamSpec("P")
R = TypeVar("R")


class LoginThrottle:
    """At most ``limit`` failed logins per client address in ``window`` seconds."""

    def __init__(self, limit: int = 10, window: float = 300.0) -> None:
        self.limit = limit
        self.window = window
        self._failures: defaultdict[str, deque[float]] = defaultdict(deque)

    def _recent(self, client: str, now: float) -> deque[float]:
        failures = self._failures[client]
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    def blocked(self, client: str, now: float) -> bool:
        return len(self._recent(client, now)) >= self.limit

    def failed(self, client: str, now: float) -> None:
        self._recent(client, now).append(now)

    def succeeded(self, client: str) -> None:
        self._failures.pop(client, None)


def _throttle() -> LoginThrottle:
    throttle: LoginThrottle = current_app.extensions.setdefault(
        "cellgate.login_throttle", LoginThrottle()
    )
    return throttle


@bp.before_app_request
def load_user() -> Response | None:
    g.user = None
    # The REST API authenticates each request by API key itself (web/api/keys.py).
    if is_api_path(request.path):
        return None
    user_id = session.get("user_id")
    if user_id is not None:
        user = get_session().get(User, user_id)
        if user and user.active and session.get("token") == user.session_token:
            g.user = user
        else:
            session.clear()
    if g.user is None and request.endpoint not in PUBLIC_ENDPOINTS:
        if request.path.startswith("/api/"):
            abort(401)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    return None


def admin_required(view: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        if not g.user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so the login form cannot be used to redirect elsewhere."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("dashboard.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if request.method == "POST":
        throttle = _throttle()
        client = request.remote_addr or "unknown"
        now = time.monotonic()
        if throttle.blocked(client, now):
            flash("Too many failed logins. Wait a few minutes and try again.", "error")
            return render_template("login.html"), 429
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        db = get_session()
        user = authenticate(db, username, password, now=utcnow())
        if user is None:
            throttle.failed(client, now)
            db.rollback()
            flash("Wrong username or password.", "error")
            return render_template("login.html", username=username), 401
        db.commit()
        throttle.succeeded(client)
        session.clear()
        session["user_id"] = user.id
        session["token"] = user.session_token
        session.permanent = True
        return redirect(_safe_next(request.args.get("next")))
    if g.user is not None:
        return redirect(url_for("dashboard.index"))
    return render_template("login.html")


@bp.post("/logout")
def logout() -> Response:
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
