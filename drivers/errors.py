"""The driver layer's error tree: who is at fault, and whether trying again can help.

Everything raised out of ``drivers/`` is a :class:`ModemError`. The gateway decides
retry or fail from :attr:`CommandError.retry_class`, never from message strings.
"""

from __future__ import annotations

from enum import StrEnum


class RetryClass(StrEnum):
    """What the queue should do after an error."""

    TRANSIENT = "transient"  # try again later, maybe on another modem
    PERMANENT = "permanent"  # the message itself is bad: fail it with this error
    MODEM = "modem"  # this modem cannot send now (no SIM, PIN, no network): hand over
    # A send whose PDU the modem had taken when the answer failed to come (timeout, port
    # lost): it may have gone out, so resending may duplicate it.
    UNKNOWN = "unknown"


class ModemError(Exception):
    """Base of every error the driver layer raises."""

    retry_class: RetryClass = RetryClass.TRANSIENT


class TransportError(ModemError):
    """The port is gone or unusable (unplugged, permission denied, closed)."""

    retry_class = RetryClass.MODEM


class PortBusy(TransportError):
    """Another process holds the port (a running gateway, ModemManager, a terminal)."""


class ATProtocolError(ModemError):
    """The modem sent something that cannot be understood."""


class CommandTimeout(ModemError):
    """No final result within the command's timeout.

    For a send this means the outcome is unknown, not that it failed: the modem may
    have delivered the message to the network before it stalled.
    """

    def __init__(self, command: str, timeout: float) -> None:
        super().__init__(f"{command!r}: no final result within {timeout:g} s")
        self.command = command
        self.timeout = timeout


class PduError(ModemError, ValueError):
    """A PDU could not be decoded (or a message could not be encoded)."""

    retry_class = RetryClass.PERMANENT


# +CMS codes after which the same message may succeed later (3GPP TS 27.005 3.2.5,
# TS 24.011 E.2); everything else from the network or SIM is permanent for this message.
_TRANSIENT_CMS = frozenset(
    {27, 38, 41, 42, 47, 98, 111, 127, 192, 194, 210, 212, 213, 255, 314, 331, 332, 500}
    | {512, 513, 514, 515}  # vendor-specific, mostly "SIM/storage not ready"
)
# +CMS codes that say this modem cannot send at all right now.
_MODEM_CMS = frozenset(
    {208, 209, 211, 300, 301, 302, 310, 311, 312, 313, 315, 316, 317, 318, 320, 322, 330}
)
_INVALID_INDEX = 321
# +CME codes that say the modem is not ready rather than that the command was wrong.
_TRANSIENT_CME = frozenset({14, 30, 31, 100, 515})
_MODEM_CME = frozenset({5, 10, 11, 12, 13, 15, 16, 17, 18})


class CommandError(ModemError):
    """The modem answered a command with ERROR, +CME ERROR or +CMS ERROR."""

    kind = "ERROR"

    def __init__(self, command: str, code: int | None = None, text: str = "") -> None:
        detail = f" {code}" if code is not None else ""
        extra = f" ({text})" if text else ""
        super().__init__(f"{command!r} failed: {self.kind}{detail}{extra}")
        self.command = command
        self.code = code
        self.text = text
        self.retry_class = self._classify(code)

    @staticmethod
    def _classify(code: int | None) -> RetryClass:
        return RetryClass.TRANSIENT


class CmeError(CommandError):
    """+CME ERROR: a mobile equipment error (3GPP TS 27.007 9.2)."""

    kind = "+CME ERROR"

    @staticmethod
    def _classify(code: int | None) -> RetryClass:
        if code in _MODEM_CME:
            return RetryClass.MODEM
        if code in _TRANSIENT_CME:
            return RetryClass.TRANSIENT
        return RetryClass.PERMANENT


class CmsError(CommandError):
    """+CMS ERROR: a message service error (3GPP TS 27.005 3.2.5)."""

    kind = "+CMS ERROR"

    @property
    def empty_slot(self) -> bool:
        """321, invalid memory index: nothing is stored there (a listing took it first)."""
        return self.code == _INVALID_INDEX

    @staticmethod
    def _classify(code: int | None) -> RetryClass:
        if code in _MODEM_CMS:
            return RetryClass.MODEM
        if code is None or code in _TRANSIENT_CMS:
            return RetryClass.TRANSIENT
        return RetryClass.PERMANENT


class PinRequiredError(ModemError):
    """The SIM wants a PIN (or PUK) that the configuration does not give."""

    retry_class = RetryClass.MODEM

    def __init__(self, state: str) -> None:
        super().__init__(f"SIM is locked: {state}")
        self.state = state


def command_error(command: str, kind: str, code: int | None, text: str = "") -> CommandError:
    """Build the right :class:`CommandError` subclass for a final result."""
    if kind == "CME":
        return CmeError(command, code, text)
    if kind == "CMS":
        return CmsError(command, code, text)
    return CommandError(command, code, text)
