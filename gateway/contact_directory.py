"""The contacts list: search, pages, CSV import with a preview, and CSV export.

Import is two steps so a person sees what will happen before anything is written:
:func:`parse_csv` checks every row (and says which ones are wrong and why), then
:func:`import_rows` stores the good ones. Importing never changes anyone's consent.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from gateway import contacts
from gateway.errors import ValidationError
from gateway.models import Contact, Conversation, NumberKind
from gateway.queue.numbers import normalise_number

PER_PAGE = 50
MAX_ROWS = 20_000
STANDARD_COLUMNS = ("number", "first_name", "last_name", "tags")
TAG_SEPARATOR = ";"


@dataclass(frozen=True)
class ContactPage:
    rows: list[tuple[Contact, int | None]]  # the contact and its conversation id
    number: int
    pages: int
    total: int


def search(session: Session, query: str, *, page: int = 1, per_page: int = PER_PAGE) -> ContactPage:
    statement = select(Contact, Conversation.id).outerjoin(
        Conversation, Conversation.contact_id == Contact.id
    )
    text = query.strip()
    if text:
        full_name = Contact.first_name + " " + Contact.last_name
        statement = statement.where(
            or_(
                full_name.icontains(text, autoescape=True),
                Contact.number.icontains(text.replace(" ", ""), autoescape=True),
            )
        )
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    number = min(max(1, page), pages)
    ordered = statement.order_by(Contact.last_name, Contact.first_name, Contact.id)
    found = session.execute(ordered.offset((number - 1) * per_page).limit(per_page))
    return ContactPage(
        [(contact, conversation) for contact, conversation in found], number, pages, total
    )


def conversation_id(session: Session, contact: Contact) -> int | None:
    return session.scalar(select(Conversation.id).where(Conversation.contact_id == contact.id))


def parse_tags(text: str) -> list[str]:
    return sorted(
        {
            tag.strip()
            for tag in text.replace(",", TAG_SEPARATOR).split(TAG_SEPARATOR)
            if tag.strip()
        }
    )


@dataclass(frozen=True)
class ImportRow:
    line: int
    number: str
    first_name: str = ""
    last_name: str = ""
    tags: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    error: str | None = None


def parse_csv(text: str, region: str) -> list[ImportRow]:
    """Every data row of ``text``, each either ready to import or carrying its error."""
    try:
        return _parse_csv(text, region)
    except csv.Error as exc:
        raise ValidationError(f"not a readable CSV file: {exc}", field="file") from None


def _parse_csv(text: str, region: str) -> list[ImportRow]:
    # newline="": the csv module sees \r, \n and \r\n line ends itself, as it needs to.
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if reader.fieldnames is None or "number" not in [
        name.strip().lower() for name in reader.fieldnames
    ]:
        raise ValidationError("the file needs a header row with a 'number' column", field="file")
    rows: list[ImportRow] = []
    seen: dict[str, int] = {}
    for record in reader:
        line = reader.line_num
        if len(rows) >= MAX_ROWS:
            raise ValidationError(f"at most {MAX_ROWS} rows per import", field="file")
        values = {
            (key or "").strip().lower(): (value or "").strip()
            for key, value in record.items()
            if isinstance(value, str)
        }
        raw = values.get("number", "")
        extra = {
            key: value
            for key, value in values.items()
            if key not in STANDARD_COLUMNS and key and value
        }
        common: dict[str, Any] = {
            "first_name": values.get("first_name", "")[:64],
            "last_name": values.get("last_name", "")[:64],
            "tags": parse_tags(values.get("tags", "")),
            "fields": extra,
        }
        try:
            number = normalise_number(raw, region)
        except ValidationError as exc:
            rows.append(ImportRow(line, raw, error=exc.message, **common))
            continue
        if number in seen:
            rows.append(
                ImportRow(line, number, error=f"same number as line {seen[number]}", **common)
            )
            continue
        seen[number] = line
        rows.append(ImportRow(line, number, **common))
    return rows


def import_rows(session: Session, rows: list[ImportRow], now: datetime) -> tuple[int, int]:
    """Create or update the contacts of the good rows (not committed); (created, updated)."""
    created = updated = 0
    for row in rows:
        if row.error is not None:
            continue
        contact, new = contacts.get_or_create(
            session, contacts.Sender(row.number, NumberKind.E164), now
        )
        if row.first_name:
            contact.first_name = row.first_name
        if row.last_name:
            contact.last_name = row.last_name
        contact.tags = sorted({*contact.tags, *row.tags})
        contact.fields = {**contact.fields, **row.fields}
        created += new
        updated += not new
    return created, updated


def _cell(value: object) -> str:
    """A cell a spreadsheet will not run as a formula (names can come from anyone)."""
    text = str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_csv(session: Session) -> str:
    """Every contact, one per row, with each custom field as its own column."""
    everyone = list(session.scalars(select(Contact).order_by(Contact.id)))
    extra = sorted({str(key) for contact in everyone for key in contact.fields})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*STANDARD_COLUMNS, "opted_out", *extra])
    for contact in everyone:
        writer.writerow(
            [
                contact.number if contact.textable else _cell(contact.number),
                _cell(contact.first_name),
                _cell(contact.last_name),
                _cell(TAG_SEPARATOR.join(contact.tags)),
                "yes" if contact.opted_out else "no",
                *(_cell(contact.fields.get(key, "")) for key in extra),
            ]
        )
    return out.getvalue()
