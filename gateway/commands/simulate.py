"""``cellgate simulate``: simulated modems on ptys, to try Cellgate without hardware.

Prints one JSON line per modem (``{"id", "device", "number", "imei", "vendor"}``) so
scripts can pick the device paths up, then serves until SIGINT or SIGTERM.
"""

from __future__ import annotations

import json
import signal
import threading
from types import FrameType

import click

from drivers.sim import VENDORS, Simulator


def _address(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not port.isdigit() or int(port) > 65535:
        raise click.BadParameter(f"expected HOST:PORT, got {value!r}")
    return host or "127.0.0.1", int(port)


def _control_option(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> tuple[str, int] | None:
    return None if value is None else _address(value)


@click.command("simulate")
@click.option("--modems", type=click.IntRange(1, 64), default=2, show_default=True)
@click.option(
    "--latency",
    type=click.FloatRange(min=0),
    default=3.0,
    show_default=True,
    help="Seconds per sent part, as on real hardware; 0 for instant sends.",
)
@click.option(
    "--vendor",
    default="generic",
    show_default=True,
    help=f"Personality, or a comma-separated list, one per modem: {', '.join(VENDORS)}.",
)
@click.option(
    "--control",
    metavar="HOST:PORT",
    callback=_control_option,
    help="Serve the HTTP control API here (e.g. 127.0.0.1:8025).",
)
@click.option("--delivered-ratio", type=click.FloatRange(0, 1), default=1.0, show_default=True)
@click.option("--status-report-delay", type=click.FloatRange(min=0), default=None)
@click.option("--seed", type=int, default=None, help="Make jitter and failures repeatable.")
def simulate(
    modems: int,
    latency: float,
    vendor: str,
    control: tuple[str, int] | None,
    delivered_ratio: float,
    status_report_delay: float | None,
    seed: int | None,
) -> None:
    """Start simulated modems that speak real AT commands over pseudo-terminals."""
    vendors = [name.strip() for name in vendor.split(",")]
    if len(vendors) == 1:
        vendors *= modems
    try:
        sim = Simulator(
            modems=modems,
            vendor=vendors,
            latency=latency,
            status_report_delay=status_report_delay,
            delivered_ratio=delivered_ratio,
            seed=seed,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with sim:
            for modem in sim.modems:
                click.echo(json.dumps(modem.describe()))
            if control is not None:
                host, port = sim.serve_control(*control)
                click.echo(f"control API on http://{host}:{port}", err=True)
            stop.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
