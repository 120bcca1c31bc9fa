"""The web UI in a real browser: live inbox, replies that get delivered, hostile text,
the SMS counter, and every main page on a phone (screenshots in tests/artifacts/)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker

from gateway.config import load
from gateway.contacts import Sender, get_or_create
from gateway.db import make_engine, make_session_factory
from gateway.inbound.pipeline import InboundSms, Pipeline, Settings
from gateway.models import NumberKind, utcnow
from tests.browser.conftest import UiServer, log_in_to, screenshot
from tests.plugins.gateway_server import LiveServer
from tests.plugins.simulator import SimulatorFactory

HOSTILE = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'
CUSTOMER = "+15550100200"


@dataclass
class Gateway:
    server: LiveServer
    sessions: sessionmaker[Session]


@pytest.fixture
def gateway(
    live_server_factory: Callable[..., LiveServer], simulator: SimulatorFactory
) -> Iterator[Gateway]:
    """``cellgate run`` with one simulated modem, and a session on its database."""
    sim = simulator(modems=1)
    modem = sim.modems[0]
    server = live_server_factory(
        f'[[modems]]\nname = "{modem.id}"\nport = "{modem.device}"\nrate_per_minute = 60\n'
    )
    assert server.config is not None
    engine = make_engine(load(server.config).database_url)
    yield Gateway(server, make_session_factory(engine))
    engine.dispose()


def store_inbound(sessions: sessionmaker[Session], text: str) -> None:
    """As the modem's inbound path files it (the live runtime's pipeline has no bus here)."""
    config_free = Pipeline(Settings.from_config(load(None)))
    with sessions() as session:
        config_free.receive(session, InboundSms(CUSTOMER, text, "gsm7", "sim0", utcnow()), utcnow())


def open_thread(page: Page, url: str) -> None:
    page.goto(f"{url}/inbox/")
    page.get_by_role("link", name=CUSTOMER).first.click()
    expect(page.get_by_role("button", name="Send reply")).to_be_visible()


def test_an_inbound_message_appears_live_and_hostile_text_stays_text(
    ui_server: UiServer, page: Page
) -> None:
    with ui_server.sessions() as session:
        get_or_create(session, Sender(CUSTOMER, NumberKind.E164), utcnow())
        session.commit()
    log_in_to(page, ui_server.url)
    page.goto(f"{ui_server.url}/inbox/")
    expect(page.get_by_text("No conversations match.")).to_be_visible()
    expect(page.locator("body.is-live")).to_have_count(1)
    ui_server.receive(CUSTOMER, HOSTILE)
    row = page.locator(".conversations li.unread")
    expect(row).to_contain_text(HOSTILE)
    screenshot(page, "inbox")
    row.get_by_role("link").click()
    expect(page.locator(".bubble-in .body")).to_have_text(HOSTILE)
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert page.locator(".messages img").count() == 0
    ui_server.receive(CUSTOMER, "second message, while the thread is open")
    expect(page.locator(".bubble-in")).to_have_count(2)


def test_the_counter_changes_encoding_on_an_emoji_and_names_a_curly_quote(
    ui_server: UiServer, page: Page
) -> None:
    ui_server.receive(CUSTOMER, "hello")
    log_in_to(page, ui_server.url)
    open_thread(page, ui_server.url)
    box = page.get_by_label("Message", exact=True)
    counter = page.locator("#counter")
    box.fill("See you at 5")
    expect(counter).to_have_text("1 SMS · GSM-7 · 148 characters left")
    box.press_sequentially(" 😀")
    expect(counter).to_contain_text("1 SMS · UCS-2 because of 😀 (grinning face)")
    box.fill("It’s " + "x" * 70)
    expect(counter).to_contain_text("2 SMS · UCS-2 because of ’ (curly quote)")
    screenshot(page, "thread-compose")


def test_a_reply_from_the_thread_is_sent_by_the_modem_and_becomes_delivered(
    gateway: Gateway, page: Page
) -> None:
    store_inbound(gateway.sessions, "Is my order ready?")
    log_in_to(page, gateway.server.url)
    expect(page.locator(".modem .badge-up")).to_have_count(1, timeout=20_000)
    open_thread(page, gateway.server.url)
    page.get_by_label("Message", exact=True).fill("Yes, it is ready for pickup.")
    page.get_by_role("button", name="Send reply").click()
    reply = page.locator(".bubble-out").last
    expect(reply).to_contain_text("Yes, it is ready for pickup.")
    expect(reply.locator(".badge")).to_have_text("delivered", timeout=30_000)
    expect(reply).to_contain_text("via sim0")
    screenshot(page, "thread-delivered")
    page.goto(gateway.server.url)
    expect(page.locator(".modem .bar.on").first).to_be_visible(timeout=20_000)
    screenshot(page, "modems")


@pytest.mark.parametrize("path", ["/", "/inbox/", "/contacts/", "/reports/", "/settings/"])
def test_main_pages_fit_a_phone(ui_server: UiServer, browser_page_phone: Page, path: str) -> None:
    ui_server.receive(CUSTOMER, "A fairly long first message to see how the list wraps on a phone")
    page = browser_page_phone
    log_in_to(page, ui_server.url)
    page.goto(ui_server.url + path)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "phone-" + (path.strip("/") or "dashboard"))


@pytest.mark.parametrize("path", ["/contacts/", "/contacts/1", "/reports/", "/settings/"])
def test_main_pages_on_a_desktop(ui_server: UiServer, page: Page, path: str) -> None:
    ui_server.receive(CUSTOMER, "STOP")
    log_in_to(page, ui_server.url)
    response = page.goto(ui_server.url + path)
    assert response is not None
    assert response.ok
    screenshot(page, "desktop-" + path.strip("/").replace("/", "-"))
