"""Vendor personalities: how real modem families differ on the wire.

Each personality is data, not code: the interpreter consults it where real hardware
disagrees (identity strings, boot noise, periodic unsolicited lines, the error a
command the firmware does not know gets, which +CNMI values exist, where message
indices start). Learned from captures of real devices; written from scratch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class Personality:
    """The quirks of one modem family."""

    name: str
    manufacturer: str
    model: str
    revision: str
    #: ATI lines; ``{imei}`` is filled in.
    ati: tuple[str, ...]
    #: Lines the modem prints after power-up or AT+CFUN=1,1, in order.
    boot: tuple[str, ...] = ()
    #: Lines printed periodically while powered (``{rssi}`` is filled in).
    noise: tuple[str, ...] = ()
    #: Final result code for a command the firmware does not implement.
    unknown_command: str = "ERROR"
    #: The ICCID command this family answers, and the prefix of its answer ("" = bare digits).
    iccid_command: str = "+CCID"
    iccid_prefix: str = "+CCID: "
    #: Supported values of each +CNMI parameter (mode, mt, bm, ds, bfr).
    cnmi_supported: tuple[frozenset[int], ...] = (
        frozenset({0, 1, 2, 3}),
        frozenset({0, 1, 2, 3}),
        frozenset({0, 2}),
        frozenset({0, 1, 2}),
        frozenset({0, 1}),
    )
    cnmi_default: tuple[int, int, int, int, int] = (2, 1, 0, 0, 0)
    #: First message index in every storage (Huawei counts from 0).
    first_index: int = 1
    #: Whether AT+CMGR on an empty slot answers a bare OK instead of +CMS ERROR: 321.
    empty_read_ok: bool = False
    #: Extra commands answered with a fixed OK (vendor switches such as AT^CURC=0).
    vendor_switches: frozenset[str] = field(default_factory=frozenset)
    #: What AT+CMGD=<index>,<delflag> does: as TS 27.005 says, ERROR (firmware without
    #: the flag), or OK with nothing deleted (firmware that drops what it does not know).
    delete_flags: Literal["honoured", "refused", "ignored"] = "honoured"

    def cnmi_test_reply(self) -> str:
        """The +CNMI=? line, listing the supported values as hardware does."""
        return "+CNMI: " + ",".join(_value_list(values) for values in self.cnmi_supported)


def _value_list(values: frozenset[int]) -> str:
    ordered = sorted(values)
    if len(ordered) > 2 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"({ordered[0]}-{ordered[-1]})"
    return "(" + ",".join(str(value) for value in ordered) + ")"


VENDORS: dict[str, Personality] = {
    personality.name: personality
    for personality in (
        Personality(
            name="generic",
            manufacturer="Cellgate",
            model="SIM-1",
            revision="1.0.0",
            ati=("Cellgate SIM-1", "Revision: 1.0.0"),
            boot=("RDY",),
        ),
        Personality(
            name="sim800",
            manufacturer="SIMCOM_Ltd",
            model="SIMCOM_SIM800L",
            revision="Revision:1418B04SIM800L24",
            ati=("SIM800 R14.18",),
            boot=("RDY", "+CFUN: 1", "+CPIN: READY", "Call Ready", "SMS Ready"),
            iccid_prefix="",
            cnmi_supported=(
                frozenset({0, 1, 2, 3}),
                frozenset({0, 1, 2, 3}),
                frozenset({0, 2}),
                frozenset({0, 1}),
                frozenset({0, 1}),
            ),
            cnmi_default=(2, 1, 0, 0, 0),
            empty_read_ok=True,
        ),
        Personality(
            name="huawei",
            manufacturer="huawei",
            model="E1752",
            revision="11.126.13.00.00",
            ati=(
                "Manufacturer: huawei",
                "Model: E1752",
                "Revision: 11.126.13.00.00",
                "IMEI: {imei}",
                "+GCAP: +CGSM,+DS,+ES",
            ),
            boot=("^BOOT:48175390,0,0,0,89", "^RSSI:{rssi}"),
            noise=("^RSSI:{rssi}", "^BOOT:48175390,0,0,0,89"),
            unknown_command="COMMAND NOT SUPPORT",
            iccid_command="^ICCID",
            iccid_prefix="^ICCID: ",
            cnmi_default=(0, 0, 0, 0, 0),
            first_index=0,
            vendor_switches=frozenset({"^CURC", "^USSDMODE", "^CVOICE"}),
        ),
        Personality(
            name="quectel",
            manufacturer="Quectel",
            model="EC25",
            revision="EC25EFAR06A03M4G",
            ati=("Quectel", "EC25", "Revision: EC25EFAR06A03M4G"),
            boot=("RDY", "+CFUN: 1", "+CPIN: READY", "+QIND: SMS DONE", "+QIND: PB DONE"),
            iccid_command="+QCCID",
            iccid_prefix="+QCCID: ",
            cnmi_default=(2, 1, 0, 0, 0),
        ),
    )
}
