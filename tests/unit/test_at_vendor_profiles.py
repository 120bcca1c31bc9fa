"""Vendor profiles are chosen from what AT+CGMI/AT+CGMM say."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drivers.profiles import GENERIC, PROFILES, profile_for

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"


@pytest.mark.parametrize(
    ("manufacturer", "model", "profile"),
    [
        ("SIMCOM_Ltd", "SIMCOM_SIM800L", "sim800"),
        ("SIMCOM INCORPORATED", "SIMCOM_SIM7600E-H", "sim800"),
        ("huawei", "E1752", "huawei"),
        ("Quectel", "EC25", "quectel"),
        ("ZTE INCORPORATED", "K3565-Z", "zte"),
        ("QUALCOMM INCORPORATED", "M6280", "zte"),
        ("WAVECOM MODEM", "MULTIBAND  900E  1800", "wavecom"),
        ("Sierra Wireless, Incorporated", "MC7455", "wavecom"),
        ("Nokia", "Nokia N79", "generic"),
        (None, None, "generic"),
    ],
)
def test_profile_from_identity(manufacturer: str | None, model: str | None, profile: str) -> None:
    assert profile_for(manufacturer, model).name == profile


def test_profile_names_are_unique_and_generic_matches_nothing() -> None:
    names = [p.name for p in PROFILES]
    assert len(names) == len(set(names))
    assert GENERIC not in PROFILES


def test_huawei_quirks() -> None:
    huawei = profile_for("huawei", "E1752")
    assert "AT^CURC=0" in huawei.init_extras
    assert huawei.iccid_commands[0] == "AT^ICCID?"
    assert not huawei.supports_cmms
    assert huawei.ussd_setup == ("AT^USSDMODE=0",)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")
def test_every_real_modem_in_the_corpus_gets_the_expected_profile() -> None:
    models = json.loads((CORPUS / "python-gsmmodem" / "fakemodems.json").read_text())["models"]
    expected = {
        "HuaweiK3715": "huawei",
        "HuaweiE1752": "huawei",
        "WavecomMultiband900E1800": "wavecom",
        "QualcommM6280": "zte",
        "ZteK3565Z": "zte",
        "NokiaN79": "generic",
    }
    for name, profile in expected.items():
        responses = models[name]["responses"]
        manufacturer = responses["AT+CGMI\r"][0].strip()
        model = responses["AT+CGMM\r"][0].strip()
        assert profile_for(manufacturer, model).name == profile, name
