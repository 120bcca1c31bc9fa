"""A real ``cellgate run`` process on a free port, for end-to-end and browser tests."""

from __future__ import annotations

import os
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
    config: Path
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


def start_server(config: Path) -> LiveServer:
    process = subprocess.Popen(
        cellgate("run", config=config),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    output: list[str] = []
    ready = threading.Event()
    url: list[str] = []

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            if line.startswith("Cellgate is serving "):
                url.append(line.split()[-1])
                ready.set()
        ready.set()

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    server = LiveServer(url="", config=config, process=process, reader=reader, output=output)
    if not ready.wait(START_TIMEOUT) or not url:
        server.process.kill()
        server.stop()
        raise RuntimeError("cellgate run did not start:\n" + "".join(output))
    server.url = url[0]
    return server


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
def live_server(live_server_factory: Callable[..., LiveServer]) -> LiveServer:
    return live_server_factory()
