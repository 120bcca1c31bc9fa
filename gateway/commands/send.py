"""``cellgate send TO TEXT``: queue one message, and with ``--wait`` see how it ends.

The message goes into the database queue like any other; a running ``cellgate run``
sends it. ``--wait`` follows the row until it is settled.
"""

from __future__ import annotations

import sys
import time

import click

from gateway.commands.context import fail, load_config, open_database, require_current_schema
from gateway.errors import GatewayError
from gateway.models import Message, utcnow
from gateway.queue import enqueue
from gateway.sessions import gated_sessions
from gateway.states import SETTLED, MessageState

POLL_SECONDS = 0.2
SUCCESS = {MessageState.SENT, MessageState.DELIVERED}


@click.command()
@click.argument("to")
@click.argument("text")
@click.option("--wait", is_flag=True, help="Wait until the message is sent or has failed.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=120.0,
    show_default=True,
    help="Seconds --wait waits.",
)
@click.option(
    "--until-delivered",
    is_flag=True,
    help="With --wait: wait for the delivery report, not only the network's acceptance.",
)
@click.pass_context
def send(
    ctx: click.Context, to: str, text: str, wait: bool, timeout: float, until_delivered: bool
) -> None:
    """Queue TEXT for TO (a number; without country code it is in gateway.default_region)."""

    config = load_config(ctx)
    engine = open_database(config)
    require_current_schema(engine)
    sessions = gated_sessions(config, engine)
    with sessions() as session:
        try:
            message = enqueue(session, to, text, region=config.gateway.default_region, now=utcnow())
        except GatewayError as exc:
            fail(str(exc))
        plural = "" if message.segments == 1 else "s"
        click.echo(
            f"message {message.id} to {message.peer}: {message.state} "
            f"({message.segments} part{plural}, {message.encoding})"
        )
    if not wait:
        return
    done = {MessageState.DELIVERED, MessageState.FAILED} if until_delivered else SETTLED
    deadline = time.monotonic() + timeout
    while True:
        with sessions() as session:
            found = session.get_one(Message, message.id)
        if found.state in done or time.monotonic() >= deadline:
            break
        time.sleep(POLL_SECONDS)
    detail = f": {found.last_error}" if found.last_error and found.state not in SUCCESS else ""
    click.echo(f"message {found.id}: {found.state}{detail}")
    if found.state not in SUCCESS:
        sys.exit(1)
