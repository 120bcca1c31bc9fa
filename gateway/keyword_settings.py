"""Keyword rules as staff manage them in Settings (matching lives in gateway.keywords)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.compliance.keywords import words
from gateway.errors import NotFound, ValidationError
from gateway.keywords.rules import Action, ActionKind, MatchMode, parse_actions
from gateway.models import KeywordRule


def active_rules(session: Session) -> list[KeywordRule]:
    return list(
        session.scalars(select(KeywordRule).where(KeywordRule.active).order_by(KeywordRule.keyword))
    )


def add_reply_rule(
    session: Session, keyword: str, mode: str, reply: str, *, tag: str = "", now: datetime
) -> KeywordRule:
    """A rule that answers ``keyword`` with ``reply`` (and tags the contact). Commits."""
    if not words(keyword):
        raise ValidationError("the keyword has no words", field="keyword")
    try:
        match = MatchMode(mode)
    except ValueError:
        raise ValidationError(f"unknown match mode {mode!r}", field="mode") from None
    actions = [Action(ActionKind.REPLY, reply.strip())]
    if tag.strip():
        actions.append(Action(ActionKind.TAG, tag.strip()))
    stored = [action.as_dict() for action in actions]
    parse_actions(stored)
    rule = KeywordRule(
        keyword=keyword.strip(), mode=match, actions=stored, active=True, created_at=now
    )
    session.add(rule)
    session.commit()
    return rule


def deactivate(session: Session, rule_id: int) -> None:
    rule = session.get(KeywordRule, rule_id)
    if rule is None:
        raise NotFound(f"no keyword rule {rule_id}")
    rule.active = False
    session.commit()
