"""Choosing the keyword rule an inbound text triggers.

Keywords are compared on normalised words (:func:`gateway.compliance.keywords.words`),
so "c", " C. " and "C!" all match the keyword C. A prefix rule matches whole leading
words: the rule INFO matches "info prices" but not "information". A rule scoped to a
campaign applies only to replies to that campaign and beats an unscoped rule, so
"Reply C to confirm" in one campaign cannot collide with another campaign's C.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from gateway.compliance.keywords import words
from gateway.errors import ValidationError


class MatchMode(StrEnum):
    EXACT = "exact"
    PREFIX = "prefix"


class ActionKind(StrEnum):
    REPLY = "reply"  # value: the reply text ($first_name etc. filled in)
    TAG = "tag"  # value: the tag
    UNTAG = "untag"
    SET_FIELD = "set_field"  # name, value
    ASSIGN = "assign"  # value: the user id
    OPEN = "open"
    PENDING = "pending"
    CLOSE = "close"
    WEBHOOK = "webhook"  # value: the event name sent as keyword.<value>


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    value: str = ""
    name: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"kind": str(self.kind), "value": self.value, "name": self.name}


@dataclass(frozen=True)
class Rule:
    id: int
    keyword: str
    mode: MatchMode
    actions: tuple[Action, ...]
    campaign: str | None = None

    def matches(self, tokens: Sequence[str]) -> bool:
        wanted = words(self.keyword)
        if self.mode is MatchMode.EXACT:
            return list(tokens) == wanted
        return bool(wanted) and list(tokens[: len(wanted)]) == wanted


def parse_actions(raw: Iterable[Mapping[str, Any]]) -> tuple[Action, ...]:
    """Actions from their stored JSON form; :class:`ValidationError` names a bad one."""
    actions = []
    for index, item in enumerate(raw):
        try:
            kind = ActionKind(str(item.get("kind")))
        except ValueError:
            raise ValidationError(
                f"action {index + 1}: unknown kind {item.get('kind')!r}", field="actions"
            ) from None
        value, name = str(item.get("value", "")), str(item.get("name", ""))
        if kind in (ActionKind.REPLY, ActionKind.TAG, ActionKind.UNTAG) and not value:
            raise ValidationError(f"action {index + 1}: {kind} needs a value", field="actions")
        if kind is ActionKind.SET_FIELD and not name:
            raise ValidationError(f"action {index + 1}: set_field needs a name", field="actions")
        if kind is ActionKind.ASSIGN and not value.isdigit():
            raise ValidationError(f"action {index + 1}: assign needs a user id", field="actions")
        actions.append(Action(kind, value, name))
    return tuple(actions)


def find_rule(rules: Iterable[Rule], body: str, campaign: str | None) -> Rule | None:
    """The rule ``body`` triggers, ``campaign`` being the campaign it replies to, if any.

    Most specific first: campaign-scoped before unscoped, exact before prefix, longer
    keyword before shorter, then the older rule.
    """
    tokens = words(body)
    candidates = [
        rule
        for rule in rules
        if (rule.campaign is None or rule.campaign == campaign) and rule.matches(tokens)
    ]
    if not candidates:
        return None
    return min(
        candidates,
        key=lambda rule: (
            rule.campaign is None,
            rule.mode is not MatchMode.EXACT,
            -len(words(rule.keyword)),
            rule.id,
        ),
    )
