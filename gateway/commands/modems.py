"""``cellgate modems``: what each configured modem says about itself, right now.

It opens each port itself. A port the running gateway holds is locked (the driver
opens ports exclusively), so for those it shows what that gateway last recorded.
"""

from __future__ import annotations

import click
from sqlalchemy.orm import Session

from drivers.errors import ModemError, PortBusy
from drivers.modem import Modem
from gateway.commands.context import load_config, open_database
from gateway.config import ModemSection
from gateway.models import ModemRecord

PROBE_TIMEOUT = 5.0


def describe(section: ModemSection) -> list[str]:
    """Query one modem; raises ModemError when it cannot be reached."""
    with Modem(
        section.port,
        pin=section.pin or None,
        baudrate=section.baudrate,
        name=section.name,
        command_timeout=PROBE_TIMEOUT,
    ) as modem:
        identity = modem.identity()
        signal = modem.signal()
        registration = modem.registration()
        storage = modem.storage()
    dbm = f"{signal.dbm} dBm" if signal.dbm is not None else "unknown"
    network = "registered" if registration.registered else f"not registered ({registration.status})"
    if registration.roaming:
        network += ", roaming"
    return [
        f"  modem     {identity.manufacturer or '?'} {identity.model or '?'}"
        f" (revision {identity.revision or '?'}, profile {modem.profile.name})",
        f"  IMEI      {identity.imei or '?'}",
        f"  SIM       IMSI {identity.imsi or '?'}, ICCID {identity.iccid or '?'}, "
        f"number {identity.number or 'unknown'}",
        f"  signal    {dbm}, {signal.bars}/5 bars",
        f"  network   {network}, operator {registration.operator or 'unknown'}"
        + (f" ({registration.technology})" if registration.technology else ""),
        f"  storage   {storage.name or 'SIM'} {storage.used}/{storage.total} messages",
        f"  error     {modem.last_error or 'none'}",
    ]


def recorded(session: Session, name: str) -> list[str]:
    record = session.get(ModemRecord, name)
    if record is None:
        return ["  no record from a running gateway"]
    return [
        f"  recorded  by node {record.node}, last seen {record.last_seen_at or 'never'}",
        f"  IMEI      {record.imei or '?'}, ICCID {record.iccid or '?'}, "
        f"number {record.number or 'unknown'}",
        f"  error     {record.last_error or 'none'}",
    ]


@click.command()
@click.pass_context
def modems(ctx: click.Context) -> None:
    """Identity, signal, operator, registration, storage and last error of each modem."""
    config = load_config(ctx)
    if not config.modems:
        click.echo("no modems configured: add [[modems]] tables to the configuration")
        return
    unreachable = 0
    for section in config.modems:
        click.echo(f"{section.name}  {section.port}")
        try:
            lines = describe(section)
        except PortBusy:
            lines = ["  in use by another process, e.g. a running gateway (port locked)"]
            with Session(open_database(config)) as session:
                lines += recorded(session, section.name)
        except ModemError as exc:
            unreachable += 1
            lines = [f"  unreachable: {exc}"]
        click.echo("\n".join(lines))
    if unreachable:
        ctx.exit(1)
