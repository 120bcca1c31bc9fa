"""``cellgate apikey create|list|revoke``: keys for the REST API.

The key is printed once, at creation; only its digest is stored, so a lost key is
revoked and replaced, never recovered.
"""

from __future__ import annotations

import click

from gateway.apikeys import Scope, create_key, list_keys, revoke
from gateway.commands.context import database
from gateway.models import utcnow


@click.group()
def apikey() -> None:
    """Keys for the REST API (Authorization: Bearer KEY)."""


@apikey.command("create")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice([scope.value for scope in Scope]),
    help="What the key may do; repeat for several (send, read, admin).",
)
@click.pass_context
def create(ctx: click.Context, name: str, scopes: tuple[str, ...]) -> None:
    """Create a key called NAME and print it; it is shown this once only."""
    with database(ctx) as session:
        key, plain = create_key(session, name, scopes, now=utcnow())
        click.echo(
            f"API key {key.id} {key.name!r} ({key.scopes}); store it now, it is not shown again:"
        )
        click.echo(plain)


@apikey.command("list")
@click.pass_context
def list_(ctx: click.Context) -> None:
    """List keys: id, prefix, name, scopes, last use, revocation."""
    with database(ctx) as session:
        for key in list_keys(session):
            used = key.last_used_at.isoformat(timespec="seconds") if key.last_used_at else "never"
            status = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
            click.echo(
                f"{key.id}\tcg_{key.prefix}_…\t{key.name}\t{key.scopes}\tused {used}\t{status}"
            )


@apikey.command("revoke")
@click.argument("key_id", type=int)
@click.pass_context
def revoke_(ctx: click.Context, key_id: int) -> None:
    """Stop key KEY_ID working, at once."""
    with database(ctx) as session:
        key = revoke(session, key_id, now=utcnow())
        click.echo(f"API key {key.id} {key.name!r} revoked")
