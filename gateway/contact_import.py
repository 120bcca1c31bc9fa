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

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import contact_directory, contact_fields, contacts
from gateway.contact_directory import ImportRow
from gateway.errors import ValidationError
from gateway.models import ConsentAction, ConsentChannel, ConsentEvent, Contact, FieldType

CONSENT_COLUMN = "consent_source"
LOOKUP_BATCH = 500


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


@dataclass(frozen=True)
class CheckedRow:
    """One row as the import will treat it: shown in the web preview, then imported."""

    row: ImportRow  # typed fields, or the row's error
    consent_source: str
    new: bool  # no contact has this number yet


def _existing(session: Session, numbers: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(numbers), LOOKUP_BATCH):
        batch = numbers[start : start + LOOKUP_BATCH]
        found.update(session.scalars(select(Contact.number).where(Contact.number.in_(batch))))
    return found


def check(session: Session, text: str, region: str, *, zone: str = "UTC") -> list[CheckedRow]:
    """Every row checked (numbers, duplicates, typed fields; naive times read in ``zone``),
    nothing written."""
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"unknown time zone {zone!r}", field="time_zone") from None
    types = contact_fields.types(session)
    raw_rows = contact_directory.parse_csv(text, region)
    existing = _existing(session, [row.number for row in raw_rows if row.error is None])
    return [
        CheckedRow(
            row=_typed(raw, types, zone),
            consent_source=raw.fields.get(CONSENT_COLUMN, ""),
            new=raw.number not in existing,
        )
        for raw in raw_rows
    ]


def import_csv(
    session: Session, text: str, region: str, now: datetime, *, zone: str = "UTC"
) -> ImportResult:
    """Check, store the good rows and record consent sources, in one commit."""
    checked = check(session, text, region, zone=zone)
    rows = [item.row for item in checked]
    created, updated = contact_directory.import_rows(session, rows, now)
    for item in checked:
        if item.row.error is None and item.consent_source and item.new:
            contact = contacts.find(session, item.row.number)
            assert contact is not None
            session.add(
                ConsentEvent(
                    contact_id=contact.id,
                    number_hash=contacts.number_hash(contact.number),
                    action=ConsentAction.OPT_IN,
                    at=now,
                    channel=ConsentChannel.IMPORT,
                    detail=item.consent_source[:500],
                )
            )
    session.commit()
    errors = [(row.line, row.error) for row in rows if row.error is not None]
    return ImportResult(created, updated, errors)
