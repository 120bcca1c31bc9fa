"""Hybrid flows: what a reply to a campaign does, as campaign-scoped keyword rules.

"C -> tag confirmed and thank them; R -> open a conversation assigned to the front
desk" and survey steps ("4, 5 -> send the review link; 1, 2, 3 -> assign") are both
reply options: keywords with actions. They are stored as keyword rules scoped to the
campaign, so the inbound pipeline's keyword engine runs them for replies to this
campaign only (:func:`gateway.keywords.rules.find_rule`) and they cannot clash with
another campaign's C.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gateway.compliance.keywords import words
from gateway.errors import ValidationError
from gateway.keywords.rules import Action, ActionKind, MatchMode, parse_actions
from gateway.models import Campaign, KeywordRule


@dataclass(frozen=True)
class ReplyOption:
    keywords: tuple[str, ...]
    actions: tuple[Action, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "keywords": list(self.keywords),
            "actions": [action.as_dict() for action in self.actions],
        }


def parse_options(raw: Iterable[Mapping[str, Any]]) -> list[ReplyOption]:
    """Options from JSON: ``{"keywords": ["C"] or "1,2,3", "actions": [...]}``."""
    options = []
    seen: set[str] = set()
    for item in raw:
        given = item.get("keywords", [])
        names = given.split(",") if isinstance(given, str) else list(given)
        keywords = tuple(" ".join(words(str(name))).upper() for name in names if words(str(name)))
        if not keywords:
            raise ValidationError("a reply option needs a keyword", field="replies")
        if seen & set(keywords):
            raise ValidationError(
                f"keyword {sorted(seen & set(keywords))[0]} is used twice", field="replies"
            )
        seen.update(keywords)
        actions = parse_actions(item.get("actions", []))
        if not actions:
            raise ValidationError("a reply option needs an action", field="replies")
        options.append(ReplyOption(keywords, actions))
    return options


def set_options(session: Session, campaign: Campaign, options: Iterable[ReplyOption]) -> None:
    """Replace the campaign's reply rules (not committed)."""
    session.execute(delete(KeywordRule).where(KeywordRule.campaign == campaign.name))
    for option in options:
        for keyword in option.keywords:
            session.add(
                KeywordRule(
                    keyword=keyword,
                    mode=MatchMode.EXACT,
                    campaign=campaign.name,
                    actions=[action.as_dict() for action in option.actions],
                    active=True,
                )
            )


def options(session: Session, campaign: Campaign) -> list[ReplyOption]:
    """The campaign's reply options, keywords with the same actions grouped again."""
    grouped: dict[tuple[Action, ...], list[str]] = {}
    rules = session.scalars(
        select(KeywordRule).where(KeywordRule.campaign == campaign.name).order_by(KeywordRule.id)
    )
    for rule in rules:
        grouped.setdefault(parse_actions(rule.actions), []).append(rule.keyword)
    return [ReplyOption(tuple(keywords), actions) for actions, keywords in grouped.items()]


_ACTION_WORDS = {
    "reply": ActionKind.REPLY,
    "tag": ActionKind.TAG,
    "untag": ActionKind.UNTAG,
    "set": ActionKind.SET_FIELD,
    "assign": ActionKind.ASSIGN,
    "open": ActionKind.OPEN,
    "pending": ActionKind.PENDING,
    "close": ActionKind.CLOSE,
    "webhook": ActionKind.WEBHOOK,
}


def parse_lines(text: str, user_id: Callable[[str], int]) -> list[ReplyOption]:
    """Options written one per line, as in the campaign form::

        C => tag confirmed; reply Thank you, see you then
        R => open; assign frontdesk
        4, 5 => reply Thanks! Review us at https://example.org/review

    ``user_id`` turns the name after ``assign`` into a user id (or raises).
    """
    raw = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        keywords, arrow, rest = line.partition("=>")
        if not arrow:
            raise ValidationError(
                f"reply line {number}: write KEYWORDS => actions", field="replies"
            )
        actions = []
        for part in rest.split(";"):
            word, _, value = part.strip().partition(" ")
            kind = _ACTION_WORDS.get(word.lower())
            if kind is None:
                raise ValidationError(
                    f"reply line {number}: unknown action {word!r}", field="replies"
                )
            value = value.strip()
            if kind is ActionKind.SET_FIELD:
                name, _, value = value.partition("=")
                actions.append({"kind": kind, "name": name.strip(), "value": value.strip()})
                continue
            if kind is ActionKind.ASSIGN:
                value = str(user_id(value))
            actions.append({"kind": kind, "value": value})
        raw.append({"keywords": keywords, "actions": actions})
    return parse_options(raw)


def format_lines(options: Iterable[ReplyOption], username: Callable[[int], str]) -> str:
    """The inverse of :func:`parse_lines`, to show and edit saved options."""
    words_of = {kind: word for word, kind in _ACTION_WORDS.items()}
    lines = []
    for option in options:
        parts = []
        for action in option.actions:
            if action.kind is ActionKind.SET_FIELD:
                parts.append(f"set {action.name}={action.value}")
            elif action.kind is ActionKind.ASSIGN:
                parts.append(f"assign {username(int(action.value))}")
            else:
                parts.append(f"{words_of[action.kind]} {action.value}".strip())
        lines.append(f"{', '.join(option.keywords)} => {'; '.join(parts)}")
    return "\n".join(lines)
