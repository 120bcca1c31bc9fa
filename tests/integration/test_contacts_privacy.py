"""Exporting everything about a contact, and erasing them while keeping them suppressed."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway import contacts
from gateway.compliance import privacy
from gateway.inbound.pipeline import InboundSms, Pipeline
from gateway.models import ConsentEvent, Contact, Conversation, Kind, Message
from gateway.queue.enqueue import enqueue
from gateway.states import MessageState

pytest_plugins = ["tests.plugins.inbound"]

NOON = datetime(2026, 6, 3, 12, 0, tzinfo=UTC)
CUSTOMER = "+442071234567"


def customer(session: Session, pipeline: Pipeline) -> Contact:
    pipeline.receive(session, InboundSms(CUSTOMER, "STOP", "gsm7", "sim0", NOON), NOON)
    pipeline.receive(session, InboundSms(CUSTOMER, "<b>hi</b>", "gsm7", "sim0", None), NOON)
    contact = contacts.find(session, CUSTOMER)
    assert contact is not None
    return contact


def test_export_holds_messages_and_consent_as_json_and_csv(
    gated: sessionmaker[Session], pipeline: Pipeline
) -> None:
    with gated() as session:
        data = privacy.export(session, customer(session, pipeline).id)
        assert json.loads(json.dumps(data)) == data
        assert [m["body"] for m in data["messages"] if m["direction"] == "in"] == [
            "STOP",
            "<b>hi</b>",
        ]
        assert [e["action"] for e in data["consent"]] == ["opt_out"]
        rows = list(csv.DictReader(io.StringIO(privacy.export_csv(data))))
        assert [row["record"] for row in rows].count("message") == len(data["messages"])
        assert "<b>hi</b>" in [row["text"] for row in rows]


def test_erasure_forgets_the_person_but_never_texts_them_again(
    gated: sessionmaker[Session], pipeline: Pipeline
) -> None:
    with gated() as session:
        contact = customer(session, pipeline)
        privacy.erase(session, contact.id, NOON, user_id=None)
        session.commit()
        assert session.scalars(select(Contact)).all() == []
        assert session.scalars(select(Conversation)).all() == []
        assert session.scalars(select(Message)).all() == []
        ledger = session.scalars(select(ConsentEvent).order_by(ConsentEvent.id)).all()
        assert [(e.contact_id, e.channel) for e in ledger] == [(None, "sms"), (None, "erasure")]
        again = enqueue(
            session, CUSTOMER, "We miss you", kind=Kind.MARKETING, region="GB", now=NOON
        )
        assert again.state == MessageState.SUPPRESSED
        assert again.last_error == "suppressed: erased"
