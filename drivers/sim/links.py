"""The wires between a simulated modem and its host: a pseudo-terminal or an in-process pipe.

The pty is what makes the simulator a real serial device: any program can open the
stable path (a symlink in a temporary directory) exactly as it opens /dev/ttyUSB0. On
unplug the symlink vanishes and the pty closes, so readers see the same I/O error a
pulled USB dongle gives. The in-process link backs the ``sim://`` URL handler.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time
import tty
from collections.abc import Callable
from pathlib import Path
from typing import Protocol


class Link(Protocol):
    """Where a modem writes its output."""

    def write(self, data: bytes) -> None: ...

    def close(self) -> None: ...


class PtyLink:
    """A pseudo-terminal whose slave side is published at ``path``."""

    def __init__(self, path: Path, on_data: Callable[[bytes], None]) -> None:
        self.path = path
        self._on_data = on_data
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        os.set_blocking(self._master, False)
        self._wake_read, self._wake_write = os.pipe()
        self._write_lock = threading.Lock()
        self._closed = False
        temporary = path.with_name(path.name + ".new")
        temporary.unlink(missing_ok=True)
        temporary.symlink_to(os.ttyname(self._slave))
        temporary.replace(path)
        self._thread = threading.Thread(target=self._run, name=f"pty-{path.name}", daemon=True)
        self._thread.start()

    def write(self, data: bytes) -> None:
        """Write what fits; like a modem without flow control, drop the rest."""
        with self._write_lock:
            if self._closed:
                return
            with contextlib.suppress(BlockingIOError, OSError):
                os.write(self._master, data)

    def close(self) -> None:
        with self._write_lock:
            if self._closed:
                return
            self._closed = True
            self.path.unlink(missing_ok=True)
            os.write(self._wake_write, b"x")
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)
        for fd in (self._master, self._slave, self._wake_read, self._wake_write):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _run(self) -> None:
        while True:
            readable, _, _ = select.select([self._master, self._wake_read], [], [])
            if self._wake_read in readable:
                return
            try:
                data = os.read(self._master, 4096)
            except BlockingIOError:
                continue
            except OSError:
                return
            if data:
                self._on_data(data)


class InProcessLink:
    """A byte pipe to a modem inside this process, for ``sim://`` serial ports."""

    def __init__(self, on_data: Callable[[bytes], None]) -> None:
        self._on_data = on_data
        self._buffer = bytearray()
        self._condition = threading.Condition()
        self.closed = False

    def write(self, data: bytes) -> None:
        """Modem output: becomes readable by the host."""
        with self._condition:
            if not self.closed:
                self._buffer += data
                self._condition.notify_all()

    def close(self) -> None:
        with self._condition:
            self.closed = True
            self._condition.notify_all()

    def send(self, data: bytes) -> None:
        """Host output: goes to the modem."""
        if self.closed:
            raise ConnectionError("simulated modem unplugged")
        self._on_data(data)

    @property
    def waiting(self) -> int:
        with self._condition:
            return len(self._buffer)

    def receive(self, size: int, timeout: float | None) -> bytes:
        """Up to ``size`` bytes, waiting up to ``timeout`` seconds for them to arrive."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._condition:
            while len(self._buffer) < size and not self.closed:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    break
                self._condition.wait(remaining)
            if self.closed and not self._buffer:
                raise ConnectionError("simulated modem unplugged")
            data = bytes(self._buffer[:size])
            del self._buffer[:size]
            return data

    def discard(self) -> None:
        with self._condition:
            self._buffer.clear()
