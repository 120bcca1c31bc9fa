"""The codec against outside material in ../shared/corpus (skipped when it is absent).

pdu_corpus.json holds 303 PDUs with libGammu 1.45.1's decode as a second opinion (not
ground truth). Every vector must decode to libGammu's normalised text and number, or be
rejected with PduError where libGammu rejects it too. Where we disagree with libGammu on
purpose, the vector is listed below with the reason.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from drivers.errors import PduError
from drivers.pdu import (
    Deliver,
    Encoding,
    StatusReport,
    Submit,
    decode,
    encode_deliver,
    encode_submit,
    segments,
)

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"

# Vectors libGammu decodes but we reject, and why.
REJECTED = {
    "gammu-at-sms-14": "DCS 0xF9 is GSM-7 class 1 (TS 23.038 group 1111, bit 2 clear); its "
    "UDL of 18 septets fills 16 octets and 2 non-padding octets follow. The body is really "
    "UCS-2, so no reading of the PDU as written gives the text; libGammu calls it 8-bit.",
    "gammu-at-sms-39": "UDL says 53 septets but 30 more octets of text follow; they are not "
    "padding, so the PDU contradicts its own length.",
    "gammu-at-sms-41": "truncated capture: UDL 93 septets needs 82 octets, 79 are present "
    "(the +CMGR header announces 93 TPDU octets, the line holds 92); libGammu reads past it.",
}
# Vectors where our number differs from libGammu's, and why.
NUMBERS = {
    "pgm-decode-10": ("+#08427829207025", "TBCD nibble B is '#' (TS 23.040 9.1.2.3); "
                      "libGammu drops non-digit TBCD nibbles"),
    "android-addressing-3": ("*#abc#*51", "TBCD letters kept, as Android's own test expects"),
    "android-cphs-mwi-set": ("_@", "4 semi-octets of alphanumeric address hold 2 septets; "
                             "libGammu shows the raw octet; Android expects '_@'"),
    "android-cphs-mwi-clear-1": ("Δ@", "as android-cphs-mwi-set"),
    "android-cphs-mwi-clear-2": ("Δ@", "as android-cphs-mwi-set"),
    "android-cingular-mwi-set": ("5", "address length 1 semi-octet is one digit; libGammu "
                                 "reads the whole octet"),
    "android-cingular-mwi-clear": ("5", "as android-cingular-mwi-set"),
}  # fmt: skip
# Vectors where our text differs from libGammu's, and why.
TEXTS = {
    "gammu-at-sms-42": ("1917812300     22:30   RATTHI", "DCS 0xFB is GSM-7 class 3 "
                        "(bit 2 clear); libGammu takes the reserved bit 3 for 8-bit data"),
}  # fmt: skip
# Vectors where our time stamp differs from libGammu's, and why.
STAMPS = {
    "gammu-at-sms-09": ("1999-03-29T15:16:59+02:00", "two-digit year 99 is 1999 here; "
                        "libGammu reports 2089"),
}  # fmt: skip


def _corpus_file(*parts: str) -> Path:
    path = CORPUS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared corpus not present ({path})")
    return path


@cache
def _vectors() -> dict[str, dict[str, Any]]:
    path = CORPUS / "pdu_corpus.json"
    if not path.exists():
        return {}
    return {v["id"]: v for v in json.loads(path.read_text(encoding="utf-8"))["vectors"]}


def _vector_ids() -> list[str]:
    return sorted(_vectors()) or ["corpus-absent"]


def test_corpus_statistics_are_what_this_test_was_written_against() -> None:
    data = json.loads(_corpus_file("pdu_corpus.json").read_text(encoding="utf-8"))
    assert len(data["vectors"]) == 303
    assert data["stats"]["gammu_fail"] + data["stats"]["gammu_ok"] == 299


@pytest.mark.parametrize("vector_id", _vector_ids())
def test_corpus_vector(vector_id: str) -> None:
    _corpus_file("pdu_corpus.json")
    vector = _vectors()[vector_id]
    gammu = vector["oracle_gammu"]
    if "error" in gammu or vector_id in REJECTED:
        with pytest.raises(PduError):
            decode(vector["pdu_hex"])
        return
    message = decode(vector["pdu_hex"])
    if isinstance(message, StatusReport):
        assert gammu["Type"] == "Status_Report"
        assert message.message_reference == gammu["MessageReference"]
        # libGammu calls the SC time stamp DateTime and the discharge time SMSCDateTime.
        assert message.submitted.isoformat() == gammu["DateTime"]
        assert message.discharged.isoformat() == gammu["SMSCDateTime"]
        address = message.recipient
    else:
        assert gammu["Type"] == ("Deliver" if isinstance(message, Deliver) else "Submit")
        expected_text = gammu.get("Text_normalized", gammu["Text"])
        if vector_id in TEXTS:
            expected_text = TEXTS[vector_id][0]
        if isinstance(expected_text, dict):
            assert message.encoding is Encoding.BINARY
            assert (message.data or b"").hex().upper() == expected_text["hex"]
        else:
            assert message.text == expected_text
        _check_concat(message, gammu["UDH"])
        if isinstance(message, Deliver):
            stamp = STAMPS.get(vector_id, (gammu["DateTime"],))[0]
            assert message.timestamp.isoformat() == stamp
            assert (message.smsc or "") == (gammu["SMSC"] or "")
        address = message.sender if isinstance(message, Deliver) else message.recipient
    assert address.number == NUMBERS.get(vector_id, (gammu["Number"],))[0]


def _check_concat(message: Deliver | Submit, udh: dict[str, Any]) -> None:
    if message.concat is None:
        assert udh["PartNumber"] in (-1, 0)
        return
    reference = udh["ID16bit"] if message.concat.bits == 16 else udh["ID8bit"]
    assert (message.concat.reference, message.concat.number, message.concat.total) == (
        reference,
        udh["PartNumber"],
        udh["AllParts"],
    )


def _cmgr_pdu(dump: Path) -> str:
    """The PDU line that follows +CMGR: in one of gammu's AT reply dumps."""
    lines = dump.read_text(encoding="latin-1").splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("+CMGR:"))
    return lines[index + 1].strip()


def test_gammu_failing_captures_are_rejected() -> None:
    dumps = sorted(_corpus_file("gammu-tests", "at-sms-failing").glob("*.dump"))
    assert len(dumps) == 10
    for dump in dumps:
        with pytest.raises(PduError):
            decode(_cmgr_pdu(dump))


# Captures gammu lists as decodable that we reject, and why.
CAPTURES_REJECTED = {
    "04": "the capture line ends in a stray '\"' (without it the PDU decodes)",
    "14": REJECTED["gammu-at-sms-14"],
    "20": "TP-UDHI is set but the user data is empty; libGammu rejects it too",
    "39": REJECTED["gammu-at-sms-39"],
    "41": REJECTED["gammu-at-sms-41"],
}


def test_gammu_captures_decode() -> None:
    dumps = sorted(_corpus_file("gammu-tests", "at-sms").glob("*.dump"))
    assert len(dumps) == 36
    for dump in dumps:
        pdu = _cmgr_pdu(dump)
        if dump.stem in CAPTURES_REJECTED:
            with pytest.raises(PduError):
                decode(pdu)
        else:
            assert isinstance(decode(pdu), Deliver | Submit | StatusReport)
    repaired = decode(_cmgr_pdu(dumps[0].with_name("04.dump")).rstrip('"'))
    assert isinstance(repaired, Deliver)
    assert repaired.text


def _backup(path: Path) -> dict[str, str]:
    fields = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r'(\w+) = "?(.*?)"?', line.strip())
        if match:
            fields[match[1]] = match[2]
    return fields


def test_gammu_encoder_pairs() -> None:
    """gammu's .backup -> .dump pairs, where they map onto our API.

    Skipped pairs, by rule: a backup whose Coding differs from the encoding we choose for
    its text (we choose from the text; gammu obeys the backup), and texts longer than one
    part (gammu writes them into one over-long PDU; we split). A "Sent" backup becomes an
    SMS-DELIVER with that time stamp; gammu leaves TP-MMS clear where we set it (no more
    messages waiting), so that bit is masked.
    """
    checked = 0
    for path in sorted(_corpus_file("gammu-tests", "at-sms-encode").glob("*.backup")):
        fields = _backup(path)
        hex_text = "".join(v for k, v in sorted(fields.items()) if k.startswith("Text"))
        text = bytes.fromhex(hex_text).decode("utf-16-be")
        counted = segments(text)
        if counted.parts > 1 or (counted.encoding is Encoding.UCS2) != (
            fields["Coding"] == "Unicode"
        ):
            continue
        expected = path.with_suffix(".dump").read_text(encoding="ascii").strip()
        if "Sent" in fields:
            sent = datetime.strptime(fields["Sent"], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
            (ours,) = encode_deliver(fields["Number"], text, timestamp=sent, smsc=fields["SMSC"])
            at = 2 * (int(expected[:2], 16) + 1)  # the first TPDU octet, after the SMSC field
            assert ours[:at] == expected[:at]
            assert int(ours[at : at + 2], 16) & ~0x04 == int(expected[at : at + 2], 16)
            assert ours[at + 2 :] == expected[at + 2 :]
        else:
            (part,) = encode_submit(
                fields["Number"],
                text,
                smsc=fields["SMSC"],
                request_status_report=False,
                validity=timedelta(weeks=63),
            )
            assert part.pdu == expected
        checked += 1
    assert checked == 65


def test_python_gsmmodem_submit_vectors() -> None:
    """python-gsmmodem's encoder vectors that our options can express.

    Its "Flash SMS" and concatenated vectors set TP-RD (reject duplicates), which we never
    set, so for those the first octet is compared with that bit masked; its "local numbers"
    vector encodes national numbers with TON national, where we use TON unknown; its
    absolute-validity vector uses a validity format we do not send.
    """
    vectors = json.loads(
        _corpus_file("python-gsmmodem", "pdu_vectors.json").read_text(encoding="utf-8")
    )
    hello, flash, ucs2 = vectors["submit_encode"][:3]
    (part,) = encode_submit(hello["number"], hello["text"], request_status_report=False)
    assert part.pdu == hello["pdu_hex"]
    (part,) = encode_submit(
        ucs2["number"],
        ucs2["text"],
        smsc=ucs2["smsc"],
        validity=timedelta(seconds=ucs2["validity_seconds"]),
        request_status_report=False,
    )
    assert part.pdu == ucs2["pdu_hex"]
    (part,) = encode_submit(flash["number"], flash["text"], request_status_report=False)
    assert _without_reject_duplicates(flash["pdu_hex"]) == part.pdu
    concatenated = vectors["submit_encode_concatenated"][0]
    parts = encode_submit(concatenated["number"], concatenated["text"], request_status_report=False)
    # It gives every part message reference 0; we count up from it.
    assert [p.pdu[:4] + p.pdu[6:] for p in parts] == [
        _without_reject_duplicates(pdu)[:4] + pdu[6:] for pdu in concatenated["pdus_hex"]
    ]


def _without_reject_duplicates(pdu: str) -> str:
    """A no-SMSC-field SUBMIT PDU with TP-RD cleared."""
    return pdu[:2] + f"{int(pdu[2:4], 16) & ~0x04:02X}" + pdu[4:]


# python-gsmmodem's splitter cuts after 153 septets even when 160 would fit in one part;
# TS 23.040 puts 160 septets in a part without a header, so these 154-septet texts are one.
SPLIT_COUNT_EXCEPTIONS = {2: 1, 3: 1}


def test_python_gsmmodem_split_counts() -> None:
    vectors = json.loads(
        _corpus_file("python-gsmmodem", "pdu_vectors.json").read_text(encoding="utf-8")
    )
    for index, (text, parts) in enumerate(vectors["split_counts"]["gsm7_expected_part_counts"]):
        assert segments(text).parts == SPLIT_COUNT_EXCEPTIONS.get(index, parts)
