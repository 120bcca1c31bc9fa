"""What the web layer may use of the running gateway besides the database.

The web app gets one :class:`Services` from the runtime; in tests without modems the
dispatcher is absent and pages show what the database knows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.dispatch import Dispatcher
from gateway.events import EventBus


@dataclass(frozen=True)
class Services:
    events: EventBus = field(default_factory=EventBus)
    dispatcher: Dispatcher | None = None
