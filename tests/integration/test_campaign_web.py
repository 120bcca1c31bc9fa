"""The campaign pages over HTTP: fields, segments with a live count, a campaign with
reply options, preview with fallbacks, audience segment counts, schedule, progress, test send."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.models import Contact, KeywordRule, Message, utcnow

pytest_plugins = ["tests.plugins.web"]

Csrf = Callable[[FlaskClient, str], str]


def test_admin_builds_segment_and_campaign_then_schedules_it(
    admin_client: FlaskClient, sessions: sessionmaker[Session], csrf: Csrf
) -> None:
    with sessions.begin() as session:
        for index, name in enumerate(["Ann", "", "Zoë"]):
            session.add(
                Contact(
                    number=f"+1555000010{index}",
                    first_name=name,
                    tags=["vip"] if index < 2 else [],
                    fields={},
                    created_at=utcnow(),
                )
            )
    token = csrf(admin_client, "/campaigns/fields")
    admin_client.post(
        "/campaigns/fields", data={"name": "visits", "type": "number", "csrf_token": token}
    )
    assert "<code>visits</code> — number" in admin_client.get("/campaigns/fields").get_data(
        as_text=True
    )

    segment = {"name": "VIPs", "tags_all": "vip", "consent": "subscribed", "csrf_token": token}
    assert admin_client.post("/campaigns/segments/count", data=segment).get_json() == {"count": 2}
    bad = {**segment, "fields": "visits bigger 3"}
    assert admin_client.post("/campaigns/segments/count", data=bad).status_code == 422
    assert admin_client.post("/campaigns/segments/new", data=segment).status_code == 302
    listing = admin_client.get("/campaigns/segments").get_data(as_text=True)
    assert "VIPs" in listing

    form = {
        "name": "spring",
        "body": "Hi {{first_name|there}}, 20% off. Reply C or R",
        "schedule": "now",
        "replies": "C => tag confirmed; reply Thanks!\nR => open; assign bob",
        "csrf_token": token,
    }
    created = admin_client.post("/campaigns/new", data=form)
    assert created.status_code == 302
    page_url = created.headers["Location"]
    with sessions() as session:
        rules = session.scalars(select(KeywordRule).order_by(KeywordRule.keyword)).all()
        assert [(r.keyword, r.campaign) for r in rules] == [("C", "spring"), ("R", "spring")]
    page = admin_client.get(page_url + "?preview=%2B15550000101&measure=1").get_data(as_text=True)
    assert "Hi there, 20% off. Reply C or R" in page
    assert "3 recipients: 1–1 SMS each" in page
    assert "R =&gt; open; assign bob" in page
    assert "Send now" in admin_client.get(page_url).get_data(as_text=True)
    assert admin_client.post(page_url + "/schedule", data={"csrf_token": token}).status_code == 302
    progress = admin_client.get(page_url + "/progress").get_data(as_text=True)
    assert 'id="campaign-status">active</span>' in progress
    assert admin_client.post(page_url + "/schedule", data={"csrf_token": token}).status_code == 302
    again = admin_client.get(page_url).get_data(as_text=True)
    assert "the campaign is active" in again
    assert ">Send now<" not in again
    assert ">Pause<" in again
    admin_client.post(page_url + "/test", data={"number": "+15550000100", "csrf_token": token})
    with sessions() as session:
        test = session.scalars(select(Message)).one()
        assert (test.peer, test.body) == ("+15550000100", "Hi Ann, 20% off. Reply C or R")
    assert 'aria-current="page">Campaigns' in admin_client.get("/campaigns/").get_data(as_text=True)


def test_a_campaign_with_an_unknown_field_shows_the_error(
    admin_client: FlaskClient, csrf: Csrf
) -> None:
    token = csrf(admin_client, "/campaigns/new")
    answer = admin_client.post(
        "/campaigns/new", data={"name": "x", "body": "Hi {{ nickname }}", "csrf_token": token}
    )
    assert answer.status_code == 422
    assert "unknown merge field(s): nickname" in answer.get_data(as_text=True)


def test_agents_see_campaigns_but_cannot_create_them(agent_client: FlaskClient) -> None:
    assert agent_client.get("/campaigns/").status_code == 200
    assert agent_client.get("/campaigns/new").status_code == 403
