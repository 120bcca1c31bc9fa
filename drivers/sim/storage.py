"""Finite message storage, as on a SIM card ("SM") or in the modem ("ME", "SR").

A real SIM holds a few dozen messages; when it is full the network keeps new
messages until the application deletes some. The simulator reproduces that, so a
gateway that forgets to delete what it has read eventually stops receiving.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Stat(IntEnum):
    """<stat> of TS 27.005 section 3.1, numeric in PDU mode."""

    REC_UNREAD = 0
    REC_READ = 1
    STO_UNSENT = 2
    STO_SENT = 3

    @property
    def text(self) -> str:
        """The text-mode spelling."""
        return self.name.replace("_", " ")


STAT_BY_TEXT = {stat.text: stat for stat in Stat}
ALL = 4  # the pseudo status that lists every message


@dataclass
class Stored:
    """One occupied slot: its status and the PDU as hex, SMSC field included."""

    stat: Stat
    pdu: str


class MessageStore:
    """Numbered slots ``first_index .. first_index + capacity - 1``."""

    def __init__(self, name: str, capacity: int, first_index: int = 1) -> None:
        self.name = name
        self.capacity = capacity
        self.first_index = first_index
        self.limit: int | None = None  # set while the "storage_full" fault holds
        self._slots: dict[int, Stored] = {}

    @property
    def used(self) -> int:
        return len(self._slots)

    @property
    def total(self) -> int:
        """The capacity the modem reports (shrunk to what is used while "full")."""
        return self.capacity if self.limit is None else min(self.capacity, self.limit)

    @property
    def full(self) -> bool:
        return self.used >= self.total

    def valid_index(self, index: int) -> bool:
        return self.first_index <= index < self.first_index + self.capacity

    def add(self, stat: Stat, pdu: str) -> int | None:
        """Store in the lowest free slot; ``None`` when full."""
        if self.full:
            return None
        index = next(i for i in self._indices() if i not in self._slots)
        self._slots[index] = Stored(stat, pdu)
        return index

    def get(self, index: int) -> Stored | None:
        return self._slots.get(index)

    def delete(self, index: int) -> None:
        self._slots.pop(index, None)

    def delete_flagged(self, flag: int) -> None:
        """AT+CMGD=<index>,<delflag> for delflag 1..4 (TS 27.005 section 3.5.4)."""
        doomed = {
            1: {Stat.REC_READ},
            2: {Stat.REC_READ, Stat.STO_SENT},
            3: {Stat.REC_READ, Stat.STO_SENT, Stat.STO_UNSENT},
            4: set(Stat),
        }[flag]
        for index in [i for i, entry in self._slots.items() if entry.stat in doomed]:
            del self._slots[index]

    def items(self) -> list[tuple[int, Stored]]:
        return sorted(self._slots.items())

    def clear(self) -> None:
        self._slots.clear()
        self.limit = None

    def _indices(self) -> range:
        return range(self.first_index, self.first_index + self.capacity)
