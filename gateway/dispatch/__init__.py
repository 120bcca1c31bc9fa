"""Sending: a worker per modem that owns its port, paced per SIM, fed by the queue."""

from gateway.dispatch.bucket import TokenBucket
from gateway.dispatch.dispatcher import Dispatcher
from gateway.dispatch.driver import ModemDriver, load_driver
from gateway.dispatch.health import ModemHealth
from gateway.dispatch.worker import EventHandler, ModemWorker

__all__ = [
    "Dispatcher",
    "EventHandler",
    "ModemDriver",
    "ModemHealth",
    "ModemWorker",
    "TokenBucket",
    "load_driver",
]
