"""The configuration schema, its example file and its one-line errors."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from gateway.config import Config, ConfigError, from_mapping, load, render_example

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config.example.toml"


def uncomment(text: str) -> str:
    """Turn every commented ``# key = value`` and ``# [[table]]`` line back into TOML."""
    setting = re.compile(r"# (\w+ = .*|\[\[\w+\]\])")
    return "\n".join(
        match.group(1) if (match := setting.fullmatch(line)) else line for line in text.splitlines()
    )


def test_example_file_is_rendered_from_the_schema() -> None:
    assert EXAMPLE.read_text() == render_example(), (
        "config.example.toml is out of date: regenerate it with "
        "python -c 'from gateway.config import render_example as r; print(r(), end=\"\")'"
    )


def test_every_example_key_uncommented_gives_the_defaults() -> None:
    data = tomllib.loads(uncomment(EXAMPLE.read_text()))
    config = from_mapping(data)
    defaults = Config()
    assert config.gateway == defaults.gateway
    assert config.database == defaults.database
    assert config.web == defaults.web
    assert config.logging == defaults.logging
    assert len(config.modems) == 1
    assert config.modems[0].rate_per_minute == 6


def test_no_file_means_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CELLGATE_CONFIG", raising=False)
    config = load()
    assert config.web.host == "127.0.0.1"
    assert config.web.port == 8080
    assert config.database_url.startswith("sqlite:///")


def test_environment_variable_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "cellgate.toml"
    file.write_text('[web]\nport = 9000\n[gateway]\ndata_dir = "state"\n')
    monkeypatch.setenv("CELLGATE_CONFIG", str(file))
    config = load()
    assert config.web.port == 9000
    assert config.data_dir == tmp_path / "state"


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("[web]\nprot = 1\n", "web.prot: unknown key"),
        ("[web]\nport = 70000\n", "web.port: must be a TCP port from 1 to 65535, got 70000"),
        ('[web]\nport = "80"\n', "web.port: expected a whole number, got '80'"),
        ("[wbe]\n", "wbe: unknown section"),
        ('[gateway]\ntimezone = "Mars/Olympus"\n', "gateway.timezone: unknown time zone"),
        ('[gateway]\ndefault_region = "XX"\n', "gateway.default_region: unknown region"),
        ("[gateway]\nresend_unknown = 1\n", "gateway.resend_unknown: expected true or false"),
        ('[database]\nurl = "mysql://x"\n', "database.url: must start with sqlite://"),
        ('[[modems]]\nname = "a"\n', "modems[0].port: required key is missing"),
        ('[[modems]]\nname = "a"\nport = "/dev/x"\npin = "12"\n', "modems[0].pin: a SIM PIN"),
        (
            '[[modems]]\nname = "a"\nport = "/dev/x"\n[[modems]]\nname = "a"\nport = "/dev/y"\n',
            "modems: duplicate modem name 'a'",
        ),
        ("[web\n", "not valid TOML"),
    ],
)
def test_bad_config_names_file_key_and_reason_in_one_line(
    tmp_path: Path, toml: str, expected: str
) -> None:
    file = tmp_path / "bad.toml"
    file.write_text(toml)
    with pytest.raises(ConfigError) as raised:
        load(file)
    message = str(raised.value)
    assert message.startswith(f"{file}: ")
    assert expected in message
    assert "\n" not in message


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load(tmp_path / "absent.toml")
