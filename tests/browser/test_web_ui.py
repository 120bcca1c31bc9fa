"""The web UI in a real browser: live inbox, replies that get delivered, hostile text,
the SMS counter, and every main page on a phone (screenshots in tests/artifacts/)."""

from __future__ import annotations

import re
from itertools import count

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    GATEWAY_THREADS,
    LiveGateway,
    UiServer,
    log_in_to,
    screenshot,
)

HOSTILE = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'
CUSTOMER = "+15550100200"
# The delivery report comes this long after the send, so the test sees the reply before.
REPORT_DELAY = 4.0
_numbers = count(100)


def new_customer() -> str:
    """A number no other test of the shared gateway has used."""
    return f"+1555010{next(_numbers):04d}"


def open_thread(page: Page, url: str, number: str = CUSTOMER) -> None:
    page.goto(f"{url}/inbox/?q={number.removeprefix('+')}")
    page.get_by_role("link", name=number).first.click()
    expect(page.get_by_role("button", name="Send reply")).to_be_visible()


def test_an_inbound_message_appears_live_and_hostile_text_stays_text(
    live_gateway: LiveGateway, page: Page
) -> None:
    customer = new_customer()
    log_in_to(page, live_gateway.url)
    page.goto(f"{live_gateway.url}/inbox/?q={customer.removeprefix('+')}")
    expect(page.get_by_text("No conversations match.")).to_be_visible()
    expect(page.locator("body.is-live")).to_have_count(1)
    live_gateway.receive(customer, HOSTILE)
    row = page.locator(".conversations li.unread")
    expect(row).to_contain_text(HOSTILE, timeout=20_000)
    screenshot(page, "inbox")
    row.get_by_role("link").click()
    expect(page.locator(".bubble-in .body")).to_have_text(HOSTILE)
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert page.locator(".messages img").count() == 0
    expect(page.locator("body.is-live")).to_have_count(1)
    live_gateway.receive(customer, "second message, while the thread is open")
    expect(page.locator(".bubble-in")).to_have_count(2, timeout=20_000)


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


def test_a_reply_from_the_thread_is_sent_by_the_modem_and_becomes_delivered_live(
    live_gateway: LiveGateway, page: Page
) -> None:
    customer = new_customer()
    live_gateway.receive(customer, "Is my order ready?")
    log_in_to(page, live_gateway.url)
    expect(page.locator(".modem .badge-up")).to_have_count(1, timeout=20_000)
    page.goto(f"{live_gateway.url}/inbox/?q={customer.removeprefix('+')}")
    expect(page.get_by_role("link", name=customer)).to_be_visible(timeout=20_000)
    open_thread(page, live_gateway.url, customer)
    page.get_by_label("Message", exact=True).fill("Yes, it is ready for pickup.")
    network = live_gateway.simulator.network
    usual_delay, network.status_report_delay = network.status_report_delay, REPORT_DELAY
    try:
        page.get_by_role("button", name="Send reply").click()
        reply = page.locator(".bubble-out").last
        expect(reply).to_contain_text("Yes, it is ready for pickup.")
        expect(reply.locator(".badge")).to_have_text(re.compile("queued|sending|sent"))
        # From here the page neither reloads nor polls: the report must come over the stream.
        assert page.locator("[data-live-every]").count() == 0
        page.evaluate("window.stillThisPage = true")
        expect(reply.locator(".badge")).to_have_text("delivered", timeout=20_000)
    finally:
        network.status_report_delay = usual_delay
    assert page.evaluate("window.stillThisPage") is True
    expect(reply).to_contain_text("via sim0")
    assert [m.text for m in live_gateway.sent_to(customer)] == ["Yes, it is ready for pickup."]
    screenshot(page, "thread-delivered")
    page.goto(live_gateway.url)
    expect(page.locator(".modem .bar.on").first).to_be_visible(timeout=20_000)
    screenshot(page, "modems")


def test_pages_left_behind_do_not_hold_the_servers_threads(
    live_gateway: LiveGateway, page: Page
) -> None:
    """Each page with live regions holds a request thread for its event stream; leaving
    it must give the thread back, or a few clicks more than there are threads hang the UI."""
    log_in_to(page, live_gateway.url)
    for visit in range(3 * GATEWAY_THREADS):
        page.goto(live_gateway.url + ("/inbox/" if visit % 2 else "/"))
        expect(page.locator("body.is-live")).to_have_count(1)


@pytest.mark.parametrize(
    "path",
    ["/", "/inbox/", "/inbox/1", "/contacts/", "/contacts/import", "/reports/", "/settings/"],
)
def test_main_pages_fit_a_phone(ui_server: UiServer, browser_page_phone: Page, path: str) -> None:
    ui_server.receive(CUSTOMER, "A fairly long first message to see how the list wraps on a phone")
    page = browser_page_phone
    log_in_to(page, ui_server.url)
    page.goto(ui_server.url + path)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "phone-" + (path.strip("/").replace("/", "-") or "dashboard"))


@pytest.mark.parametrize("path", ["/contacts/", "/contacts/1", "/reports/", "/settings/"])
def test_main_pages_on_a_desktop(ui_server: UiServer, page: Page, path: str) -> None:
    ui_server.receive(CUSTOMER, "STOP")
    log_in_to(page, ui_server.url)
    response = page.goto(ui_server.url + path)
    assert response is not None
    assert response.ok
    screenshot(page, "desktop-" + path.strip("/").replace("/", "-"))
