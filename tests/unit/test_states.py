"""The outbox state machine of DESIGN.md section 3."""

from __future__ import annotations

import pytest

from gateway.states import (
    PENDING,
    SETTLED,
    TRANSITIONS,
    InvalidTransition,
    MessageState,
    check_transition,
    render_dot,
    sources_of,
)

S = MessageState


def test_every_state_has_a_row_in_the_table() -> None:
    assert set(TRANSITIONS) == set(MessageState)


def test_every_state_is_either_pending_or_settled() -> None:
    assert set(MessageState) == PENDING | SETTLED
    assert not PENDING & SETTLED


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (S.SCHEDULED, S.QUEUED),
        (S.QUEUED, S.SENDING),
        (S.SENDING, S.SENT),
        (S.SENT, S.DELIVERED),
        (S.SENT, S.FAILED),
        (S.SENDING, S.RETRY_WAIT),
        (S.RETRY_WAIT, S.QUEUED),
        (S.SENDING, S.FAILED),
        (S.SENDING, S.UNKNOWN),
        (S.UNKNOWN, S.QUEUED),
        (S.QUEUED, S.SUPPRESSED),
        (S.SCHEDULED, S.CANCELLED),
    ],
)
def test_the_designed_paths_are_allowed(old: MessageState, new: MessageState) -> None:
    check_transition(old, new)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (S.QUEUED, S.SENT),  # nothing is sent without being claimed
        (S.DELIVERED, S.QUEUED),  # final states stay final
        (S.FAILED, S.QUEUED),
        (S.SENT, S.QUEUED),  # a sent message is never sent again
        (S.SENDING, S.CANCELLED),  # too late: the modem has it
    ],
)
def test_other_paths_raise(old: MessageState, new: MessageState) -> None:
    with pytest.raises(InvalidTransition, match=f"from {old} to {new}"):
        check_transition(old, new)


def test_final_states_lead_nowhere() -> None:
    for state in (S.DELIVERED, S.FAILED, S.SUPPRESSED, S.CANCELLED):
        assert not TRANSITIONS[state]


def test_sources_of_cancelled_are_the_unsent_states() -> None:
    assert sources_of(S.CANCELLED) == {S.SCHEDULED, S.QUEUED, S.RETRY_WAIT}


def test_the_diagram_draws_every_transition() -> None:
    dot = render_dot()
    edges = sum(len(targets) for targets in TRANSITIONS.values())
    assert dot.count(" -> ") == edges
    assert "sending -> unknown;" in dot
