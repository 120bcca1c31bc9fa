"""Campaign templates: the reply-template sandbox plus fallbacks, checks and audience counts.

Campaign bodies are written once and filled in for thousands of contacts, so they are
compiled once (:class:`CampaignTemplate`) and checked when saved: a name that is no
merge field nor declared custom field is refused then, not discovered as a blank in
10,000 texts. ``{{first_name|there}}`` is shorthand for "the first name, or *there*
when it is empty": after ``|`` a word that is no Jinja filter is a fallback. Fallbacks
are passed to the template as values, never spliced into its source, so a fallback can
hold any text without being parsed as template code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from jinja2 import TemplateError, meta
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import select
from sqlalchemy.orm import Session

from drivers.errors import PduError
from drivers.pdu import segments, transliterate
from gateway.errors import ValidationError
from gateway.models import Contact, ContactField
from gateway.reply_templates import MERGE_FIELDS, merge_values

_ENVIRONMENT = SandboxedEnvironment(autoescape=False, keep_trailing_newline=True)
_SHORTHAND = re.compile(r"\{\{\s*([A-Za-z_]\w*)\s*\|\s*([^{}|()\"']*?)\s*\}\}")
_FALLBACK = "_fallback_{}"


def expand_fallbacks(body: str) -> tuple[str, dict[str, str]]:
    """``body`` with each ``{{name|fallback}}`` made Jinja, and the fallback values."""
    fallbacks: dict[str, str] = {}

    def replace(match: re.Match[str]) -> str:
        name, fallback = match.group(1), match.group(2)
        if fallback in _ENVIRONMENT.filters or not fallback:
            return match.group(0)
        key = _FALLBACK.format(len(fallbacks))
        fallbacks[key] = fallback
        return f"{{{{ {name} or {key} }}}}"

    return _SHORTHAND.sub(replace, body), fallbacks


def known_fields(session: Session) -> frozenset[str]:
    """Every name a campaign body may use: the standard fields and the declared ones."""
    declared = session.scalars(select(ContactField.name))
    return frozenset({*MERGE_FIELDS, *declared})


@dataclass(frozen=True)
class CampaignTemplate:
    """A checked, compiled body; :meth:`render` fills it in for one contact."""

    body: str
    transliterate: bool = False
    _compiled: Any = field(init=False, repr=False, compare=False)
    _fallbacks: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        source, fallbacks = expand_fallbacks(self.body)
        try:
            compiled = _ENVIRONMENT.from_string(source)
        except TemplateError as exc:
            raise ValidationError(f"the template does not parse: {exc}", field="body") from None
        object.__setattr__(self, "_compiled", compiled)
        object.__setattr__(self, "_fallbacks", fallbacks)

    def variables(self) -> frozenset[str]:
        source, fallbacks = expand_fallbacks(self.body)
        names = meta.find_undeclared_variables(_ENVIRONMENT.parse(source))
        return frozenset(names - fallbacks.keys())

    def render(self, contact: Contact) -> str:
        try:
            text = str(self._compiled.render({**merge_values(contact), **self._fallbacks}))
        except TemplateError as exc:
            raise ValidationError(
                f"the template cannot be filled in: {exc}", field="body"
            ) from None
        return transliterate(text) if self.transliterate else text


def check(session: Session, body: str, *, transliterate: bool = False) -> CampaignTemplate:
    """The compiled template, or :class:`ValidationError` naming what is wrong with it."""
    if not body.strip():
        raise ValidationError("the template is empty", field="body")
    template = CampaignTemplate(body, transliterate)
    unknown = sorted(template.variables() - known_fields(session))
    if unknown:
        raise ValidationError(
            "unknown merge field(s): " + ", ".join(unknown) + " (declare custom fields first)",
            field="body",
        )
    return template


@dataclass
class AudienceSize:
    """SMS parts per recipient across an audience, and what forces UCS-2 for whom."""

    contacts: int = 0
    min_segments: int = 0
    max_segments: int = 0
    total_segments: int = 0
    ucs2_contacts: int = 0
    forcing: set[str] = field(default_factory=set)
    errors: int = 0


def measure(template: CampaignTemplate, audience: Iterable[Contact]) -> AudienceSize:
    """Fill the template in for every contact of ``audience`` (streamed) and count parts."""
    size = AudienceSize()
    for contact in audience:
        try:
            counted = segments(template.render(contact))
        except (ValidationError, PduError):
            size.errors += 1
            continue
        size.min_segments = (
            counted.parts if not size.contacts else min(size.min_segments, counted.parts)
        )
        size.max_segments = max(size.max_segments, counted.parts)
        size.total_segments += counted.parts
        size.contacts += 1
        if counted.forcing:
            size.ucs2_contacts += 1
            size.forcing.update(counted.forcing)
    return size
