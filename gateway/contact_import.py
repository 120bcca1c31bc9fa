"""CSV import with typed custom fields and a consent-source column.

Builds on :mod:`gateway.contact_directory` (header check, phonenumbers with the default
region, duplicate rows, per-row errors) and adds what campaigns need: values of
declared fields converted to their type (a bad date is that row's error, not a silent
string), and a ``consent_source`` column recording where each new contact's opt-in
came from ("paper form, front desk") in the consent ledger. As in the directory's
import, nobody's opt-out is ever undone by an import.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from gateway import contact_directory, contact_fields, contacts
from gateway.contact_directory import ImportRow
from gateway.errors import ValidationError
from gateway.models import ConsentAction, ConsentChannel, ConsentEvent, FieldType

CONSENT_COLUMN = "consent_source"


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    errors: list[tuple[int, str]]  # (line, reason)


def _typed(row: ImportRow, types: dict[str, FieldType], zone: str) -> ImportRow:
    if row.error is not None:
        return row
    fields: dict[str, object] = {}
    for name, raw in row.fields.items():
        if name == CONSENT_COLUMN:
            continue
        kind = types.get(name, FieldType.TEXT)
        try:
            fields[name] = contact_fields.convert(kind, raw, zone)
        except ValidationError as exc:
            return dataclasses.replace(row, error=f"{name}: {exc.message}")
    return dataclasses.replace(row, fields=fields)  # type: ignore[arg-type]


def parse(session: Session, text: str, region: str, *, zone: str = "UTC") -> list[ImportRow]:
    """Every row checked: numbers, duplicates and typed fields (naive times read in ``zone``)."""
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"unknown time zone {zone!r}", field="time_zone") from None
    types = contact_fields.types(session)
    return [_typed(row, types, zone) for row in contact_directory.parse_csv(text, region)]


def import_csv(
    session: Session, text: str, region: str, now: datetime, *, zone: str = "UTC"
) -> ImportResult:
    """Parse, store the good rows and record consent sources; commits."""
    raw_rows = contact_directory.parse_csv(text, region)
    sources = {row.line: row.fields.get(CONSENT_COLUMN, "") for row in raw_rows}
    rows = parse(session, text, region, zone=zone)
    new_numbers = {
        row.number
        for row in rows
        if row.error is None and contacts.find(session, row.number) is None
    }
    created, updated = contact_directory.import_rows(session, rows, now)
    for row in rows:
        source = sources.get(row.line, "")
        if row.error is None and source and row.number in new_numbers:
            contact = contacts.find(session, row.number)
            assert contact is not None
            session.add(
                ConsentEvent(
                    contact_id=contact.id,
                    number_hash=contacts.number_hash(contact.number),
                    action=ConsentAction.OPT_IN,
                    at=now,
                    channel=ConsentChannel.IMPORT,
                    detail=source[:500],
                )
            )
    session.commit()
    errors = [(row.line, row.error) for row in rows if row.error is not None]
    return ImportResult(created, updated, errors)
