"""Contacts, settings, the modems dashboard and reports over HTTP (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway import reports
from gateway.contacts import Sender, get_or_create, opt_out
from gateway.conversations import record_inbound
from gateway.models import (
    ApiKey,
    ConsentChannel,
    Contact,
    Direction,
    Kind,
    Message,
    ModemRecord,
    NumberKind,
    utcnow,
)

pytest_plugins = ["tests.plugins.web"]

Csrf = Callable[[FlaskClient, str], str]

CSV = (
    "number,first_name,last_name,tags,city\n"
    "+1 555 000 0101,Ann,Lee,vip;newsletter,Leeds\n"
    "not a number,Bad,Row,,\n"
    "+15550000101,Dup,Licate,,\n"
    "+15550000102,=HYPERLINK(1),,,\n"
)


def test_csv_import_previews_row_errors_then_imports_and_exports(
    admin_client: FlaskClient, sessions: sessionmaker[Session], csrf: Csrf
) -> None:
    token = csrf(admin_client, "/contacts/import")
    preview = admin_client.post(
        "/contacts/import",
        data={"file": (io.BytesIO(CSV.encode()), "people.csv"), "csrf_token": token},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "2 rows ready, 2 with errors" in preview
    assert "same number as line 2" in preview
    with sessions() as session:
        assert session.scalars(select(Contact)).all() == []
    done = admin_client.post(
        "/contacts/import",
        data={"csv": CSV, "confirm": "yes", "csrf_token": token},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Imported: 2 new, 0 updated, 2 skipped." in done
    with sessions() as session:
        ann = session.scalars(select(Contact).where(Contact.number == "+15550000101")).one()
        assert (ann.first_name, ann.tags, ann.fields) == (
            "Ann",
            ["newsletter", "vip"],
            {"city": "Leeds"},
        )
    exported = admin_client.get("/contacts/export.csv").get_data(as_text=True).splitlines()
    assert exported[0] == "number,first_name,last_name,tags,opted_out,city"
    assert "+15550000101,Ann,Lee,newsletter;vip,no,Leeds" in exported
    assert "+15550000102,'=HYPERLINK(1),,,no," in exported
    assert "Ann Lee" in admin_client.get("/contacts/?q=ann").get_data(as_text=True)
    assert "Ann Lee" not in admin_client.get("/contacts/?q=zed").get_data(as_text=True)


def test_a_contact_shows_consent_history_and_staff_can_opt_them_out(
    agent_client: FlaskClient, sessions: sessionmaker[Session], csrf: Csrf
) -> None:
    with sessions() as session:
        contact, _ = get_or_create(session, Sender("+15550000201", NumberKind.E164), utcnow())
        record_inbound(session, contact, utcnow())
        session.commit()
        contact_id = contact.id
    page = f"/contacts/{contact_id}"
    assert "Open conversation" in agent_client.get(page).get_data(as_text=True)
    agent_client.post(
        f"{page}/opt-out",
        data={"reason": "asked <by> phone", "csrf_token": csrf(agent_client, page)},
    )
    shown = agent_client.get(page).get_data(as_text=True)
    assert "opt out</strong> via ui" in shown
    assert "asked &lt;by&gt; phone" in shown


def test_settings_are_for_admins_and_manage_users_keys_keywords_and_webhooks(
    admin_client: FlaskClient, agent_client: FlaskClient, csrf: Csrf
) -> None:
    assert agent_client.get("/settings/").status_code == 403
    assert (
        agent_client.post(
            "/settings/users", data={"csrf_token": csrf(agent_client, "/")}
        ).status_code
        == 403
    )
    token = csrf(admin_client, "/settings/")

    def post(path: str, **form: str) -> str:
        return admin_client.post(
            path, data={**form, "csrf_token": token}, follow_redirects=True
        ).get_data(as_text=True)

    assert "User carol added." in post(
        "/settings/users", username="carol", password="long enough pw", role="agent"
    )
    assert "already exists" in post("/settings/users", username="carol", password="long enough pw")
    assert "cg_" in post("/settings/keys", name="crm", scopes="send")
    assert "Keyword hours added." in post(
        "/settings/keywords", keyword="hours", mode="exact", reply="9 to 5"
    )
    assert "unknown match mode" in post("/settings/keywords", keyword="x", mode="regex", reply="y")
    assert "signing secret is whsec_" in post("/settings/webhooks", url="https://crm.example/hook")
    assert "starts with http" in post("/settings/webhooks", url="javascript:alert(1)")
    assert "cannot deactivate yourself" in post("/settings/users/1/active")


def test_a_key_made_in_settings_works_until_it_is_revoked_there(
    admin_client: FlaskClient, sessions: sessionmaker[Session], csrf: Csrf
) -> None:
    token = csrf(admin_client, "/settings/")
    made = admin_client.post(
        "/settings/keys",
        data={"name": "crm", "scopes": "read", "csrf_token": token},
        follow_redirects=True,
    ).get_data(as_text=True)
    shown_once = re.search(r"API key crm: (cg_[\w-]+)", made)
    assert shown_once is not None
    bearer = {"Authorization": f"Bearer {shown_once.group(1)}"}
    assert admin_client.get("/api/v1/messages", headers=bearer).status_code == 200
    with sessions() as session:
        key_id = session.scalars(select(ApiKey.id).where(ApiKey.name == "crm")).one()
    shown = admin_client.post(
        f"/settings/keys/{key_id}/revoke", data={"csrf_token": token}, follow_redirects=True
    ).get_data(as_text=True)
    assert "API key crm revoked." in shown
    assert ", revoked " in shown
    assert admin_client.get("/api/v1/messages", headers=bearer).status_code == 401


def test_the_dashboard_shows_modems_other_nodes_report(
    admin_client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    with sessions() as session:
        session.add(
            ModemRecord(
                name="far1",
                node="pi-attic",
                number="+15550009999",
                last_seen_at=utcnow(),
                down_since=utcnow(),
                last_error="<port gone>",
            )
        )
        session.commit()
    page = admin_client.get("/modems").get_data(as_text=True)
    assert "far1" in page
    assert "pi-attic" in page
    assert "badge-down" in page
    assert "&lt;port gone&gt;" in page
    assert "Check balance" not in page  # USSD only for this node's own modems


def test_reports_count_delivery_replies_opt_outs_and_first_response(
    sessions: sessionmaker[Session], admin_client: FlaskClient
) -> None:
    now = utcnow()
    with sessions() as session:
        for index, state in enumerate(["delivered", "delivered", "failed", "queued"]):
            session.add(
                Message(
                    direction=Direction.OUT,
                    state=state,
                    kind=Kind.MARKETING,
                    peer=f"+1555000030{index}",
                    body="sale",
                    encoding="gsm7",
                    sent_modem="sim0",
                    sent_at=now - timedelta(hours=2),
                    created_at=now - timedelta(hours=2),
                )
            )
        session.add(
            Message(
                direction=Direction.IN,
                peer="+15550000300",
                body="yes",
                encoding="gsm7",
                sent_modem="sim0",
                created_at=now - timedelta(hours=1),
            )
        )
        contact, _ = get_or_create(session, Sender("+15550000301", NumberKind.E164), now)
        opt_out(session, contact, ConsentChannel.SMS, now - timedelta(minutes=30))
        replier, _ = get_or_create(session, Sender("+15550000300", NumberKind.E164), now)
        record_inbound(session, replier, now)
        session.add(
            Message(
                direction=Direction.OUT,
                state="sent",
                kind=Kind.CONVERSATION,
                peer="+15550000300",
                body="hi",
                encoding="gsm7",
                sent_modem="sim0",
                created_at=now - timedelta(minutes=50),
            )
        )
        session.commit()
        window = reports.Window.last_days(7, now, ZoneInfo("UTC"))
        marketing = next(
            row for row in reports.rates(session, window) if row.kind == Kind.MARKETING
        )
        assert (marketing.messages, marketing.left, marketing.delivered) == (4, 3, 2)
        assert (marketing.replied, marketing.opted_out) == (1, 1)
        agents = reports.agent_times(session, window)
        assert [(row.agent, row.median_first_response) for row in agents] == [
            ("Unassigned", timedelta(minutes=10))
        ]
        volume = reports.volume(session, window)
        assert volume.per_modem == [("sim0", 4, 1)]  # the reply row carries no sent_at
    assert "66.7 %" in admin_client.get("/reports/?days=7").get_data(as_text=True)
