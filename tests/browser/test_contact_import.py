"""Contact CSV import in a real browser: declared field types checked, a preview naming
every broken row, then the good rows imported with their typed fields and consent source."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from gateway.models import Contact
from tests.browser.conftest import LiveGateway, log_in_to, screenshot

CSV = (
    "number,first_name,last_name,tags,appointment_at,visits,consent_source\n"
    "+1 555 030 0001,Nia,Okafor,patient;vip,2026-05-01 14:30,3,paper form at the front desk\n"
    "5550300002,Omar,,patient,2026-05-02,1,website\n"
    "not a number,Bad,Number,,2026-05-03,,\n"
    "+15550300003,Bad,Date,,next tuesday,2,\n"
    "+15550300001,Dup,Licate,,,,\n"
    "+15550300004,Bad,Visits,,,lots,\n"
)


def declare_field(page: Page, url: str, name: str, type_: str) -> None:
    page.goto(f"{url}/campaigns/fields")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Type").select_option(type_)
    page.get_by_role("button", name="Add field").click()
    expect(page.get_by_text(f"{name} — {type_}")).to_be_visible()


def test_a_csv_with_broken_rows_is_previewed_then_its_good_rows_imported(
    live_gateway: LiveGateway, page: Page, browser_page_phone: Page, tmp_path: Path
) -> None:
    log_in_to(page, live_gateway.url)
    declare_field(page, live_gateway.url, "appointment_at", "datetime")
    declare_field(page, live_gateway.url, "visits", "number")
    upload = tmp_path / "patients.csv"
    upload.write_text(CSV, encoding="utf-8")

    page.goto(f"{live_gateway.url}/contacts/")
    page.get_by_role("link", name="Import CSV").click()
    expect(page.locator("dl.facts")).to_contain_text("A date or date and time")
    page.get_by_label("CSV file").set_input_files(upload)
    page.get_by_label("Dates and times without a time zone are in").fill("America/New_York")
    page.get_by_role("button", name="Preview").click()

    expect(page.locator("#import-summary")).to_contain_text(
        "2 rows ready, 4 with errors (skipped): 2 new, 0 updated."
    )
    errors = page.locator("#import-errors tbody tr")
    expect(errors).to_have_count(4)
    expect(errors.nth(0)).to_contain_text("4")
    expect(errors.nth(0)).to_contain_text("not a number")
    expect(errors.nth(1)).to_contain_text("appointment_at: 'next tuesday' is not a date/time")
    expect(errors.nth(2)).to_contain_text("same number as line 2")
    expect(errors.nth(3)).to_contain_text("visits: 'lots' is not a number")
    ready = page.locator("#import-ready tbody tr")
    expect(ready).to_have_count(2)
    expect(ready.nth(0)).to_contain_text("+15550300001")
    expect(ready.nth(0)).to_contain_text("appointment_at 2026-05-01T18:30:00+00:00")
    expect(ready.nth(0)).to_contain_text("visits 3")
    expect(ready.nth(0)).to_contain_text("paper form at the front desk")
    screenshot(page, "contacts-import-preview")
    phone = browser_page_phone
    log_in_to(phone, live_gateway.url)
    phone.goto(f"{live_gateway.url}/contacts/import")
    phone.get_by_label("CSV file").set_input_files(upload)
    phone.get_by_role("button", name="Preview").click()
    expect(phone.locator("#import-errors tbody tr")).to_have_count(4)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "phone-contacts-import-preview")
    with live_gateway.sessions() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(Contact).where(Contact.number.like("+1555030%"))
            )
            == 0
        )

    page.get_by_role("button", name="Import 2 contacts").click()
    expect(page.get_by_role("status")).to_have_text("Imported: 2 new, 0 updated, 4 skipped.")
    page.get_by_role("searchbox").fill("Okafor")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Nia Okafor").click()
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("2026-05-01 18:30")  # the business time zone is UTC
    expect(facts).to_contain_text("visits3")
    expect(page.locator("#consent-h + ol")).to_contain_text("paper form at the front desk")
    screenshot(page, "contacts-imported")
    with live_gateway.sessions() as session:
        omar = session.scalars(select(Contact).where(Contact.number == "+15550300002")).one()
        assert omar.fields == {"appointment_at": "2026-05-02T04:00:00+00:00", "visits": 1}
        assert omar.tags == ["patient"]
