"""Final result codes as a modem prints them, numeric (ATV0) or verbose (ATV1).

The verbose +CME/+CMS texts are what AT+CMEE=2 shows; they follow the wording of
3GPP TS 27.007 section 9.2 and TS 27.005 section 3.2.5.
"""

from __future__ import annotations

from dataclasses import dataclass

NUMERIC_RESULTS = {"OK": 0, "CONNECT": 1, "RING": 2, "NO CARRIER": 3, "ERROR": 4}

CME_TEXT: dict[int, str] = {
    0: "phone failure",
    3: "operation not allowed",
    4: "operation not supported",
    10: "SIM not inserted",
    11: "SIM PIN required",
    12: "SIM PUK required",
    13: "SIM failure",
    14: "SIM busy",
    16: "incorrect password",
    20: "memory full",
    21: "invalid index",
    30: "no network service",
    50: "incorrect parameters",
    100: "unknown",
}

CMS_TEXT: dict[int, str] = {
    38: "network out of order",
    42: "congestion",
    300: "ME failure",
    302: "operation not allowed",
    303: "operation not supported",
    304: "invalid PDU mode parameter",
    305: "invalid text mode parameter",
    310: "SIM not inserted",
    311: "SIM PIN required",
    313: "SIM failure",
    314: "SIM busy",
    320: "memory failure",
    321: "invalid memory index",
    322: "memory full",
    330: "SMSC address unknown",
    331: "no network service",
    332: "network timeout",
    340: "no +CNMA acknowledgement expected",
    500: "unknown error",
}


@dataclass(frozen=True)
class Final:
    """How a command line ended: OK, ERROR, a vendor word, or +CME/+CMS with a code."""

    word: str = "OK"
    kind: str = ""  # "CME", "CMS" or "" for a plain result
    code: int = 0

    @property
    def ok(self) -> bool:
        return self.word == "OK" and not self.kind

    def render(self, *, verbose: bool, cmee: int) -> bytes:
        """The bytes of this final result under the current ATV and AT+CMEE settings."""
        if self.kind and cmee in (1, 2):
            texts = CME_TEXT if self.kind == "CME" else CMS_TEXT
            detail = texts.get(self.code, str(self.code)) if cmee == 2 else str(self.code)
            line = f"+{self.kind} ERROR: {detail}"
            return f"\r\n{line}\r\n".encode() if verbose else f"{line}\r\n".encode()
        word = "ERROR" if self.kind else self.word
        if verbose:
            return f"\r\n{word}\r\n".encode()
        return f"{NUMERIC_RESULTS.get(word, NUMERIC_RESULTS['ERROR'])}\r".encode()


OK = Final()
ERROR = Final("ERROR")


def cme(code: int) -> Final:
    return Final("ERROR", "CME", code)


def cms(code: int) -> Final:
    return Final("ERROR", "CMS", code)
