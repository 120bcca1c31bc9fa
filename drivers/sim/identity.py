"""Believable identities for simulated modems and their SIM cards.

Tools that read a modem's identity often validate it (IMEI and ICCID carry a Luhn check
digit), so the simulator hands out numbers that pass those checks, derived from the
modem's position so a restarted simulator shows the same modem the same way.
"""

from __future__ import annotations

from dataclasses import dataclass


def luhn_check_digit(payload: str) -> str:
    """The digit that makes ``payload + digit`` pass the Luhn check (ISO/IEC 7812-1)."""
    total = 0
    for position, char in enumerate(reversed(payload)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    """Whether a digit string ends in its correct Luhn check digit."""
    return number.isdigit() and len(number) > 1 and luhn_check_digit(number[:-1]) == number[-1]


@dataclass(frozen=True)
class Identity:
    """What a modem and its SIM say about themselves."""

    imei: str
    imsi: str
    iccid: str
    number: str
    operator: str
    mcc_mnc: str


#: A made-up operator on the reserved-for-testing MCC 001 (3GPP TS 23.122 uses 001-01).
OPERATOR = "Cellgate Sim"
MCC_MNC = "00101"


def make_identity(position: int, number: str | None = None) -> Identity:
    """The identity of the modem at ``position`` (0-based) in a simulator.

    Numbers default to the +1 555 range that is reserved for fiction.
    """
    serial = f"{position + 1:06d}"
    imei_body = "35" + "690909" + serial  # TAC 35690909: plausible but not a real product
    iccid_body = "89" + "001" + "01" + "0000" + f"{position + 1:08d}"
    return Identity(
        imei=imei_body + luhn_check_digit(imei_body),
        imsi=MCC_MNC + f"{position + 1:010d}",
        iccid=iccid_body + luhn_check_digit(iccid_body),
        number=number or f"+1555000{position + 1:04d}",
        operator=OPERATOR,
        mcc_mnc=MCC_MNC,
    )
