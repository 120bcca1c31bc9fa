"""Playwright driving Debian's chromium (never a downloaded browser) against a live server.

``live_gateway`` is a real ``cellgate run`` with a simulated modem, shared by the
session's tests (each uses its own numbers and tags); ``ui_server`` is the web app alone
in this process, for pages that need no modem.
"""

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

from drivers.sim import SentMessage, Simulator
from gateway import migrate
from gateway.config import Config, GatewaySection, load
from gateway.db import make_engine, make_session_factory
from gateway.events import EventBus
from gateway.inbound.pipeline import InboundSms, Pipeline, Settings
from gateway.models import Role, utcnow
from gateway.services import Services
from gateway.users import create_user
from tests.plugins.gateway_server import (
    ADMIN,
    ADMIN_PASSWORD,
    LiveServer,
    free_port,
    init_database,
    start_server,
)
from tests.waiting import eventually
from web import create_app

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
# expect() waits as long as page actions do: a CI machine under load can take more than
# Playwright's default 5 s to render a reply that is certainly coming.
expect.set_options(timeout=15_000)
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
    server = create_server(app, host="127.0.0.1", port=0, threads=8, channel_request_lookahead=1)
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


# -- a real `cellgate run` with a simulated modem, shared by the session's tests --


# Few request threads, so a live-update stream that outlived its page would soon show.
GATEWAY_THREADS = 6
GATEWAY_CONFIG = """
[gateway]
data_dir = "data"
[web]
port = {web_port}
threads = {threads}
[logging]
level = "WARNING"
[queue]
poll_seconds = 0.5
[compliance]
quiet_hours = "00:00-24:00"
[campaigns]
check_seconds = 0.5
[[modems]]
name = "{name}"
port = "{port}"
rate_per_minute = 600
daily_cap = 0
"""


@dataclass
class LiveGateway:
    server: LiveServer
    simulator: Simulator
    sessions: sessionmaker[Session]

    @property
    def url(self) -> str:
        return self.server.url

    def receive(self, sender: str, text: str) -> None:
        """A text from ``sender`` reaching the gateway's SIM over the simulated network."""
        self.simulator.modems[0].inject_text(sender, text)

    def sent_to(self, number: str) -> list[SentMessage]:
        return [message for message in self.simulator.sent if message.to == number]

    def wait_sent_to(self, number: str, count: int = 1) -> list[SentMessage]:
        """Block until ``count`` texts to ``number`` have left the modem."""
        waited = eventually(lambda: len(self.sent_to(number)) >= count)
        assert waited, f"{count} text(s) to {number} expected; sent: {self.simulator.sent}"
        return self.sent_to(number)


@pytest.fixture(scope="session")
def live_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    """One simulated modem (no latency) and ``cellgate run`` driving it over its pty;
    quiet hours off so campaigns go at any hour, and a quick campaign clock."""
    simulator = Simulator(modems=1, latency=0.0, boot_delay=0.0).start()
    try:
        modem = simulator.modems[0]
        config = tmp_path_factory.mktemp("gateway") / "cellgate.toml"
        config.write_text(
            GATEWAY_CONFIG.format(
                web_port=free_port(), threads=GATEWAY_THREADS, name=modem.id, port=modem.device
            )
        )
        init_database(config)
        server = start_server(config)
        engine = make_engine(load(config).database_url)
        yield LiveGateway(server, simulator, make_session_factory(engine))
        engine.dispose()
        server.stop()
    finally:
        simulator.stop()
