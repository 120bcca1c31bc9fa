"""Parsing modem answers into values (drivers.modem.responses), vendor variants included."""

from __future__ import annotations

import pytest

from drivers.modem import Registration, Signal, Storage
from drivers.modem.responses import (
    bars_for,
    choose_cnmi,
    cnmi_supported,
    digits_value,
    identity_value,
    message_header,
    own_number,
    pin_state,
    registration,
    sent_reference,
    signal,
    storage,
    ussd_text,
)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["huawei"], "huawei"),
        (['+CGMI: "SIMCOM_Ltd"'], "SIMCOM_Ltd"),
        ([" WAVECOM MODEM"], "WAVECOM MODEM"),
        (["Manufacturer: huawei", "Model: E3372"], "huawei"),
        (["", "Nokia N79"], "Nokia N79"),
        ([], None),
    ],
)
def test_identity_value_drops_vendor_prefixes(lines: list[str], expected: str | None) -> None:
    assert identity_value(lines) == expected


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["356909090000011"], "356909090000011"),
        (["+CGSN: 356909090000011"], "356909090000011"),
        (["^ICCID: 8944123456789012345F"], "8944123456789012345F"),
        (['+QCCID: "89001010000000000018"'], "89001010000000000018"),
        (["IMEI: 861234567890123"], "861234567890123"),
        (["ERROR-ish"], None),
    ],
)
def test_digits_value_finds_the_number(lines: list[str], expected: str | None) -> None:
    assert digits_value(lines) == expected


def test_own_number_from_cnum() -> None:
    assert own_number(['+CNUM: "","+15550000001",145']) == "+15550000001"
    assert own_number(['+CNUM: "Me","",129']) is None


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("+CSQ: 20,99", Signal(20, 99, -73, 5)),
        ("+CSQ: 0,0", Signal(0, 0, -113, 0)),
        ("+CSQ: 31,0", Signal(31, 0, -51, 5)),
        ("+CSQ: 10,0", Signal(10, 0, -93, 3)),
        ("+CSQ: 99,99", Signal(99, 99, None, 0)),
    ],
)
def test_signal_in_dbm_and_bars(line: str, expected: Signal) -> None:
    assert signal([line]) == expected


def test_signal_missing_or_malformed() -> None:
    assert signal(["+CSQ: x,1"]) is None
    assert signal(["OK"]) is None


def test_bars_rise_with_dbm() -> None:
    bars = [bars_for(dbm) for dbm in range(-115, -50)]
    assert bars == sorted(bars)
    assert (bars[0], bars[-1]) == (0, 5)


@pytest.mark.parametrize(
    ("line", "status", "registered", "roaming", "technology"),
    [
        ("+CREG: 0,1", 1, True, False, "LTE"),
        ('+CREG: 2,5,"2AF5","0B88E350",2', 5, True, True, "LTE"),
        ("+CREG: 0,2", 2, False, False, "LTE"),
        ("+CEREG: 0,3", 3, False, False, "LTE"),
        ('+CREG: 2,1,"5E25', 1, True, False, "LTE"),
    ],
)
def test_registration_with_operator(
    line: str, status: int, registered: bool, roaming: bool, technology: str
) -> None:
    expected = Registration(status, registered, roaming, "Vodafone", technology)
    assert registration([line], ['+COPS: 0,0,"Vodafone",7']) == expected


def test_registration_technology_from_creg_when_cops_has_none() -> None:
    found = registration(['+CREG: 2,1,"5E25","605F",2'], ["+COPS: 0"])
    assert found == Registration(1, True, False, None, "UMTS")


def test_registration_missing() -> None:
    assert registration(["+CREG: 0,x"], []) is None
    assert registration(["OK"], []) is None


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('+CPMS: "SM",3,30,"SM",3,30,"SM",3,30', Storage(3, 30, "SM", 3, 30)),
        ("+CPMS: 14,50,14,50", Storage(14, 50, None, None, None)),
        ('+CPMS: "ME",0,255,"SM",1,20,"MT",2,275', Storage(0, 255, "ME", 2, 275)),
    ],
)
def test_storage(line: str, expected: Storage) -> None:
    assert storage([line]) == expected


def test_storage_nokia_empty_answer() -> None:
    assert storage(["+CPMS: ,,,,,,,,"]) is None
    assert storage([]) is None


@pytest.mark.parametrize(
    ("line", "first_choice"),
    [
        ("+CNMI: (0-3),(0-3),(0,2),(0-2),(0,1)", "2,1,0,2,0"),
        ("+CNMI: (0-3),(0-3),(0,2),(0,1),(0,1)", "2,1,0,1,0"),  # SIM800: ds only 0/1
        ("+CNMI: (2),(0-1,3),(0,2),(0-1),(0)", "2,1,0,1,0"),
        ("+CNMI: (0-2),(0,1,3),(0),(0,1),(0,1)", "2,1,0,1,0"),
        ("+CNMI:(0-3),(0-3),(0-3),(0,1),(0,1)", "2,1,0,1,0"),
        ("+CNMI: (1),(2),(0),(0),(0)", "1,2,0,0,0"),
        ("+CNMI: (0,1,2),(0,1,2,3),(0,2),(0,1,2),(0,1)", "2,1,0,2,0"),
    ],
)
def test_choose_cnmi_prefers_stored_messages_and_reports(line: str, first_choice: str) -> None:
    choices = choose_cnmi(cnmi_supported([line]))
    assert choices[0] == first_choice
    assert len(choices) == len(set(choices))


def test_choose_cnmi_falls_back_when_test_form_is_unusable() -> None:
    assert choose_cnmi(None)[0] == "2,1,0,2,0"
    assert choose_cnmi(cnmi_supported(["+CNMI: (0),(9)"]))[0] == "2,1,0,2,0"
    assert cnmi_supported(["+CNMI: "]) is None
    assert cnmi_supported(["OK"]) is None


def test_message_headers() -> None:
    assert message_header("+CMGL: 3,1,,24") == (3, 1)
    assert message_header("+CMGL: 3") == (3, None)
    assert message_header("+CMGR: 0,,24") == (None, 0)
    assert message_header("+CMGR: ,,27") == (None, None)
    assert message_header("+CMGL") == (None, None)


def test_sent_reference_and_pin_state() -> None:
    assert sent_reference(["+CMGS: 40"]) == 40
    assert sent_reference(["+CMGS:"]) is None
    assert sent_reference(["OK"]) is None
    assert pin_state(["+CPIN: SIM PIN"]) == "SIM PIN"
    assert pin_state(["+CPIN:"]) is None
    assert pin_state([]) is None
    assert pin_state(["+CPIN READY"]) is None


E160_PACKED = (
    "49B41C74ACD3D16171D90D32FBE52072BA0C72CA5DB45CAC76C3CD6CB41B2D060389CB74F9FE4C07D55C371C"
    "A85897BF1B"
)


@pytest.mark.parametrize(
    ("text", "dcs", "expected"),
    [
        ("Balance 5", 15, "Balance 5"),
        ("12345", 15, "12345"),
        ("00480069", 72, "Hi"),
        ("00480069002000740068006500720065", 15, "Hi there"),
        ("041F04400438043204350442", 15, "Привет"),
        (E160_PACKED, 15, "Ihr Guthaben für die Nr.4915783647410 beträgt 5.78 Euro"),
        ("C8329BFD06", 15, "Hello"),
        ("E8329BFD4697D9EC37", 0, "hellohello"),
    ],
)
def test_ussd_text_decodes_hex_answers(text: str, dcs: int, expected: str) -> None:
    assert ussd_text(text, dcs) == expected


def test_ussd_text_language_indicated_ucs2() -> None:
    assert ussd_text("0048006900210021", 0x11) == "Hi!!"
