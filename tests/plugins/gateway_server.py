"""A real ``cellgate run`` process on a free port, for end-to-end and browser tests."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ADMIN = "admin"
ADMIN_PASSWORD = "live server password"
START_TIMEOUT = 30.0
URL = re.compile(r"http://127\.0\.0\.1:\d+")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def cellgate(*args: str, config: Path | None = None) -> list[str]:
    prefix = ["-c", str(config)] if config else []
    return [sys.executable, "-m", "gateway", *prefix, *args]


@dataclass
class LiveServer:
    url: str
    config: Path | None
    process: subprocess.Popen[str]
    reader: threading.Thread
    output: list[str] = field(default_factory=list)

    def stop(self) -> int:
        """SIGTERM, as systemd would send; returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        status = self.process.wait(timeout=15)
        self.reader.join(timeout=5)
        if self.process.stdout:
            self.process.stdout.close()
        return status


def start_process(args: list[str], *, ready: str, config: Path | None = None) -> LiveServer:
    """Run a cellgate process until a line starting with ``ready`` shows it serving."""
    process = subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    output: list[str] = []
    started = threading.Event()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            if line.startswith(ready):
                started.set()
        started.set()

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    server = LiveServer(url="", config=config, process=process, reader=reader, output=output)
    started.wait(START_TIMEOUT)
    urls = [match.group(0) for line in output if (match := URL.search(line))]
    if process.poll() is not None or not urls:
        server.process.kill()
        server.stop()
        raise RuntimeError(f"{' '.join(args)} did not start:\n" + "".join(output))
    server.url = urls[0]
    return server


def start_server(config: Path) -> LiveServer:
    return start_process(cellgate("run", config=config), ready="Cellgate is serving", config=config)


def write_config(directory: Path, extra: str = "") -> Path:
    config = directory / "cellgate.toml"
    config.write_text(
        f'[gateway]\ndata_dir = "data"\n[web]\nport = {free_port()}\n[logging]\nlevel = "WARNING"\n'
        + extra
    )
    return config


def init_database(config: Path) -> None:
    subprocess.run(
        cellgate("init", "--admin", ADMIN, config=config),
        input=f"{ADMIN_PASSWORD}\n{ADMIN_PASSWORD}\n",
        text=True,
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.fixture
def live_server_factory(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Start ``cellgate run`` with an initialised database; stopped at teardown."""
    servers: list[LiveServer] = []

    def start(extra_config: str = "") -> LiveServer:
        config = write_config(tmp_path, extra_config)
        init_database(config)
        server = start_server(config)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[LiveServer]:
    """``cellgate demo`` exactly as the README's quick start runs it, on a free port."""
    server = start_process(
        cellgate("demo", "--dir", str(tmp_path / "demo"), "--port", str(free_port())),
        ready="Press Ctrl+C",
    )
    yield server
    server.stop()


def demo_login(server: LiveServer) -> tuple[str, str]:
    """The admin name and password the demo printed."""
    line = next(line for line in server.output if "Log in as:" in line)
    username, password = line.split(":", 1)[1].split(" / ")
    return username.strip(), password.strip()


@pytest.fixture
def live_server(live_server_factory: Callable[..., LiveServer]) -> LiveServer:
    return live_server_factory()
