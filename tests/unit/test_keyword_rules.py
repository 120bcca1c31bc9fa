"""Choosing the keyword rule a reply triggers."""

from __future__ import annotations

import pytest

from gateway.errors import ValidationError
from gateway.keywords.rules import Action, ActionKind, MatchMode, Rule, find_rule, parse_actions

REPLY = (Action(ActionKind.REPLY, "ok"),)
PRICES = Rule(1, "info", MatchMode.PREFIX, REPLY)
INFO_PRICES = Rule(2, "info prices", MatchMode.EXACT, REPLY)
CONFIRM_A = Rule(3, "C", MatchMode.EXACT, REPLY, campaign="a")
CONFIRM_ANY = Rule(4, "C", MatchMode.EXACT, REPLY)
RULES = [PRICES, INFO_PRICES, CONFIRM_A, CONFIRM_ANY]


def test_exact_match_ignores_case_and_punctuation() -> None:
    assert find_rule(RULES, " c. ", None) == CONFIRM_ANY


def test_prefix_matches_whole_leading_words_only() -> None:
    assert find_rule(RULES, "INFO hours", None) == PRICES
    assert find_rule(RULES, "information", None) is None


def test_exact_beats_prefix() -> None:
    assert find_rule(RULES, "Info prices", None) == INFO_PRICES


def test_campaign_scoped_rule_wins_for_replies_to_that_campaign() -> None:
    assert find_rule(RULES, "C", "a") == CONFIRM_A
    assert find_rule(RULES, "C", "b") == CONFIRM_ANY


def test_campaign_scoped_rule_is_ignored_elsewhere() -> None:
    assert find_rule([CONFIRM_A], "C", None) is None


def test_parse_actions_round_trips() -> None:
    actions = (
        Action(ActionKind.REPLY, "Thanks $first_name"),
        Action(ActionKind.SET_FIELD, "yes", "confirmed"),
        Action(ActionKind.ASSIGN, "7"),
        Action(ActionKind.CLOSE),
    )
    assert parse_actions(a.as_dict() for a in actions) == actions


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"kind": "explode"}, "unknown kind"),
        ({"kind": "reply"}, "needs a value"),
        ({"kind": "set_field", "value": "x"}, "needs a name"),
        ({"kind": "assign", "value": "bob"}, "user id"),
    ],
)
def test_parse_actions_rejects_bad_ones(raw: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_actions([raw])
