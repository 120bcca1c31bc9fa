"""What an inbound text asks for: opt out, opt back in, help, or none of these.

A reply counts as a keyword when, after normalisation (Unicode compatibility forms,
case folding, punctuation and extra spaces removed), it is a keyword on its own
("Stop.", " STOP ", "s t o p" is *not* accepted, "Stop all" is STOPALL), or a keyword
wrapped only in courtesy words ("please stop", "STOP thanks", "unsubscribe me now").

Since the 2025 US rules any reasonable means revokes consent, so a few unambiguous
phrasings also count as opt-outs: "stop texting me", "please unsubscribe me", "take me
off your list", "do not text me again", "no more messages". Each phrase must name the
texting *and* its target, which keeps false positives out: "don't stop", "stop by
tomorrow?", "can you stop the delivery", "Cancel my 3pm appointment" and "I want to
end my lease" are ordinary messages. When in doubt the text is left to a person: an
agent can always record an opt-out by hand, whereas a false opt-out silently loses a
customer's transactional messages.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class Intent(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    OTHER = "other"


OPT_OUT_KEYWORDS = ("STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "REVOKE", "OPTOUT", "CANCEL")
OPT_IN_KEYWORDS = ("START", "UNSTOP", "YES")
HELP_KEYWORDS = ("HELP", "INFO")

# Words that may surround a keyword without changing what it asks for.
COURTESY = frozenset(
    {"please", "pls", "plz", "thanks", "thank", "you", "thx", "now", "me", "asap", "ok", "okay"}
)

_TEXTING = (
    r"(?:text(?:ing)?|txt(?:ing)?|messag(?:e|es|ing)|sms(?:ing)?|contact(?:ing)?"
    r"|send(?:ing)? (?:me )?(?:texts|messages|sms))"
)
_TARGET = r"(?:me|us|this number|my number)"
_MESSAGES = r"(?:texts|messages|sms)"
_NATURAL_OPT_OUTS = tuple(
    re.compile(pattern)
    for pattern in (
        rf"(?:please )?stop {_TEXTING}(?: {_TARGET})?(?: .*)?",
        rf"(?:please )?(?:do not|dont|never) {_TEXTING} {_TARGET}(?: .*)?",
        r"(?:please )?(?:unsubscribe|remove|opt) me(?: out)?(?: from .*| off .*)?(?: please)?",
        r"(?:please )?take me off(?: of)? (?:your|the|this) (?:list|mailing list|texts|messages)"
        r"(?: .*)?",
        r"(?:i )?(?:want|would like|wish) to (?:unsubscribe|opt out|stop (?:getting|receiving)"
        rf" (?:these )?{_MESSAGES})(?: .*)?",
        rf"(?:please )?no more {_MESSAGES}(?: .*)?",
        r"(?:please )?stop (?:sending|getting|receiving) (?:me )?(?:these |your |any )?"
        rf"{_MESSAGES}(?: .*)?",
    )
)


@dataclass(frozen=True)
class KeywordSet:
    """The configured keywords, upper case; ``natural_language`` enables the phrases above."""

    opt_out: tuple[str, ...] = OPT_OUT_KEYWORDS
    opt_in: tuple[str, ...] = OPT_IN_KEYWORDS
    help: tuple[str, ...] = HELP_KEYWORDS
    natural_language: bool = True


def words(body: str) -> list[str]:
    """``body`` as lower-case words: compatibility forms folded, accents and punctuation gone."""
    folded = unicodedata.normalize("NFKD", body).casefold()
    kept = "".join(
        char if char.isalnum() else " "
        for char in folded
        if not unicodedata.combining(char) and char not in "'’"
    )
    return kept.split()


def normalise(body: str) -> str:
    """The words of ``body`` joined by single spaces (the form phrases are matched on)."""
    return " ".join(words(body))


def canonical(keyword: str) -> str:
    """A configured keyword in the form replies are compared in ("Arrêt" -> "ARRET")."""
    return "".join(words(keyword)).upper()


def _keyword_of(tokens: list[str]) -> str | None:
    """The keyword ``tokens`` spell once courtesy words around it are dropped, if any."""
    start, end = 0, len(tokens)
    while start < end and tokens[start] in COURTESY:
        start += 1
    while end > start and tokens[end - 1] in COURTESY:
        end -= 1
    core = tokens[start:end]
    # "STOP ALL" and "OPT OUT" are written apart as often as together; three words are not.
    if not core or len(core) > 2:
        return None
    return "".join(core).upper()


def classify(body: str, keywords: KeywordSet = KeywordSet()) -> Intent:
    tokens = words(body)
    keyword = _keyword_of(tokens)
    if keyword is not None:
        for intent, listed in (
            (Intent.OPT_OUT, keywords.opt_out),
            (Intent.OPT_IN, keywords.opt_in),
            (Intent.HELP, keywords.help),
        ):
            if keyword in {canonical(word) for word in listed}:
                return intent
    if keywords.natural_language:
        text = " ".join(tokens)
        if any(pattern.fullmatch(text) for pattern in _NATURAL_OPT_OUTS):
            return Intent.OPT_OUT
    return Intent.OTHER
