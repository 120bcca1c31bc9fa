"""The command set of a simulated modem, merged from its parts."""

from __future__ import annotations

from drivers.sim.commands import general, network, sms
from drivers.sim.interpreter import BodyHandler, Handler

HANDLERS: dict[str, Handler] = {
    **general.TABLE.handlers,
    **network.TABLE.handlers,
    **sms.TABLE.handlers,
}
BODIES: dict[str, BodyHandler] = {**sms.TABLE.bodies}
