"""Property tests of the AT engine: chunking never changes the events, and no byte
sequence makes it raise."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.at import NEED_DATA, ATConnection, Event, FinalResult
from tests.unit.test_at_connection import CASES, Case, feed, prepared

COMMANDS = ("", "AT", "AT+CSQ", "AT+CMGS=24", "AT+CMGL=4", "AT+CMGR=1", 'AT+CUSD=1,"*100#",15')


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


@settings(max_examples=300)
@given(case=st.sampled_from(CASES), cuts=st.lists(st.integers(min_value=0), max_size=12))
def test_any_chunking_gives_the_same_events(case: Case, cuts: list[int]) -> None:
    whole = feed(prepared(case.commands), [case.wire])
    assert feed(prepared(case.commands), split(case.wire, cuts)) == whole


@settings(max_examples=300)
@given(
    command=st.sampled_from(COMMANDS),
    data=st.binary(max_size=300),
    cuts=st.lists(st.integers(min_value=0), max_size=8),
)
def test_arbitrary_bytes_never_raise_and_chunking_is_irrelevant(
    command: str, data: bytes, cuts: list[int]
) -> None:
    commands = (command,) if command else ()
    assert feed(prepared(commands), split(data, cuts)) == feed(prepared(commands), [data])


LINES = st.sampled_from(
    [b"OK", b"ERROR", b"+CMS ERROR: 500", b'+CMTI: "SM",1', b"+CMGL: 1,0,,5", b"0011AABB",
     b'+CUSD: 1,"x', b'y",15', b"> ", b"RING", b"+CMT: ,5", b"+CDS: 5", b"\xff\xfe", b""]
)  # fmt: skip
ENDS = st.sampled_from([b"\r\n", b"\r", b"\n", b"\r\r\n", b""])


@settings(max_examples=300)
@given(
    command=st.sampled_from(COMMANDS),
    parts=st.lists(st.tuples(LINES, ENDS), max_size=20),
    cuts=st.lists(st.integers(min_value=0), max_size=8),
)
def test_protocol_shaped_noise_is_chunking_independent(
    command: str, parts: list[tuple[bytes, bytes]], cuts: list[int]
) -> None:
    data = b"".join(line + end for line, end in parts)
    commands = (command,) if command else ()
    whole = feed(prepared(commands), [data])
    assert feed(prepared(commands), split(data, cuts)) == whole
    assert sum(isinstance(e, FinalResult) for e in whole) <= 1 or not command


def test_need_data_when_nothing_arrived() -> None:
    assert ATConnection().next_event() is NEED_DATA


def test_final_result_ok_property() -> None:
    events: list[Event] = feed(prepared(("AT",)), [b"OK\r\nERROR\r\n"])
    assert [e.ok for e in events if isinstance(e, FinalResult)] == [True]
