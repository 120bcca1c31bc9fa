"""A person logs in with a real browser and sees the dashboard."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import log_in_to, screenshot
from tests.plugins.gateway_server import LiveServer


def test_log_in_and_see_the_dashboard(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server.url)
    expect(page).to_have_url(f"{live_server.url}/login?next=/")
    screenshot(page, "login")
    log_in_to(page, live_server.url)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_text("Admin", exact=False).first).to_be_visible()
    screenshot(page, "dashboard")


def test_wrong_password_shows_an_error(page: Page, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("status")).to_have_text("Wrong username or password.")


def test_log_out(page: Page, live_server: LiveServer) -> None:
    log_in_to(page, live_server.url)
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in to Cellgate")).to_be_visible()
    page.goto(live_server.url)
    expect(page).to_have_url(f"{live_server.url}/login?next=/")


def test_layout_fits_a_phone(browser_page_phone: Page, live_server: LiveServer) -> None:
    log_in_to(browser_page_phone, live_server.url)
    width = browser_page_phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
    screenshot(browser_page_phone, "dashboard-phone")
