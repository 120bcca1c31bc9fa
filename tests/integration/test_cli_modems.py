"""`cellgate modems` against simulated modems over real pseudo-terminals."""

from __future__ import annotations

import subprocess
from pathlib import Path

from drivers.modem import Modem
from drivers.sim import Simulator
from tests.plugins.gateway_server import cellgate, init_database
from tests.plugins.simulator import SimulatorFactory


def modem_config(tmp_path: Path, sim: Simulator) -> Path:
    config = tmp_path / "cellgate.toml"
    tables = "".join(
        f'[[modems]]\nname = "{modem.id}"\nport = "{modem.device}"\n' for modem in sim.modems
    )
    config.write_text(f'[gateway]\ndata_dir = "data"\n{tables}')
    return config


def run_modems(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cellgate("modems", config=config), text=True, capture_output=True, timeout=60
    )


def test_shows_identity_signal_network_and_storage_of_each_modem(
    tmp_path: Path, simulator: SimulatorFactory
) -> None:
    sim = simulator(modems=2, vendor=["sim800", "huawei"])
    result = run_modems(modem_config(tmp_path, sim))
    assert result.returncode == 0, result.stderr
    for modem in sim.modems:
        assert f"{modem.id}  {modem.device}" in result.stdout
        assert f"IMEI      {modem.imei}" in result.stdout
        assert modem.iccid in result.stdout
    assert "profile sim800" in result.stdout
    assert "profile huawei" in result.stdout
    assert "registered" in result.stdout
    assert "/5 bars" in result.stdout


def test_an_unplugged_modem_is_reported_and_fails_the_command(
    tmp_path: Path, simulator: SimulatorFactory
) -> None:
    sim = simulator(modems=2)
    sim.modems[1].fault("unplug")
    result = run_modems(modem_config(tmp_path, sim))
    assert result.returncode == 1
    assert "sim1" in result.stdout
    assert "unreachable" in result.stdout
    assert f"IMEI      {sim.modems[0].imei}" in result.stdout


def test_a_port_held_by_a_running_gateway_is_not_stolen(
    tmp_path: Path, simulator: SimulatorFactory
) -> None:
    sim = simulator(modems=1)
    config = modem_config(tmp_path, sim)
    init_database(config)
    with Modem(sim.modems[0].device, name="gateway"):
        result = run_modems(config)
    assert result.returncode == 0, result.stderr
    assert "in use by another process" in result.stdout
    assert "no record from a running gateway" in result.stdout
