"""Optional mapping of typographic characters to GSM-7, so a message stays in 160-char parts.

Word processors and phones put smart quotes, dashes and non-breaking spaces into text that
would otherwise fit GSM-7; one such character halves the part size (UCS-2). Characters the
alphabet already holds are left alone; emoji and scripts without a GSM-7 form stay as they
are, so the message still goes out as UCS-2.
"""

from __future__ import annotations

import unicodedata

from drivers.pdu import gsm7

_MAP = {
    **dict.fromkeys("‘’‚‛′´`", "'"),
    **dict.fromkeys("“”„‟″«»", '"'),
    **dict.fromkeys("‐‑‒–—―−•", "-"),
    **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad", ""),
    "…": "...",
    "ç": "Ç",  # TS 23.038 gives 0x09 as Ç, which phones render for both cases
    "©": "(C)",
    "®": "(R)",
    "×": "x",
    "÷": "/",
}


def transliterate(text: str) -> str:
    """``text`` with characters outside GSM-7 replaced by their nearest GSM-7 spelling."""
    return "".join(_char(char) for char in text)


def _char(char: str) -> str:
    if gsm7.char_septets(char) is not None:
        return char
    if char in _MAP:
        return _MAP[char]
    # Compatibility decomposition covers spaces, ligatures, fullwidth forms, ™ and accents.
    decomposed = "".join(
        part for part in unicodedata.normalize("NFKD", char) if not unicodedata.combining(part)
    )
    if decomposed and gsm7.char_septets(decomposed) is not None:
        return decomposed
    return char
