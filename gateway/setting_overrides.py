"""Config values admins override from Settings: business hours, auto-reply, compliance.

The config file gives the defaults. An admin may override the keys in :data:`EDITABLE`
in the web UI; each change is a :class:`SettingChange` row (see its module for why the
history is append-only and how its row count serves as a version). Values are checked
with the config schema's own converters, so Settings accepts exactly what the config
file would, plus the few rules below that keep a value from breaking the send path.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from drivers.errors import PduError
from drivers.pdu import segments
from gateway import commit_signals
from gateway.compliance.keywords import words
from gateway.config import SECTIONS, Config
from gateway.errors import ValidationError
from gateway.models import SettingChange, User

log = logging.getLogger(__name__)

EDITABLE = (
    "autoreply.enabled",
    "autoreply.text",
    "autoreply.hours",
    "autoreply.holidays",
    "compliance.quiet_hours",
    "compliance.quiet_hours_regions",
    "compliance.marketing_cap",
    "compliance.marketing_cap_hours",
    "compliance.opt_out_keywords",
    "compliance.opt_in_keywords",
    "compliance.help_keywords",
    "compliance.natural_language_opt_out",
    "compliance.opt_out_reply",
    "compliance.opt_in_reply",
    "compliance.help_reply",
)
# Texts the gateway sends: empty or unsendable, every answer to STOP would fail.
SENT_TEXTS = frozenset(
    {
        "autoreply.text",
        "compliance.opt_out_reply",
        "compliance.opt_in_reply",
        "compliance.help_reply",
    }
)
KEYWORD_LISTS = frozenset(
    {"compliance.opt_out_keywords", "compliance.opt_in_keywords", "compliance.help_keywords"}
)
# The commit_signals key of a session that saved a change (see LiveRules.follow).
CHANGED = "cellgate.settings.changed"


@dataclass(frozen=True)
class Override:
    """A key's value in force instead of the config file's, and who set it when."""

    key: str
    value: Any
    changed_at: datetime
    changed_by: str | None  # the admin's name; None once their account is gone


class SettingsRefused(ValidationError):
    """Values that cannot be accepted; ``errors`` maps each key to why. Nothing was stored."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(
            "; ".join(f"{key}: {why}" for key, why in errors.items()), field=next(iter(errors))
        )
        self.errors = dict(errors)


def _split(key: str) -> tuple[str, str]:
    if key not in EDITABLE:
        raise ValidationError(f"{key!r} cannot be changed in Settings", field=key)
    section, _, name = key.partition(".")
    return section, name


def _converter(key: str) -> Callable[[Any], Any]:
    section, name = _split(key)
    spec = next(f for f in dataclasses.fields(SECTIONS[section]) if f.name == name)
    convert: Callable[[Any], Any] = spec.metadata["convert"]
    return convert


def config_value(config: Config, key: str) -> Any:
    section, name = _split(key)
    return getattr(getattr(config, section), name)


def _converted(convert: Callable[[Any], Any], value: Any) -> Any:
    """``convert(value)``; for a list, an error names the entry at fault."""
    try:
        return convert(value)
    except ValueError as exc:
        for entry in value if isinstance(value, list) else ():
            try:
                convert([entry])
            except ValueError as alone:
                reason = str(alone)
                raise ValueError(
                    reason if repr(entry) in reason else f"{entry}: {reason}"
                ) from None
        raise ValueError(str(exc)) from None


def convert(key: str, value: Any) -> Any:
    """``value`` (as TOML would give it) checked and converted for ``key``; ValueError if bad."""
    converted = _converted(_converter(key), value)
    if key in SENT_TEXTS:
        if not converted.strip():
            raise ValueError("the text is empty")
        try:
            segments(converted)
        except PduError as exc:
            raise ValueError(str(exc)) from None
    if key in KEYWORD_LISTS:
        for keyword in converted:
            if not words(keyword):
                raise ValueError(f"{keyword}: a keyword needs letters or digits")
    if key == "compliance.opt_out_keywords" and not converted:
        raise ValueError("keep at least one opt-out keyword (carriers expect STOP)")
    if key == "compliance.marketing_cap_hours":
        try:
            timedelta(hours=converted)
        except (OverflowError, ValueError):
            raise ValueError(f"not a usable number of hours: {converted}") from None
    return converted


def version(session: Session) -> int:
    """Changes ever saved; it moves whenever what is in force may have."""
    with session.no_autoflush:
        return session.scalar(select(func.count()).select_from(SettingChange)) or 0


def load(session: Session) -> dict[str, Override]:
    """The overrides in force, by key.

    A stored value the schema no longer accepts (an upgrade tightened a converter) is
    skipped with a warning, so the config file's value applies rather than nothing.
    """
    latest = select(func.max(SettingChange.id)).group_by(SettingChange.key)
    rows = session.execute(
        select(SettingChange, User.display_name, User.username)
        .outerjoin(User, User.id == SettingChange.changed_by_id)
        .where(SettingChange.id.in_(latest), SettingChange.value.is_not(None))
    )
    found: dict[str, Override] = {}
    with session.no_autoflush:
        for change, display_name, username in rows:
            try:
                value = convert(change.key, change.value)
            except ValueError as exc:
                log.warning("ignoring the stored setting %s: %s", change.key, exc)
                continue
            found[change.key] = Override(
                change.key, value, change.changed_at, display_name or username
            )
    return found


def effective(config: Config, overrides: Iterable[Override]) -> Config:
    """``config`` with ``overrides`` in place of the file's values."""
    sections: dict[str, dict[str, Any]] = {}
    for override in overrides:
        section, name = _split(override.key)
        sections.setdefault(section, {})[name] = override.value
    return dataclasses.replace(
        config,
        **{
            section: dataclasses.replace(getattr(config, section), **values)
            for section, values in sections.items()
        },
    )


def save(
    session: Session,
    config: Config,
    values: Mapping[str, Any],
    *,
    user_id: int | None,
    now: datetime,
) -> list[str]:
    """Put ``values`` in force, all or none; returns the keys that changed. Commits.

    Raises :class:`SettingsRefused` naming every bad value. A value equal to what is in
    force changes nothing; one equal to the config file's hands the key back to the
    file (so the file's later edits apply to it again).
    """
    converted: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, value in values.items():
        try:
            converted[key] = convert(key, value)
        except ValueError as exc:
            errors[key] = str(exc)
    if errors:
        raise SettingsRefused(errors)
    current = load(session)
    changed = []
    for key, value in converted.items():
        override = current.get(key)
        if value == (override.value if override else config_value(config, key)):
            continue
        stored = None if value == config_value(config, key) else value
        session.add(SettingChange(key=key, value=stored, changed_at=now, changed_by_id=user_id))
        changed.append(key)
    _commit(session, changed)
    return changed


def reset(session: Session, key: str, *, user_id: int | None, now: datetime) -> bool:
    """Hand ``key`` back to the config file; False when it was not overridden. Commits."""
    _split(key)
    if key not in load(session):
        return False
    session.add(SettingChange(key=key, value=None, changed_at=now, changed_by_id=user_id))
    _commit(session, [key])
    return True


def _commit(session: Session, changed: list[str]) -> None:
    if changed:
        commit_signals.mark(session, CHANGED)
    session.commit()
