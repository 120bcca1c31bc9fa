"""Pure parsers for modem answers: response lines in, typed values out.

Modems disagree on details (prefixes on identity answers, nested parentheses in test
responses, hex-encoded USSD strings), so every parser here is lenient and returns
``None`` rather than raising when an answer is not what the standard says.
"""

from __future__ import annotations

import re

from drivers.at import fields_of
from drivers.errors import PduError
from drivers.modem.results import Registration, Signal, Storage
from drivers.pdu import gsm7

# Prefixes vendors put in front of identity answers (+CGMI: huawei, Manufacturer: ...).
_IDENTITY_PREFIX = re.compile(
    r"^\s*(?:[+^$][A-Z]+:|(?:Manufacturer|Model|Revision|IMEI|IMSI|ICCID|SIM ICCID):)\s*",
    re.IGNORECASE,
)
# 3GPP TS 27.007 7.3 <AcT> values.
_TECHNOLOGIES = {
    0: "GSM",
    1: "GSM",
    2: "UMTS",
    3: "EDGE",
    4: "HSDPA",
    5: "HSUPA",
    6: "HSPA",
    7: "LTE",
    8: "EC-GSM-IoT",
    9: "NB-IoT",
    10: "LTE",
    11: "NR",
    12: "NR",
    13: "NR",
}
_RANGE = re.compile(r"\(([^()]*)\)")


def identity_value(lines: list[str]) -> str | None:
    """The value of an identity answer: first non-empty line, vendor prefix and quotes off."""
    for line in lines:
        value = _IDENTITY_PREFIX.sub("", line).strip().strip('"').strip()
        if value:
            return value
    return None


def digits_value(lines: list[str]) -> str | None:
    """A number-like identity (IMEI, IMSI, ICCID): the first run of 6+ digits/letters F."""
    for line in lines:
        match = re.search(r"[0-9][0-9A-Fa-f]{5,}", _IDENTITY_PREFIX.sub("", line))
        if match:
            return match.group(0).upper()
    return None


def own_number(lines: list[str]) -> str | None:
    """The subscriber number from ``+CNUM: "<alpha>","<number>",<type>``."""
    for line in lines:
        fields = fields_of(line)
        if line.upper().startswith("+CNUM") and len(fields) >= 2 and fields[1]:
            return fields[1]
    return None


def signal(lines: list[str]) -> Signal | None:
    """``+CSQ: <rssi>,<ber>`` as raw values, dBm and bars."""
    for line in lines:
        fields = fields_of(line)
        if line.upper().startswith("+CSQ") and len(fields) >= 2:
            rssi, ber = _int(fields[0]), _int(fields[1])
            if rssi is None or ber is None:
                return None
            dbm = -113 + 2 * rssi if 0 <= rssi <= 31 else None
            return Signal(rssi, ber, dbm, bars_for(dbm))
    return None


def bars_for(dbm: int | None) -> int:
    """0-5 bars, on the thresholds phones commonly use for GSM."""
    if dbm is None:
        return 0
    thresholds = (-109, -103, -93, -83, -73)
    return sum(dbm >= threshold for threshold in thresholds)


def registration(lines: list[str], operator_lines: list[str]) -> Registration | None:
    """Registration from a ``+CREG?``/``+CEREG?`` answer plus the ``+COPS?`` answer.

    The read form is ``<n>,<stat>[,<lac>,<ci>[,<AcT>]]``.
    """
    for line in lines:
        fields = fields_of(line)
        if len(fields) < 2 or not re.match(r"\+C(?:E|G|5G)?REG", line.upper()):
            continue
        status = _int(fields[1])
        if status is None:
            return None
        operator, technology = _operator(operator_lines)
        if technology is None and len(fields) >= 5:
            technology = _TECHNOLOGIES.get(_int(fields[4]) or -1)
        return Registration(status, status in (1, 5), status == 5, operator, technology)
    return None


def _operator(lines: list[str]) -> tuple[str | None, str | None]:
    """``+COPS: <mode>,<format>,"<oper>"[,<AcT>]`` -> (operator, technology)."""
    for line in lines:
        fields = fields_of(line)
        if line.upper().startswith("+COPS") and len(fields) >= 3:
            technology = _TECHNOLOGIES.get(_int(fields[3]) or 0) if len(fields) >= 4 else None
            return fields[2] or None, technology
    return None, None


def storage(lines: list[str]) -> Storage | None:
    """``+CPMS: "SM",3,30,"SM",3,30,...`` (read form) or ``+CPMS: 3,30,...`` (set form)."""
    for line in lines:
        if not line.upper().startswith("+CPMS"):
            continue
        fields = fields_of(line)
        names = [f for f in fields if f and not f.isdigit()]
        numbers = [int(f) for f in fields if f.isdigit()]
        if len(numbers) < 2:
            return None
        receive: list[int | None] = [*numbers[4:6]] if len(numbers) >= 6 else [None, None]
        name = names[0] if names else None
        return Storage(numbers[0], numbers[1], name, receive[0], receive[1])
    return None


def cnmi_supported(lines: list[str]) -> list[set[int]] | None:
    """The value sets of ``+CNMI: (0-3),(0,1),...`` (an ``AT+CNMI=?`` answer)."""
    for line in lines:
        if line.upper().startswith("+CNMI"):
            groups = _RANGE.findall(line)
            return [_values(group) for group in groups] or None
    return None


def _values(group: str) -> set[int]:
    values: set[int] = set()
    for item in group.split(","):
        low, dash, high = item.strip().partition("-")
        if low.isdigit() and dash and high.isdigit():
            values.update(range(int(low), int(high) + 1))
        elif low.isdigit():
            values.add(int(low))
    return values


def choose_cnmi(supported: list[set[int]] | None) -> list[str]:
    """``AT+CNMI`` settings to try, best first.

    Store new messages and status reports on the SIM and be told with +CMTI/+CDSI (mt=1,
    ds=2): nothing is lost if the gateway is busy or down. Where a value is missing, fall
    back to the nearest one the modem lists (ds=1 for SIM800, which only has 0/1).
    """
    fallbacks = ["2,1,0,2,0", "2,1,0,1,0", "2,1,0,0,0", "1,1,0,0,0"]
    if not supported:
        return fallbacks
    preferences = ([2, 1, 3], [1, 2, 3], [0], [2, 1, 0], [0, 1])
    chosen: list[str] = []
    for position, preferred in enumerate(preferences):
        allowed = supported[position] if position < len(supported) else set()
        if position >= len(supported):
            break
        value = next((v for v in preferred if v in allowed), None)
        if value is None:
            break
        chosen.append(str(value))
    best = ",".join(chosen)
    return [best] + [f for f in fallbacks if f != best] if len(chosen) >= 2 else fallbacks


def message_header(line: str) -> tuple[int | None, int | None]:
    """(index, stat) from ``+CMGL: <index>,<stat>,...`` or (None, stat) from ``+CMGR:``."""
    fields = fields_of(line)
    if not fields:
        return None, None
    if line.upper().startswith("+CMGL"):
        return _int(fields[0]), _int(fields[1]) if len(fields) > 1 else None
    return None, _int(fields[0])


def sent_reference(lines: list[str]) -> int | None:
    """The message reference from ``+CMGS: <mr>``."""
    for line in lines:
        if line.upper().startswith("+CMGS"):
            fields = fields_of(line)
            return _int(fields[0]) if fields else None
    return None


def pin_state(lines: list[str]) -> str | None:
    """``+CPIN: READY`` / ``SIM PIN`` / ``SIM PUK``..."""
    for line in lines:
        if line.upper().startswith("+CPIN"):
            fields = fields_of(line)
            return fields[0].upper() or None if fields else None
    return None


def ussd_text(text: str, dcs: int | None) -> str:
    """Decode a +CUSD string that a modem may pass on as hex.

    Modems differ: most decode the text (in the TE character set), Huawei E160-class
    sticks give packed GSM 7-bit as hex, Quectel and Huawei E3276 give UCS-2 as hex (even
    with dcs=15). Hex is only guessed at for strings that look like nothing else.
    """
    if len(text) < 8 or len(text) % 2 or not re.fullmatch(r"[0-9A-Fa-f]+", text):
        return text
    data = bytes.fromhex(text)
    if dcs is not None and _dcs_is_ucs2(dcs):
        return _ucs2(data)
    if len(data) % 2 == 0 and _looks_like_ucs2(data):
        return _ucs2(data)
    try:
        return _packed_gsm7(data)
    except PduError:
        return text


def _dcs_is_ucs2(dcs: int) -> bool:
    """TS 23.038 section 5 (CBS coding groups, used by USSD)."""
    general = (dcs & 0xF0) in (0x40, 0x50, 0x60, 0x70, 0x90) and (dcs & 0x0C) == 0x08
    return dcs == 0x11 or general


def _looks_like_ucs2(data: bytes) -> bool:
    units = [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
    alphabetic = sum(1 for unit in units if 0x20 <= unit < 0x0800 or unit in (0x0A, 0x0D))
    return alphabetic >= 0.8 * len(units)


def _ucs2(data: bytes) -> str:
    return data[: len(data) // 2 * 2].decode("utf-16-be", errors="replace")


def _packed_gsm7(data: bytes) -> str:
    count = len(data) * 8 // 7
    text = gsm7.decode(gsm7.unpack(data, count))
    # A final septet of 0 (or CR, TS 23.038 6.1.2.3.1) is padding, not an "@".
    if count % 8 == 0 and text[-1:] in ("@", "\r"):
        text = text[:-1]
    return text


def _int(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() else None
