"""What the campaign pages call a campaign: a fired one-off is "sending" until it is done."""

from __future__ import annotations

import pytest

from gateway.campaigns.control import phase
from gateway.models import Campaign, CampaignStatus

C = CampaignStatus


@pytest.mark.parametrize(
    ("status", "waiting", "shown"),
    [
        (C.FINISHED, 3, "sending"),
        (C.FINISHED, 0, "finished"),
        (C.ACTIVE, 3, "active"),
        (C.PAUSED, 3, "paused"),
        (C.CANCELLED, 0, "cancelled"),
        (C.DRAFT, 0, "draft"),
    ],
)
def test_a_fired_one_off_is_sending_while_its_messages_wait(
    status: CampaignStatus, waiting: int, shown: str
) -> None:
    assert phase(Campaign(status=status), waiting) == shown
