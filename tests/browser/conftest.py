"""Playwright driving Debian's chromium (never a downloaded browser) against a live server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy.orm import Session, sessionmaker
from waitress.server import create_server
from waitress.wasyncore import close_all

from gateway import migrate
from gateway.config import Config, GatewaySection
from gateway.db import make_engine, make_session_factory
from gateway.events import EventBus
from gateway.inbound.pipeline import InboundSms, Pipeline, Settings
from gateway.models import Role, utcnow
from gateway.services import Services
from gateway.users import create_user
from tests.plugins.gateway_server import ADMIN, ADMIN_PASSWORD, LiveServer
from web import create_app

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
# Flags for a sandboxed CI machine with no network and no GPU.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@contextmanager
def new_page(browser: Browser, **context_options: Any) -> Iterator[Page]:
    context = browser.new_context(**context_options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    with new_page(browser, viewport={"width": 1280, "height": 800}) as page:
        yield page


@pytest.fixture
def browser_page_phone(browser: Browser) -> Iterator[Page]:
    with new_page(browser, viewport={"width": 360, "height": 740}, is_mobile=True) as page:
        yield page


def log_in(page: Page, server: LiveServer) -> None:
    page.goto(f"{server.url}/login")
    page.get_by_label("Username").fill(ADMIN)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()


def screenshot(page: Page, name: str) -> Path:
    """Saved under tests/artifacts/ for a person to look at (CI keeps the folder)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# -- the web UI served in this process, so a test can publish on its event bus --


@dataclass
class UiServer:
    url: str
    config: Config
    sessions: sessionmaker[Session]
    events: EventBus

    def receive(self, sender: str, text: str) -> None:
        """An inbound SMS through the real pipeline, announced on the page's event bus."""
        pipeline = Pipeline(Settings.from_config(self.config), bus=self.events)
        with self.sessions() as session:
            sms = InboundSms(sender, text, "ucs2", "sim0", utcnow())
            pipeline.receive(session, sms, utcnow())


@pytest.fixture
def ui_server(tmp_path: Path) -> Iterator[UiServer]:
    """create_app on waitress in a thread, with an admin; SSE streams last 3 seconds."""
    config = Config(gateway=GatewaySection(data_dir=str(tmp_path / "data")))
    engine = make_engine(f"sqlite:///{tmp_path / 'ui.db'}")
    migrate.upgrade(engine)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        create_user(session, ADMIN, ADMIN_PASSWORD, role=Role.ADMIN, display_name="Ada Admin")
    events = EventBus()
    app = create_app(config, sessions, Services(events=events))
    app.config["CELLGATE_SSE_SECONDS"] = 3.0
    server = create_server(app, host="127.0.0.1", port=0, threads=8)
    thread = threading.Thread(target=server.run, name="ui-server", daemon=True)
    thread.start()
    yield UiServer(f"http://127.0.0.1:{server.effective_port}", config, sessions, events)
    # Closed from inside the server's own loop (closing its sockets from this thread
    # races its select()); the loop ends when it has no sockets left.
    server.trigger.pull_trigger(lambda: close_all(server._map))
    thread.join(timeout=10)
    server.task_dispatcher.shutdown(timeout=10)
    engine.dispose()


def log_in_to(page: Page, url: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("Username").fill(ADMIN)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
