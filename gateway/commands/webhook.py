"""``cellgate webhook add|list|remove|test|log``: where events are posted, and checking it."""

from __future__ import annotations

import click

from gateway.commands.context import database, fail, load_config
from gateway.models import utcnow
from gateway.webhooks import EVENT_TYPES
from gateway.webhooks.endpoints import (
    add_endpoint,
    list_endpoints,
    recent_attempts,
    remove_endpoint,
    send_test_event,
)


@click.group()
def webhook() -> None:
    """Webhook endpoints: events POSTed as signed JSON."""


@webhook.command("add")
@click.argument("url")
@click.option(
    "--event",
    "events",
    multiple=True,
    type=click.Choice(sorted(event.value for event in EVENT_TYPES)),
    help="An event to send; repeat for several. Default: all of them.",
)
@click.pass_context
def add(ctx: click.Context, url: str, events: tuple[str, ...]) -> None:
    """Post events to URL; prints the signing secret, shown this once only."""
    with database(ctx) as session:
        endpoint = add_endpoint(session, url, events, now=utcnow())
        click.echo(f"webhook {endpoint.id} -> {endpoint.url} ({endpoint.events})")
        click.echo(f"signing secret (store it now, it is not shown again): {endpoint.secret}")


@webhook.command("list")
@click.pass_context
def list_(ctx: click.Context) -> None:
    """List endpoints: id, URL, events, active."""
    with database(ctx) as session:
        for endpoint in list_endpoints(session):
            state = "active" if endpoint.active else "paused"
            click.echo(f"{endpoint.id}\t{endpoint.url}\t{endpoint.events}\t{state}")


@webhook.command("remove")
@click.argument("endpoint_id", type=int)
@click.pass_context
def remove(ctx: click.Context, endpoint_id: int) -> None:
    """Delete endpoint ENDPOINT_ID and its pending deliveries."""
    with database(ctx) as session:
        remove_endpoint(session, endpoint_id)
        click.echo(f"webhook {endpoint_id} removed")


@webhook.command("test")
@click.argument("endpoint_id", type=int)
@click.pass_context
def test(ctx: click.Context, endpoint_id: int) -> None:
    """Send a webhook.test event to ENDPOINT_ID now and show the answer."""

    settings = load_config(ctx).webhooks
    with database(ctx) as session:
        outcome = send_test_event(session, endpoint_id, settings, now=utcnow())
    answer = f"HTTP {outcome.status}" if outcome.status is not None else outcome.error
    click.echo(f"webhook {endpoint_id}: {answer} in {outcome.duration_ms} ms")
    if not outcome.ok:
        fail("the receiver did not accept the test event; it will be retried")


@webhook.command("log")
@click.argument("endpoint_id", type=int)
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.pass_context
def log(ctx: click.Context, endpoint_id: int, limit: int) -> None:
    """The latest delivery attempts to ENDPOINT_ID, newest first."""
    with database(ctx) as session:
        for delivery, attempt in recent_attempts(session, endpoint_id, limit):
            answer = str(attempt.status_code) if attempt.status_code is not None else attempt.error
            click.echo(
                f"{attempt.attempted_at.isoformat(timespec='seconds')}\t{delivery.event_type}\t"
                f"{answer}\t{attempt.duration_ms} ms\t{delivery.state}"
            )
