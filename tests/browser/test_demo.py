"""The README's first command: `cellgate demo`, then log in with the printed password."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.plugins.gateway_server import LiveServer, demo_login


def test_demo_prints_a_login_that_works_and_shows_the_simulated_modems(
    page: Page, demo_server: LiveServer
) -> None:
    username, password = demo_login(demo_server)
    assert len(password) >= 12
    page.goto(demo_server.url)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_text("sim0", exact=True)).to_be_visible()
    expect(page.get_by_text("sim1", exact=True)).to_be_visible()
    screenshot(page, "demo-dashboard")
    assert demo_server.stop() == 0
