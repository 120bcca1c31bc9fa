"""The webhook signature a receiver checks: HMAC-SHA256 of "<timestamp>.<body>"."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from gateway.webhooks import sign, verify

SECRET = "whsec_test"
BODY = b'{"type":"message.status"}'
SENT_AT = 1_700_000_000


def test_the_signature_is_the_documented_hmac() -> None:
    expected = hmac.new(SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, SENT_AT, BODY) == f"sha256={expected}"


def test_a_fresh_signed_body_verifies() -> None:
    signature = sign(SECRET, SENT_AT, BODY)
    assert verify(SECRET, BODY, signature=signature, timestamp=str(SENT_AT), now=SENT_AT + 299)


@pytest.mark.parametrize(
    ("secret", "body", "timestamp", "now"),
    [
        ("another secret", BODY, str(SENT_AT), SENT_AT),
        (SECRET, BODY + b" ", str(SENT_AT), SENT_AT),
        (SECRET, BODY, str(SENT_AT + 1), SENT_AT),
        (SECRET, BODY, str(SENT_AT), SENT_AT + 301),
        (SECRET, BODY, str(SENT_AT), SENT_AT - 301),
        (SECRET, BODY, "", SENT_AT),
        (SECRET, BODY, "-1", SENT_AT),
        (SECRET, BODY, "1e9", SENT_AT),
    ],
    ids=[
        "wrong-secret",
        "changed-body",
        "changed-time",
        "replayed",
        "future",
        "empty",
        "neg",
        "float",
    ],
)
def test_anything_changed_or_replayed_fails(
    secret: str, body: bytes, timestamp: str, now: float
) -> None:
    signature = sign(SECRET, SENT_AT, BODY)
    assert not verify(secret, body, signature=signature, timestamp=timestamp, now=now)
