"""Joining concatenated SMS parts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from gateway.inbound.reassembly import GAP, Part, assemble, expired


def test_parts_out_of_order_are_joined_in_order() -> None:
    joined = assemble([Part(3, "c"), Part(1, "a"), Part(2, "b")], 3)
    assert (joined.text, joined.complete) == ("abc", True)


def test_duplicates_keep_the_first_copy() -> None:
    joined = assemble([Part(1, "a"), Part(2, "b"), Part(1, "x")], 2)
    assert joined.text == "ab"


def test_missing_parts_are_marked() -> None:
    joined = assemble([Part(1, "a"), Part(3, "c")], 4)
    assert joined.text == f"a{GAP}c{GAP}"
    assert joined.missing == (2, 4)
    assert not joined.complete


def test_part_numbers_outside_the_total_are_ignored() -> None:
    assert assemble([Part(0, "x"), Part(1, "a"), Part(5, "y")], 1).text == "a"


def test_expiry() -> None:
    first = datetime(2026, 1, 1, tzinfo=UTC)
    assert not expired(first, first + timedelta(minutes=9), timedelta(minutes=10))
    assert expired(first, first + timedelta(minutes=10), timedelta(minutes=10))


@given(st.lists(st.text(min_size=1, max_size=5), min_size=1, max_size=8), st.randoms())
def test_any_order_with_duplicates_gives_the_original(texts: list[str], rnd: object) -> None:
    parts = [Part(i + 1, t) for i, t in enumerate(texts)]
    shuffled = parts + parts[: len(parts) // 2]
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    joined = assemble(shuffled, len(texts))
    assert joined.complete
    assert joined.text == "".join(texts)
