"""A cursor over PDU octets that turns running off the end into a PduError."""

from __future__ import annotations

from drivers.errors import PduError


def parse_hex(pdu_hex: str) -> bytes:
    """Octets of a hex PDU as a modem prints it (surrounding whitespace allowed)."""
    text = pdu_hex.strip()
    if len(text) % 2:
        raise PduError(f"PDU hex has an odd number of digits ({len(text)})")
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise PduError("PDU is not hexadecimal") from None


class Reader:
    """Reads a PDU front to back; every read names the field it is for."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    @property
    def remaining(self) -> int:
        return len(self._data) - self._pos

    def take(self, count: int, field: str) -> bytes:
        if count > self.remaining:
            raise PduError(f"PDU truncated in {field}: needs {count} octets, {self.remaining} left")
        chunk = self._data[self._pos : self._pos + count]
        self._pos += count
        return chunk

    def octet(self, field: str) -> int:
        return self.take(1, field)[0]

    def only_padding_left(self) -> bool:
        """True when what is left is nothing, or one octet value (0x00 or 0xFF) repeated.

        Some modems fill the rest of a fixed-size record that way; anything else after a
        message means the message is not what it claims to be.
        """
        rest = set(self._data[self._pos :])
        return rest in ({0x00}, {0xFF}, set())
