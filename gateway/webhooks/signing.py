"""The webhook signature, for senders and receivers alike.

Each POST carries ``X-Cellgate-Timestamp: <unix seconds>`` and
``X-Cellgate-Signature: sha256=<hex>``, the HMAC-SHA256 with the endpoint's secret of
``"<timestamp>.<raw body>"``. Signing the timestamp with the body lets a receiver refuse
a captured request replayed later: check the signature, then that the timestamp is
within :data:`REPLAY_WINDOW_SECONDS` of its own clock (:func:`verify` does both).
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Cellgate-Signature"
TIMESTAMP_HEADER = "X-Cellgate-Timestamp"
REPLAY_WINDOW_SECONDS = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Cellgate-Signature`` value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(
    secret: str,
    body: bytes,
    *,
    signature: str,
    timestamp: str,
    now: float,
    window: float = REPLAY_WINDOW_SECONDS,
) -> bool:
    """True when ``signature`` is ours for ``body`` and ``timestamp`` is recent enough."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > window:
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)
