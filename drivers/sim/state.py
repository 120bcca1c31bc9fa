"""The state a simulated modem keeps, split by what resets it.

``Settings`` is what ATZ, AT&F and a power cycle restore; ``SimCard`` survives
them (messages and PIN live on the SIM); ``Faults`` is what the operator switched on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from drivers.sim.storage import MessageStore
from drivers.sim.vendors import Personality


@dataclass
class Settings:
    """Command-settable behaviour, reset on power-up, ATZ and AT&F."""

    echo: bool = True
    verbose: bool = True
    cmee: int = 0
    cmgf: int = 0
    cscs: str = "IRA"
    csmp: tuple[int, int, int, int] = (17, 167, 0, 0)
    cnmi: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)
    cusd: int = 0
    cops_format: int = 0
    registration_urcs: dict[str, int] = field(
        default_factory=lambda: {"+CREG": 0, "+CGREG": 0, "+CEREG": 0}
    )
    flags: dict[str, int] = field(default_factory=dict)
    memories: list[str] = field(default_factory=lambda: ["SM", "SM", "SM"])
    unsolicited_noise: bool = True
    #: +CMTI/+CDS lines kept in the modem while +CNMI <mode> is 0.
    held_indications: list[tuple[str, ...]] = field(default_factory=list)

    @classmethod
    def power_up(cls, personality: Personality) -> Settings:
        return cls(cnmi=personality.cnmi_default)


class PinState(StrEnum):
    """What AT+CPIN? answers."""

    READY = "READY"
    SIM_PIN = "SIM PIN"
    SIM_PUK = "SIM PUK"


@dataclass
class SimCard:
    """The SIM: its storage, service centre and PIN, kept across resets and replugs."""

    stores: dict[str, MessageStore]
    smsc: str = "+15550009000"
    pin: str = "1234"
    puk: str = "12345678"
    pin_state: PinState = PinState.READY
    pin_attempts: int = 3

    @classmethod
    def fresh(cls, first_index: int) -> SimCard:
        return cls(
            stores={
                "SM": MessageStore("SM", 30, first_index),
                "ME": MessageStore("ME", 50, first_index),
                "SR": MessageStore("SR", 20, first_index),
            }
        )


@dataclass
class Faults:
    """Failures switched on from outside that the AT interpreter itself must act out."""

    hang: bool = False
    no_network: bool = False
    cms_code: int = 0
    cms_count: int = 0
