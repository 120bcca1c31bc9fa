"""The serial modem driver: AT commands over any ``serial_for_url`` port.

``Modem`` is the whole public surface; ``events`` holds what ``on_event`` receives.
"""

from drivers.modem import events
from drivers.modem.modem import Modem
from drivers.modem.results import (
    Identity,
    NextMessage,
    Outgoing,
    Registration,
    SendResult,
    Signal,
    Storage,
    StoredMessage,
)
from drivers.profiles import VendorProfile

__all__ = [
    "Identity",
    "Modem",
    "NextMessage",
    "Outgoing",
    "Registration",
    "SendResult",
    "Signal",
    "Storage",
    "StoredMessage",
    "VendorProfile",
    "events",
]
