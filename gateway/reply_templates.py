"""Saved replies with merge fields, filled in for one contact before an agent sends them.

Templates are written by staff but filled with contact data that came from outside, so
they run in Jinja's sandbox with no autoescape (the output is an SMS, not HTML) and
undefined fields render empty rather than failing the reply.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.errors import NotFound, ValidationError
from gateway.models import Contact, ReplyTemplate

_ENVIRONMENT = SandboxedEnvironment(autoescape=False, keep_trailing_newline=True)
MERGE_FIELDS = ("first_name", "last_name", "name", "number")


def merge_values(contact: Contact) -> dict[str, Any]:
    """What ``{{ ... }}`` can name: the standard fields, then the contact's own fields."""
    return {
        **{str(key): value for key, value in contact.fields.items()},
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "name": contact.display_name,
        "number": contact.number,
    }


def render(body: str, contact: Contact) -> str:
    try:
        return _ENVIRONMENT.from_string(body).render(merge_values(contact))
    except TemplateError as exc:
        raise ValidationError(f"the template cannot be filled in: {exc}", field="body") from None


def check(body: str) -> None:
    """Refuse a template that does not parse, when it is saved rather than when used."""
    if not body.strip():
        raise ValidationError("the template is empty", field="body")
    try:
        _ENVIRONMENT.parse(body)
    except TemplateError as exc:
        raise ValidationError(f"the template does not parse: {exc}", field="body") from None


def all_templates(session: Session) -> list[ReplyTemplate]:
    return list(session.scalars(select(ReplyTemplate).order_by(ReplyTemplate.name)))


def get(session: Session, template_id: int) -> ReplyTemplate:
    template = session.get(ReplyTemplate, template_id)
    if template is None:
        raise NotFound(f"no template {template_id}")
    return template


def add(session: Session, name: str, body: str, now: datetime) -> ReplyTemplate:
    """Store a new template and commit it."""
    name = name.strip()
    if not name:
        raise ValidationError("the template needs a name", field="name")
    check(body)
    template = ReplyTemplate(name=name, body=body, created_at=now)
    session.add(template)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ValidationError(f"a template named {name!r} exists", field="name") from None
    return template


def remove(session: Session, template_id: int) -> None:
    session.delete(get(session, template_id))
    session.commit()
