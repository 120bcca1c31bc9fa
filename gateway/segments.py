"""Segments: saved filters over contacts, counted live and streamed in batches.

A filter is plain JSON (:meth:`Filter.from_json`) so the UI, the API and the database
share one form. Tags, consent, last activity and campaign responses become SQL; typed
custom-field conditions are checked in Python on each streamed batch, because JSON
comparisons differ between SQLite and PostgreSQL. Contacts are read in keyset pages
(``id > last``) so an audience of any size is never held in memory, and a page is a
complete unit a caller can commit after.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, Text, cast, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from gateway import contact_fields
from gateway.errors import NotFound, ValidationError
from gateway.models import (
    Contact,
    Direction,
    FieldType,
    Message,
    MessageMeta,
    NumberKind,
    Segment,
)

PAGE = 1000
CONSENT = ("subscribed", "opted_out", "any")
OPERATORS = ("eq", "ne", "lt", "gt", "set", "unset")


@dataclass(frozen=True)
class FieldCondition:
    name: str
    op: str
    value: str = ""


@dataclass(frozen=True)
class Response:
    """Answered one of ``answers`` to campaign ``campaign`` ("answered 1-3 to survey X")."""

    campaign: str
    answers: tuple[str, ...]


@dataclass(frozen=True)
class Filter:
    tags_all: tuple[str, ...] = ()
    tags_any: tuple[str, ...] = ()
    tags_none: tuple[str, ...] = ()
    fields: tuple[FieldCondition, ...] = ()
    consent: str = "subscribed"
    active_within_days: int | None = None
    inactive_for_days: int | None = None
    responded: Response | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Filter:
        """The filter ``data`` describes; :class:`ValidationError` names a bad part."""

        def strings(key: str) -> tuple[str, ...]:
            value = data.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise ValidationError(f"{key} must be a list of names", field=key)
            return tuple(value)

        def days(key: str) -> int | None:
            value = data.get(key)
            if value is None:
                return None
            if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 36500:
                raise ValidationError(f"{key} must be a number of days", field=key)
            return value

        unknown = set(data) - {f for f in cls.__dataclass_fields__}
        if unknown:
            raise ValidationError(f"unknown filter keys: {sorted(unknown)}", field="definition")
        consent = data.get("consent", "subscribed")
        if consent not in CONSENT:
            raise ValidationError(f"consent must be one of {', '.join(CONSENT)}", field="consent")
        conditions = []
        for raw in data.get("fields", []):
            if not isinstance(raw, Mapping) or raw.get("op") not in OPERATORS:
                raise ValidationError(
                    f"a field condition needs a name and an op in {OPERATORS}", field="fields"
                )
            conditions.append(
                FieldCondition(str(raw.get("name", "")), str(raw["op"]), str(raw.get("value", "")))
            )
        responded = data.get("responded")
        response = None
        if responded is not None:
            if not isinstance(responded, Mapping) or not responded.get("campaign"):
                raise ValidationError("responded needs a campaign", field="responded")
            answers = responded.get("answers", [])
            if not isinstance(answers, list) or not answers:
                raise ValidationError("responded needs answers", field="responded")
            response = Response(
                str(responded["campaign"]), tuple(str(a).strip().upper() for a in answers)
            )
        return cls(
            tags_all=strings("tags_all"),
            tags_any=strings("tags_any"),
            tags_none=strings("tags_none"),
            fields=tuple(conditions),
            consent=consent,
            active_within_days=days("active_within_days"),
            inactive_for_days=days("inactive_for_days"),
            responded=response,
        )

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["fields"] = [asdict(c) for c in self.fields]
        return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


def _has_tag(tag: str) -> Any:
    # Tags are a JSON list; its text holds each tag JSON-quoted on SQLite and PostgreSQL.
    return cast(Contact.tags, Text).contains(json.dumps(tag), autoescape=True)


def _inbound_since(moment: datetime) -> Any:
    return exists().where(
        Message.peer == Contact.number,
        Message.direction == Direction.IN,
        Message.created_at >= moment,
    )


def _responded(response: Response) -> Any:
    sent = aliased(Message)
    return exists().where(
        Message.peer == Contact.number,
        Message.direction == Direction.IN,
        func.upper(func.trim(Message.body)).in_(response.answers),
        exists().where(
            sent.peer == Contact.number,
            sent.direction == Direction.OUT,
            sent.id < Message.id,
            MessageMeta.message_id == sent.id,
            MessageMeta.campaign == response.campaign,
        ),
    )


def statement(spec: Filter, now: datetime) -> Select[Contact]:
    """The SQL part of ``spec``: textable contacts, by id."""
    query = select(Contact).where(Contact.number_kind == NumberKind.E164)
    if spec.consent == "subscribed":
        query = query.where(Contact.opted_out.is_(False))
    elif spec.consent == "opted_out":
        query = query.where(Contact.opted_out.is_(True))
    for tag in spec.tags_all:
        query = query.where(_has_tag(tag))
    if spec.tags_any:
        query = query.where(or_(*(_has_tag(tag) for tag in spec.tags_any)))
    for tag in spec.tags_none:
        query = query.where(~_has_tag(tag))
    if spec.active_within_days is not None:
        query = query.where(_inbound_since(now - timedelta(days=spec.active_within_days)))
    if spec.inactive_for_days is not None:
        query = query.where(~_inbound_since(now - timedelta(days=spec.inactive_for_days)))
    if spec.responded is not None:
        query = query.where(_responded(spec.responded))
    return query.order_by(Contact.id)


def _typed(kind: FieldType, value: Any) -> Any:
    if kind is FieldType.DATETIME:
        return contact_fields.stored_datetime(value)
    try:
        return contact_fields.convert(kind, value)
    except ValidationError:
        return None


@dataclass
class FieldCheck:
    """The custom-field conditions, typed once per stream by the declared field types."""

    conditions: Sequence[FieldCondition]
    types: Mapping[str, FieldType] = field(default_factory=dict)

    def __call__(self, contact: Contact) -> bool:
        return all(self._holds(condition, contact) for condition in self.conditions)

    def _holds(self, condition: FieldCondition, contact: Contact) -> bool:
        raw = contact.fields.get(condition.name)
        present = raw not in (None, "")
        if condition.op in ("set", "unset"):
            return present == (condition.op == "set")
        if not present:
            return condition.op == "ne"
        kind = self.types.get(condition.name, FieldType.TEXT)
        have, want = _typed(kind, raw), _typed(kind, condition.value)
        if have is None or want is None:
            return False
        if condition.op == "eq":
            return bool(have == want)
        if condition.op == "ne":
            return bool(have != want)
        if kind is FieldType.TEXT:
            return False
        return bool(have < want) if condition.op == "lt" else bool(have > want)


@dataclass(frozen=True)
class Page:
    contacts: list[Contact]
    last_id: int  # the last id read, matching or not: where the next page starts


def pages(
    session: Session, spec: Filter, now: datetime, *, after: int = 0, size: int = PAGE
) -> Iterator[Page]:
    """The matching contacts in pages of at most ``size`` rows read, ascending by id.

    Each page is read with its own query, so the caller may commit between pages.
    """
    check = FieldCheck(spec.fields, contact_fields.types(session))
    query = statement(spec, now)
    while True:
        batch = list(session.scalars(query.where(Contact.id > after).limit(size)))
        if not batch:
            return
        after = batch[-1].id
        yield Page([contact for contact in batch if check(contact)], after)


def stream(session: Session, spec: Filter, now: datetime) -> Iterator[Contact]:
    for page in pages(session, spec, now):
        yield from page.contacts


def count(session: Session, spec: Filter, now: datetime) -> int:
    if not spec.fields:
        return (
            session.scalar(select(func.count()).select_from(statement(spec, now).subquery())) or 0
        )
    return sum(len(page.contacts) for page in pages(session, spec, now))


def everyone() -> Filter:
    return Filter()


def get(session: Session, segment_id: int) -> Segment:
    segment = session.get(Segment, segment_id)
    if segment is None:
        raise NotFound(f"no segment {segment_id}")
    return segment


def filter_of(session: Session, segment_id: int | None) -> Filter:
    """The filter of a saved segment, or everyone subscribed when ``segment_id`` is None."""
    if segment_id is None:
        return everyone()
    return Filter.from_json(get(session, segment_id).definition)


def all_segments(session: Session) -> list[Segment]:
    return list(session.scalars(select(Segment).order_by(Segment.name)))


def save(
    session: Session, name: str, spec: Filter, now: datetime, *, segment_id: int | None = None
) -> Segment:
    """Create or update a segment and commit it."""
    name = name.strip()
    if not name or len(name) > 64:
        raise ValidationError("a segment needs a name of 1-64 characters", field="name")
    clash = session.scalar(select(Segment).where(Segment.name == name))
    if clash is not None and clash.id != segment_id:
        raise ValidationError(f"a segment named {name!r} exists", field="name")
    segment = get(session, segment_id) if segment_id is not None else Segment(created_at=now)
    segment.name = name
    segment.definition = spec.as_json()
    session.add(segment)
    session.commit()
    return segment
