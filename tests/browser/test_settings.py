"""Business hours and quiet hours edited in the Settings page of a running ``cellgate run``
and in force at once: the out-of-hours reply follows the new hours over a simulated
modem, a campaign waits for the new quiet-hours window, and a bad window is refused
in the page (screenshots in tests/artifacts/)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from drivers.sim import SentMessage, Simulator
from gateway import contacts
from gateway.campaigns import control, store
from gateway.config import load
from gateway.db import make_engine, make_session_factory
from gateway.models import Direction, Kind, Message, MessageMeta, NumberKind, utcnow
from gateway.states import MessageState
from tests.browser.conftest import log_in_to, screenshot
from tests.plugins.gateway_server import LiveServer
from tests.plugins.simulator import SimulatorFactory
from tests.waiting import eventually

CUSTOMER = "+442071234567"  # London: one time zone, so the window is unambiguous
LONDON = ZoneInfo("Europe/London")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
CLOSED_TEXT = "We are closed <right now>; back at nine."


@dataclass
class Running:
    server: LiveServer
    simulator: Simulator
    sessions: sessionmaker[Session]

    def log(self) -> str:
        """What to show when a wait fails: the server's last lines and what was sent."""
        return "".join(self.server.output[-30:]) + f"\nsent: {self.simulator.sent}"

    def text_in(self, text: str) -> None:
        self.simulator.modems[0].inject_text(CUSTOMER, text)

    def sent_to_customer(self) -> list[SentMessage]:
        return [message for message in self.simulator.sent if message.to == CUSTOMER]

    def processed(self, text: str) -> bool:
        with self.sessions() as session:
            done = session.scalar(
                select(MessageMeta.processed_at)
                .join(Message, Message.id == MessageMeta.message_id)
                .where(Message.direction == Direction.IN, Message.body == text)
            )
            return done is not None

    def outbound(self, kind: Kind) -> list[Message]:
        with self.sessions() as session:
            query = select(Message).where(
                Message.direction == Direction.OUT, Message.peer == CUSTOMER, Message.kind == kind
            )
            return list(session.scalars(query))


@pytest.fixture
def running(
    live_server_factory: Callable[..., LiveServer], simulator: SimulatorFactory
) -> Iterator[Running]:
    """``cellgate run`` of its own (the settings it changes are nobody else's) on one
    simulated modem, with a quick campaign clock, and a session on its database."""
    sim = simulator(modems=1)
    modem = sim.modems[0]
    server = live_server_factory(
        "[queue]\npoll_seconds = 0.5\n[campaigns]\ncheck_seconds = 0.5\n"
        f'[[modems]]\nname = "{modem.id}"\nport = "{modem.device}"\nrate_per_minute = 600\n'
    )
    assert server.config is not None
    engine = make_engine(load(server.config).database_url)
    yield Running(server, sim, make_session_factory(engine))
    engine.dispose()


def window_ahead(hours: int) -> tuple[int, str]:
    """A one-hour window starting ``hours`` from now in London: (its hour, its text)."""
    start = (datetime.now(LONDON).hour + hours) % 24
    return start, f"{start:02d}:00-{start + 1:02d}:00"


def test_hours_and_quiet_hours_edited_in_the_page_are_in_force(
    running: Running, page: Page
) -> None:
    url = running.server.url
    log_in_to(page, url)

    # Open all week, auto-reply on: a text gets no answer.
    page.goto(f"{url}/settings/#hours")
    hours = page.locator("#hours")
    hours.get_by_label("Answer messages that arrive outside business hours").check()
    hours.get_by_label("Auto-reply text").fill(CLOSED_TEXT)
    for day in DAYS:
        hours.get_by_label(day, exact=True).fill("00:00-24:00")
    hours.get_by_role("button", name="Save business hours").click()
    expect(page.get_by_text("Business hours saved: 3 settings changed.")).to_be_visible()
    running.text_in("Are you open?")
    assert eventually(lambda: running.processed("Are you open?")), running.log()
    assert running.outbound(Kind.SYSTEM) == []

    # Closed all week, saved from the keyboard (Enter saves; it never resets a value).
    page.goto(f"{url}/settings/#hours")
    for day in DAYS:
        hours.get_by_label(day, exact=True).fill("")
    hours.get_by_label("Sunday", exact=True).press("Enter")
    expect(page.get_by_text("Business hours saved: 1 setting changed.")).to_be_visible()
    expect(hours.locator(".badge-overridden")).to_have_count(3)
    running.text_in("Anyone there?")
    assert eventually(lambda: len(running.sent_to_customer()) == 1), running.log()
    assert running.sent_to_customer()[0].text == CLOSED_TEXT
    screenshot(page, "settings-business-hours")

    # A window that ends before it starts is refused in the page, naming the field.
    compliance = page.locator("#compliance")
    quiet = compliance.get_by_label("Marketing allowed between")
    quiet.fill("21:00-08:00")
    quiet.press("Enter")
    alert = compliance.get_by_role("alert")
    expect(alert).to_contain_text("Nothing was saved.")
    expect(alert).to_contain_text(
        "Marketing allowed between: the window must start before it ends: 21:00-08:00"
    )
    expect(quiet).to_have_attribute("aria-invalid", "true")
    expect(quiet).to_have_value("21:00-08:00")
    screenshot(page, "settings-refused")

    # Marketing only in a window two hours from now: a campaign waits for it.
    start, window = window_ahead(2)
    quiet.fill(window)
    compliance.get_by_role("button", name="Save compliance rules").click()
    expect(page.get_by_text("Compliance rules saved: 1 setting changed.")).to_be_visible()
    expect(compliance.locator(".setting-note", has_text="changed here")).to_contain_text(
        "the config file has 08:00-21:00"
    )
    with running.sessions() as session:
        contact = contacts.find(session, CUSTOMER)
        assert contact is not None
        assert contact.number_kind == NumberKind.E164
        campaign = store.create(session, store.CampaignSpec("sale", "Summer sale today!"), utcnow())
        control.schedule(session, campaign.id, utcnow())
    assert eventually(lambda: bool(running.outbound(Kind.MARKETING))), running.log()
    (held,) = running.outbound(Kind.MARKETING)
    assert held.state == MessageState.SCHEDULED
    assert held.scheduled_at is not None
    assert held.scheduled_at.astimezone(LONDON).hour == start

    page.goto(f"{url}/inbox/")
    page.get_by_role("link", name=CUSTOMER).first.click()
    bubble = page.locator(".bubble-out", has_text="Summer sale today!")
    expect(bubble.locator(".badge")).to_have_text("scheduled")
    expect(page.locator(".bubble-out", has_text=CLOSED_TEXT)).to_have_count(1)
    screenshot(page, "settings-in-force-thread")

    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{url}/settings/#compliance")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "settings-rules-phone")
