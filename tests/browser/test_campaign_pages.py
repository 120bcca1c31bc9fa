"""Campaign pages in a real browser against ``cellgate run`` and a simulated modem: a
segment with its live count, a campaign with a fallback merge field, its preview, its
size across the audience (and the characters that force UCS-2), reply options, a test
send, sending now with live progress, and pausing, resuming and cancelling a schedule."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Page, expect

from gateway import segments
from gateway.campaigns import store
from gateway.contacts import opt_out
from gateway.models import ConsentChannel, Contact, utcnow
from tests.browser.conftest import LiveGateway, log_in_to, screenshot

BODY = (
    "Hi {{first_name|there}}, your spring check-up is due. "
    "Reply C to confirm or R and we will call you."
)
ANN, NAMELESS, ZOE, STOPPED = "+15550200001", "+15550200002", "+15550200003", "+15550200004"
STRANGER = "+15550209999"


def add_contacts(gateway: LiveGateway, tag: str, people: dict[str, str]) -> None:
    """Contacts tagged ``tag`` (number -> first name), as an import would store them."""
    with gateway.sessions() as session:
        for number, first_name in people.items():
            session.add(
                Contact(
                    number=number,
                    first_name=first_name,
                    last_name="",
                    tags=[tag],
                    fields={},
                    created_at=utcnow(),
                )
            )
        session.commit()


def test_a_segment_and_a_campaign_are_built_previewed_measured_tested_and_sent(
    live_gateway: LiveGateway, page: Page
) -> None:
    add_contacts(live_gateway, "spring", {ANN: "Ann", NAMELESS: "", ZOE: "Zoë", STOPPED: "Sam"})
    with live_gateway.sessions() as session:
        stopped = session.query(Contact).filter_by(number=STOPPED).one()
        opt_out(session, stopped, ConsentChannel.UI, utcnow(), detail="asked at the desk")
        session.commit()
    log_in_to(page, live_gateway.url)
    page.get_by_role("link", name="Campaigns").click()
    page.get_by_role("link", name="Segments").click()
    page.get_by_role("link", name="New segment").click()
    page.get_by_label("Name", exact=True).fill("Spring patients")
    page.get_by_label("Has all of these tags").fill("spring")
    count = page.locator("#segment-count")
    expect(count).to_have_text("3")
    page.get_by_label("Consent").select_option("any")
    expect(count).to_have_text("4")
    page.get_by_label("Consent").select_option("subscribed")
    expect(count).to_have_text("3")
    screenshot(page, "campaign-segment-new")
    page.get_by_role("button", name="Save segment").click()
    expect(page.get_by_role("row", name=re.compile("Spring patients"))).to_contain_text(
        "tagged spring · subscribed"
    )
    screenshot(page, "campaign-segments")

    page.get_by_role("link", name="Campaigns", exact=True).first.click()
    page.get_by_role("link", name="New campaign").click()
    page.get_by_label("Name", exact=True).fill("Spring check-up")
    page.get_by_label("Message", exact=True).fill(BODY)
    page.get_by_label("Audience").select_option(label="Spring patients")
    page.get_by_label("Reply options").fill(
        "C => tag confirmed; reply Thank you, see you soon!\nR => open; assign admin"
    )
    screenshot(page, "campaign-new")
    page.get_by_role("button", name="Save as draft").click()
    expect(page.get_by_role("heading", name="Spring check-up")).to_be_visible()
    expect(page.locator("#campaign-status")).to_have_text("draft")

    preview = page.locator("#preview")
    page.get_by_label("Preview for").fill(NAMELESS)
    page.get_by_role("button", name="Preview").click()
    expect(preview).to_have_text(re.compile(r"^Hi there, your spring check-up"))
    page.get_by_label("Preview for").fill(ANN)
    page.get_by_role("button", name="Preview").click()
    expect(preview).to_have_text(re.compile(r"^Hi Ann, your spring check-up"))
    page.get_by_role("button", name="Count segments").click()
    size = page.locator("#audience-size")
    expect(size).to_contain_text("3 recipients: 1–2 SMS each")
    expect(size).to_contain_text("1 go as UCS-2 because of: ë")
    expect(page.locator("#reply-options")).to_contain_text("R => open; assign admin")

    page.get_by_label("Test number").fill(STRANGER)
    page.get_by_role("button", name="Send test").click()
    expect(page.get_by_role("status")).to_contain_text(f"Test message queued to {STRANGER}")
    test = live_gateway.wait_sent_to(STRANGER)
    assert test[0].text.startswith("Hi there, your spring check-up")
    screenshot(page, "campaign-draft")

    page.get_by_role("button", name="Send now").click()
    expect(page.locator("#campaign-status")).to_have_text(re.compile("active|sending|finished"))
    progress = page.locator("#campaign-progress")
    expect(progress.locator("[data-stat=delivered]")).to_have_text("3", timeout=30_000)
    expect(progress.locator("progress")).to_have_attribute("value", "3")
    expect(page.locator("#campaign-status")).to_have_text("finished")
    page.reload()
    expect(page.locator(".campaign-actions button")).to_have_count(0)
    texts = {number: live_gateway.sent_to(number) for number in (ANN, NAMELESS, ZOE, STOPPED)}
    assert texts[ANN][0].text.startswith("Hi Ann, ")
    assert texts[ZOE][0].encoding == "ucs2"
    assert texts[STOPPED] == []

    live_gateway.receive(ANN, "c")
    thanks = live_gateway.wait_sent_to(ANN, 2)
    assert thanks[1].text == "Thank you, see you soon!"
    expect(progress.locator("[data-stat=replies]")).to_have_text("1", timeout=20_000)
    screenshot(page, "campaign-sent")
    page.get_by_role("link", name="‹ Campaigns").click()
    expect(page.get_by_role("row", name=re.compile("Spring check-up"))).to_contain_text("3/3")
    screenshot(page, "campaign-index")


def test_a_scheduled_campaign_is_paused_resumed_and_cancelled(
    live_gateway: LiveGateway, page: Page
) -> None:
    log_in_to(page, live_gateway.url)
    page.goto(f"{live_gateway.url}/campaigns/new")
    page.get_by_label("Name", exact=True).fill("Autumn newsletter")
    page.get_by_label("Message", exact=True).fill("Autumn news: we open on Saturdays now.")
    page.get_by_label("At", exact=True).check()
    tomorrow = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT09:00")
    page.get_by_label("Send at").fill(tomorrow)
    page.get_by_role("button", name="Save as draft").click()
    status = page.locator("#campaign-status")
    expect(status).to_have_text("draft")
    page.get_by_role("button", name="Start schedule").click()
    expect(status).to_have_text("active")
    expect(page.locator("#schedule")).to_contain_text("next run")
    expect(page.get_by_role("button", name="Resume")).to_have_count(0)
    page.get_by_role("button", name="Pause").click()
    expect(status).to_have_text("paused")
    page.get_by_role("button", name="Resume").click()
    expect(status).to_have_text("active")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel campaign").click()
    expect(status).to_have_text("cancelled")
    expect(page.locator(".campaign-actions button")).to_have_count(0)
    screenshot(page, "campaign-cancelled")


def test_campaign_pages_fit_a_phone(live_gateway: LiveGateway, browser_page_phone: Page) -> None:
    add_contacts(live_gateway, "phone", {"+15550200101": "Pat"})
    with live_gateway.sessions() as session:
        segment = segments.save(
            session, "Phone people", segments.Filter(tags_all=("phone",)), utcnow()
        )
        campaign = store.create(
            session,
            store.CampaignSpec(
                "Reminder with a rather long name for a small screen",
                BODY + " It’s on us.",
                segment_id=segment.id,
                schedule="cron",
                cron="0 9 * * 1",
                per_minute=30,
            ),
            utcnow(),
        )
        session.commit()
        campaign_id = campaign.id
    page = browser_page_phone
    log_in_to(page, live_gateway.url)
    for path, name in [
        ("/campaigns/", "index"),
        ("/campaigns/new", "new"),
        (f"/campaigns/{campaign_id}?preview=%2B15550200101&measure=1", "detail"),
        ("/campaigns/segments", "segments"),
        ("/campaigns/segments/new", "segment-new"),
        ("/campaigns/fields", "fields"),
    ]:
        page.goto(live_gateway.url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
        screenshot(page, f"phone-campaign-{name}")
