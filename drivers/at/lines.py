"""Classifying single response lines: final results, URC kinds and comma-separated fields.

Final results are matched as whole lines with ``fullmatch`` against an explicit set, so a
line such as ``OK see you at 5`` is information, never the end of a command.
"""

from __future__ import annotations

import re

from drivers.at.events import FinalResult

# Verbatim final results (ITU-T V.250 5.7.1, 3GPP TS 27.007, vendor extras).
_PLAIN_FINALS = frozenset(
    {
        "OK",
        "ERROR",
        "NO CARRIER",
        "BUSY",
        "NO ANSWER",
        "NO DIALTONE",
        "CONNECT",
        "COMMAND NOT SUPPORT",  # Huawei instead of ERROR
        "TOO MANY PARAMETERS",  # Huawei
    }
)
# Numeric result codes when the modem is in ATV0 mode.
_NUMERIC_FINALS = {"0": "OK", "3": "NO CARRIER", "4": "ERROR", "6": "NO DIALTONE", "7": "BUSY"}
_NUMERIC_FINALS |= {"8": "NO ANSWER"}
_ERROR_RE = re.compile(r"\+(CME|CMS) ERROR: *(.*)", re.IGNORECASE)
_CONNECT_RE = re.compile(r"CONNECT [0-9A-Za-z/ ]+")

# +CMEE=2 verbose texts mapped back to their numbers (3GPP TS 27.007 9.2, TS 27.005 3.2.5).
_CME_TEXTS = {
    "phone failure": 0,
    "operation not allowed": 3,
    "operation not supported": 4,
    "sim not inserted": 10,
    "sim pin required": 11,
    "sim puk required": 12,
    "sim failure": 13,
    "sim busy": 14,
    "sim wrong": 15,
    "incorrect password": 16,
    "sim pin2 required": 17,
    "sim puk2 required": 18,
    "memory full": 20,
    "invalid index": 21,
    "not found": 22,
    "memory failure": 23,
    "no network service": 30,
    "network timeout": 31,
    "network not allowed - emergency calls only": 32,
    "unknown": 100,
}
_CMS_TEXTS = {
    "me failure": 300,
    "sms service of me reserved": 301,
    "operation not allowed": 302,
    "operation not supported": 303,
    "invalid pdu mode parameter": 304,
    "invalid text mode parameter": 305,
    "(u)sim not inserted": 310,
    "sim not inserted": 310,
    "sim pin required": 311,
    "ph-(u)sim pin required": 312,
    "sim failure": 313,
    "sim busy": 314,
    "sim wrong": 315,
    "sim puk required": 316,
    "memory failure": 320,
    "invalid memory index": 321,
    "memory full": 322,
    "smsc address unknown": 330,
    "no network service": 331,
    "network timeout": 332,
    "no +cnma acknowledgement expected": 340,
    "unknown error": 500,
}

# Lines a modem sends on its own. Kinds that also answer a command (+CREG, +CPIN...) are
# treated as responses while that command is pending; see ``ATConnection``.
URC_KINDS = frozenset(
    {
        "+CMTI", "+CDSI", "+CMT", "+CDS", "+CBM", "+CUSD", "RING", "+CRING", "+CLIP",
        "+CCWA", "+CREG", "+CGREG", "+CEREG", "+C5GREG", "+CPIN", "+CFUN", "+CIEV",
        "+CTZV", "+CTZE", "+CGEV", "+CSQN", "+QIND", "+QUSIM", "+CUSATP", "+PACSP",
        "+STIN", "+WIND", "+ZDONR", "+ZPASR", "+ZUSIMR", "+ZEND", "^RSSI", "^HCSQ",
        "^BOOT", "^MODE", "^SRVST", "^SIMST", "^SYSSTART", "^DSFLOWRPT", "^STIN",
        "^ORIG", "^CONF", "^CONN", "^CEND", "^NDISSTAT", "^CRSSI", "^RFSWITCH", "RDY",
        "SMS READY", "CALL READY", "*PSUTTZ", "DST", "+CSMINS", "NORMAL POWER DOWN",
        "UNDER-VOLTAGE POWER DOWN", "UNDER-VOLTAGE WARNNING", "OVER-VOLTAGE WARNNING",
        "POWERED DOWN", "+SIMCARD",
    }
)  # fmt: skip
# Kinds that are always unsolicited, even while a command of the same name is pending
# (USSD answers and message indications arrive on their own, before or after the OK).
ALWAYS_URC = frozenset({"+CMTI", "+CDSI", "+CMT", "+CDS", "+CBM", "+CUSD", "RING", "+CRING"})


def final_result(line: str) -> FinalResult | None:
    """The final result this whole line is, or ``None`` if it is not one."""
    upper = line.upper()
    if upper in _PLAIN_FINALS:
        return FinalResult(upper)
    if upper in _NUMERIC_FINALS:
        return FinalResult(_NUMERIC_FINALS[upper])
    if _CONNECT_RE.fullmatch(line):
        return FinalResult("CONNECT", text=line[len("CONNECT ") :])
    match = _ERROR_RE.fullmatch(line)
    if match is None:
        return None
    kind, detail = match.group(1).upper(), match.group(2).strip()
    if detail.isdigit():
        return FinalResult(kind, int(detail))
    table = _CME_TEXTS if kind == "CME" else _CMS_TEXTS
    return FinalResult(kind, table.get(detail.lower()), detail)


def kind_of(line: str) -> str:
    """The URC/response name of a line: the text before ``:`` (``+CMTI``), or the line."""
    head, colon, _ = line.partition(":")
    if colon and head.strip() and " " not in head.strip():
        return head.strip().upper()
    return line.strip().upper()


def fields_of(line: str) -> tuple[str, ...]:
    """The comma-separated values after the first ``:``, unquoted.

    Commas inside double quotes do not split; a missing closing quote ends at the line end.
    """
    _, colon, rest = line.partition(":")
    if not colon:
        return ()
    values: list[str] = []
    current: list[str] = []
    quoted = False
    for char in rest.strip():
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            values.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    values.append("".join(current).strip())
    return tuple(values)


def command_name(command: str) -> str:
    """The response prefix a command answers with: ``AT+CSQ`` -> ``+CSQ``, ``ATI`` -> ``""``."""
    body = command.strip().upper()
    body = body.removeprefix("AT")
    match = re.match(r"[+^$*#%][A-Z0-9]+", body)
    return match.group(0) if match else ""
