"""The simulator's HTTP control API over real HTTP, and `cellgate simulate` as a process."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import serial

from drivers.pdu import encode_deliver
from drivers.sim import Simulator
from tests.integration.test_sim_pty import command, read_until

SimulatorFactory = Callable[..., Simulator]
REPO = Path(__file__).resolve().parents[2]
CMTI = re.compile(rb"\+CMTI: .*\r\n")


def call(base: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = (
        None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    )
    request = urllib.request.Request(base + path, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def api(simulator: SimulatorFactory) -> tuple[Simulator, str]:
    sim = simulator(modems=2)
    host, port = sim.serve_control("127.0.0.1", 0)
    return sim, f"http://{host}:{port}"


def test_get_modems_lists_what_simulate_prints(api: tuple[Simulator, str]) -> None:
    sim, base = api
    status, modems = call(base, "GET", "/modems")
    assert status == 200
    assert modems == [modem.describe() for modem in sim.modems]
    assert set(modems[0]) == {"id", "device", "number", "imei", "vendor"}


def test_inbound_text_and_pdu_reach_the_modem(api: tuple[Simulator, str]) -> None:
    sim, base = api
    with serial.Serial(sim.modems[0].device, timeout=0.1) as port:
        command(port, "ATE0")
        status, _ = call(
            base, "POST", "/modems/sim0/inbound", {"from": "+447700900123", "text": "hi"}
        )
        assert status == 202
        assert read_until(port, CMTI) == b'\r\n+CMTI: "SM",1\r\n'
        [pdu] = encode_deliver("MyBank", "code 1234", timestamp=sim.network.now())
        assert call(base, "POST", "/modems/sim0/inbound", {"pdu": pdu})[0] == 202
        assert read_until(port, CMTI) == b'\r\n+CMTI: "SM",2\r\n'


def test_sent_lists_messages_between_modems(api: tuple[Simulator, str]) -> None:
    sim, base = api
    with serial.Serial(sim.modems[0].device, timeout=0.1) as port:
        command(port, "ATE0;+CMGF=1")
        port.write(f'AT+CMGS="{sim.modems[1].number}"\r'.encode())
        port.read(4)
        port.write(b"Hello over the network\x1a")
        sim.wait_sent(1, timeout=3)
    status, sent = call(base, "GET", "/sent")
    assert status == 200
    assert {key: sent[0][key] for key in ("modem", "to", "text", "parts", "encoding")} == {
        "modem": "sim0",
        "to": sim.modems[1].number,
        "text": "Hello over the network",
        "parts": 1,
        "encoding": "gsm7",
    }


def test_faults_and_reset(api: tuple[Simulator, str]) -> None:
    sim, base = api
    assert call(base, "POST", "/modems/sim1/faults", {"kind": "unplug"}) == (
        200,
        {"modem": "sim1", "fault": "unplug"},
    )
    assert not os.path.lexists(sim.modems[1].device)
    assert call(base, "POST", "/reset", {})[0] == 200
    assert os.path.exists(sim.modems[1].device)


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("GET", "/nope", None, 404, "not_found"),
        ("POST", "/modems/sim9/faults", {"kind": "hang"}, 404, "unknown_modem"),
        ("POST", "/modems/sim0/faults", {"kind": "explode"}, 422, "invalid"),
        ("POST", "/modems/sim0/faults", {"kind": "cms_error", "code": "x"}, 422, "invalid"),
        ("POST", "/modems/sim0/inbound", {"text": "no sender"}, 422, "invalid"),
        ("POST", "/modems/sim0/inbound", {"pdu": "ZZ"}, 422, "invalid"),
        ("POST", "/modems/sim0/inbound", b"{not json", 400, "invalid_json"),
        ("POST", "/modems/sim0/inbound", [1, 2], 400, "invalid_json"),
        ("GET", "/reset", None, 405, "method_not_allowed"),
    ],
)
def test_bad_requests_get_json_errors(
    api: tuple[Simulator, str], method: str, path: str, body: Any, status: int, code: str
) -> None:
    _, base = api
    answer_status, answer = call(base, method, path, body)
    assert (answer_status, answer["error"]["code"]) == (status, code)
    assert answer["error"]["message"]


def test_simulate_command_prints_modems_and_stops_on_sigterm() -> None:
    script = "from gateway.commands.simulate import simulate; simulate()"
    args = ["--modems", "2", "--latency", "0", "--vendor", "sim800,huawei"]
    with subprocess.Popen(
        [sys.executable, "-c", script, *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            lines = [json.loads(process.stdout.readline()) for _ in range(2)]
            assert [line["vendor"] for line in lines] == ["sim800", "huawei"]
            assert all(os.path.exists(line["device"]) for line in lines)
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0
            assert not any(os.path.lexists(line["device"]) for line in lines)
        finally:
            process.kill()
