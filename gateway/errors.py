"""Domain errors the web layer maps to HTTP answers in one place."""

from __future__ import annotations


class GatewayError(Exception):
    """Base of the gateway's own errors."""


class ValidationError(GatewayError, ValueError):
    """Input that cannot be accepted; ``field`` names the offending input when there is one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(GatewayError):
    """The thing asked for does not exist (or is not visible to the caller)."""
