"""The contact import page over HTTP (SQLite and PostgreSQL): the same typed import as
the API and the CLI, previewed first (nothing stored), then the good rows imported."""

from __future__ import annotations

import io
from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.models import ConsentChannel, ConsentEvent, Contact

pytest_plugins = ["tests.plugins.web"]

Csrf = Callable[[FlaskClient, str], str]

CSV = (
    "number,first_name,appointment_at,visits,consent_source\n"
    "+15550000301,Ann,2026-05-01 14:30,3,paper form\n"
    "+15550000302,Bo,someday,1,\n"
    "+15550000303,Cy,,many,\n"
)


def upload(client: FlaskClient, token: str, data: bytes, **form: str) -> str:
    answer = client.post(
        "/contacts/import",
        data={"file": (io.BytesIO(data), "people.csv"), "csrf_token": token, **form},
        content_type="multipart/form-data",
    )
    return answer.get_data(as_text=True)


def test_the_import_page_types_fields_names_bad_rows_and_records_consent_sources(
    admin_client: FlaskClient, sessions: sessionmaker[Session], csrf: Csrf
) -> None:
    token = csrf(admin_client, "/campaigns/fields")
    for name, type_ in (("appointment_at", "datetime"), ("visits", "number")):
        admin_client.post(
            "/campaigns/fields", data={"name": name, "type": type_, "csrf_token": token}
        )
    preview = upload(admin_client, token, CSV.encode(), time_zone="Europe/London")
    assert "1 row ready, 2 with errors (skipped): 1 new, 0 updated." in preview
    assert "appointment_at: &#39;someday&#39; is not a date/time" in preview
    assert "visits: &#39;many&#39; is not a number" in preview
    assert "2026-05-01T13:30:00+00:00" in preview  # 14:30 in London summer time
    assert "paper form" in preview
    with sessions() as session:
        assert session.scalars(select(Contact)).all() == []

    done = admin_client.post(
        "/contacts/import",
        data={"csv": CSV, "time_zone": "Europe/London", "confirm": "yes", "csrf_token": token},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Imported: 1 new, 0 updated, 2 skipped." in done
    with sessions() as session:
        ann = session.scalars(select(Contact)).one()
        assert ann.fields == {"appointment_at": "2026-05-01T13:30:00+00:00", "visits": 3}
        consent = session.scalars(select(ConsentEvent)).one()
        assert (consent.contact_id, consent.channel, consent.detail) == (
            ann.id,
            ConsentChannel.IMPORT,
            "paper form",
        )


def test_an_import_file_that_is_not_utf8_or_not_a_zone_is_refused_with_a_reason(
    admin_client: FlaskClient, sessions: sessionmaker[Session], csrf: Csrf
) -> None:
    token = csrf(admin_client, "/contacts/import")
    latin1 = "number,first_name\n+15550000304,Zoë\n".encode("latin-1")
    assert "not UTF-8 text: save the spreadsheet as CSV UTF-8" in upload(
        admin_client, token, latin1
    )
    assert "unknown time zone &#39;Mars/Base&#39;" in upload(
        admin_client, token, CSV.encode(), time_zone="Mars/Base"
    )
    with sessions() as session:
        assert session.scalars(select(Contact)).all() == []
