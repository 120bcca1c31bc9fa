"""Classifying inbound replies as opt-out, opt-in, help or ordinary text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.compliance.keywords import OPT_OUT_KEYWORDS, Intent, KeywordSet, classify

OPT_OUTS = [
    "STOP",
    "stop",
    " Stop. ",
    "STOP!!!",
    "Stop all",
    "STOPALL",
    "unsubscribe",
    "End",
    "quit",
    "Revoke",
    "opt out",
    "Opt-Out",
    "OPTOUT",
    "cancel",
    "please stop",
    "STOP please",
    "Stop, thank you",
    "ＳＴＯＰ",  # full-width, as some phone keyboards send
    "stop texting me",
    "Please stop messaging me!",
    "please unsubscribe me",
    "Unsubscribe me from this list",
    "take me off your list",
    "Do not text me again",
    "don't text me",
    "no more texts please",
    "stop sending me these messages",
    "I want to opt out",
    "remove me",
]

NOT_OPT_OUTS = [
    "don't stop",
    "stop by tomorrow?",
    "Can you stop the delivery",
    "Cancel my 3pm appointment",
    "I want to end my lease",
    "where is the bus stop",
    "STOP BY THE STORE",
    "",
    "   ",
    "!!!",
    "stopp",
    "stopwatch",
    "s t o p",
]


@pytest.mark.parametrize("body", OPT_OUTS)
def test_opt_out_keywords_and_phrases_are_recognised(body: str) -> None:
    assert classify(body) is Intent.OPT_OUT


@pytest.mark.parametrize("body", NOT_OPT_OUTS)
def test_ordinary_text_is_not_an_opt_out(body: str) -> None:
    assert classify(body) is not Intent.OPT_OUT


@pytest.mark.parametrize("body", ["START", "unstop", "Yes!", "start please"])
def test_opt_in_keywords(body: str) -> None:
    assert classify(body) is Intent.OPT_IN


@pytest.mark.parametrize("body", ["HELP", "help?", "Info"])
def test_help_keywords(body: str) -> None:
    assert classify(body) is Intent.HELP


def test_cancel_can_be_taken_off_the_opt_out_list() -> None:
    without_cancel = KeywordSet(opt_out=tuple(k for k in OPT_OUT_KEYWORDS if k != "CANCEL"))
    assert classify("CANCEL", without_cancel) is Intent.OTHER
    assert classify("STOP", without_cancel) is Intent.OPT_OUT


def test_extra_languages_are_matched_without_accents_or_case() -> None:
    french = KeywordSet(opt_out=(*OPT_OUT_KEYWORDS, "ARRÊT", "alto"))
    assert classify("Arret", french) is Intent.OPT_OUT
    assert classify("arrêt", french) is Intent.OPT_OUT
    assert classify("ALTO", french) is Intent.OPT_OUT
    assert classify("arret") is Intent.OTHER


def test_natural_language_can_be_switched_off() -> None:
    assert classify("stop texting me", KeywordSet(natural_language=False)) is Intent.OTHER


@given(st.sampled_from(OPT_OUT_KEYWORDS), st.text(alphabet=" .,!?-\t", max_size=6))
def test_keyword_survives_any_case_and_punctuation(keyword: str, noise: str) -> None:
    mixed = "".join(c.lower() if i % 2 else c for i, c in enumerate(keyword))
    assert classify(noise + mixed + noise) is Intent.OPT_OUT


@given(st.text(max_size=80))
def test_classify_accepts_any_text(body: str) -> None:
    assert classify(body) in set(Intent)
