"""Vendor profiles: the known quirks of modem families, chosen from the modem's identity.

Learned from captures of real devices (python-gsmmodem's fake modems, gammu's test dumps,
public issue threads); everything not listed here gets the standard 3GPP behaviour.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

STANDARD_ICCID = ("AT+CCID", "AT+ICCID", "AT+QCCID", "AT^ICCID?")


@dataclass(frozen=True)
class VendorProfile:
    """How to drive one modem family."""

    name: str
    #: Regular expression searched in "<manufacturer> <model>" (case-insensitive).
    match: str = r"(?!)"
    #: Commands sent after the standard init; failures are logged and ignored.
    init_extras: tuple[str, ...] = ()
    #: Commands that may answer the ICCID, tried in order.
    iccid_commands: tuple[str, ...] = STANDARD_ICCID
    #: Commands that restart a modem that stopped answering, tried in order.
    reset_commands: tuple[str, ...] = ("AT+CFUN=1,1", "ATZ")
    #: Whether AT+CMMS=2 (keep the link open between parts) is worth sending.
    supports_cmms: bool = True
    #: Commands needed before AT+CUSD works.
    ussd_setup: tuple[str, ...] = ()
    #: Seconds to keep retrying SMS setup while the SIM/SMS stack is still starting
    #: (+CME ERROR: 14/515, +CMS ERROR: 314/500 right after boot).
    ready_wait: float = 10.0
    #: Whether AT+CPIN? ends with OK (old Wavecom firmware answers without one).
    cpin_has_ok: bool = True


GENERIC = VendorProfile("generic")

PROFILES = (
    VendorProfile(
        "sim800",
        match=r"SIMCOM|SIM8\d\d|SIM9\d\d|SIM7\d\d\d",
        iccid_commands=("AT+CCID", "AT+ICCID"),
        # SIM800 prints "SMS Ready" only ~10-20 s after power-up; SMS commands fail until then.
        ready_wait=30.0,
    ),
    VendorProfile(
        "huawei",
        match=r"HUAWEI",
        # ^RSSI/^BOOT/^MODE noise every few seconds otherwise.
        init_extras=("AT^CURC=0",),
        iccid_commands=("AT^ICCID?", "AT+CCID", "AT+ICCID"),
        # E1752 answers AT+CMMS=2 with +CMS ERROR: 500 (gammu issue 138).
        supports_cmms=False,
        # Huawei defaults to PDU-mode USSD (^USSDMODE=1); AT+CUSD=1,... is ERROR until set.
        ussd_setup=("AT^USSDMODE=0",),
    ),
    VendorProfile(
        "quectel",
        match=r"QUECTEL",
        iccid_commands=("AT+QCCID", "AT+CCID", "AT+ICCID"),
        ready_wait=30.0,  # "+QIND: SMS DONE" arrives well after RDY
    ),
    VendorProfile(
        "zte",
        match=r"ZTE|QUALCOMM",
        iccid_commands=("AT+ZGETICCID", "AT+CCID", "AT+ICCID"),
    ),
    VendorProfile(
        "wavecom",
        match=r"WAVECOM|SIERRA",
        iccid_commands=("AT+CCID", "AT+ICCID"),
        reset_commands=("AT+CFUN=1", "ATZ"),
        cpin_has_ok=False,
    ),
)


def profile_for(manufacturer: str | None, model: str | None) -> VendorProfile:
    """The profile whose pattern matches the identity, else the generic one."""
    identity = f"{manufacturer or ''} {model or ''}"
    for profile in PROFILES:
        if re.search(profile.match, identity, re.IGNORECASE):
            return profile
    return GENERIC
