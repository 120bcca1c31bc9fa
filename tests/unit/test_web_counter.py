"""The compose counter: what the JSON endpoint tells the browser, from the real codec."""

from __future__ import annotations

import pytest

from gateway.counter import count


@pytest.mark.parametrize(
    ("text", "summary", "remaining"),
    [
        ("See you at 5", "1 SMS · GSM-7", 148),
        ("", "1 SMS · GSM-7", 160),
        ("price: 5€ {ok}", "1 SMS · GSM-7", 143),  # extension table: two septets each
        ("It’s fine", "1 SMS · UCS-2 because of ’ (curly quote)", 61),
        ("hi 😀", "1 SMS · UCS-2 because of 😀 (grinning face)", 65),
        ("a" * 161, "2 SMS · GSM-7", 153 * 2 - 161),
        ("Ж" + "x" * 70, "2 SMS · UCS-2 because of Ж (cyrillic capital letter zhe)", 67 * 2 - 71),
    ],
)
def test_counts_parts_and_names_the_character_that_forced_ucs2(
    text: str, summary: str, remaining: int
) -> None:
    result = count(text)
    assert result.summary == summary
    assert result.remaining == remaining


def test_a_lone_surrogate_cannot_be_sent_and_says_so() -> None:
    result = count("bad \ud800")
    assert result.parts == 0
    assert result.summary.startswith("cannot be sent")
