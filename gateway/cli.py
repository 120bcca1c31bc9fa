"""The ``cellgate`` command line (DESIGN.md section 4).

Every command that needs the configuration loads it through :func:`load_config`, so a
bad file always stops the command with one line: ``cellgate: FILE: key: reason``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import click

from gateway import __version__, migrate
from gateway.backup import backup_sqlite
from gateway.commands.apikey import apikey
from gateway.commands.contacts import contacts
from gateway.commands.context import fail, load_config, open_database, require_current_schema
from gateway.commands.modems import modems
from gateway.commands.send import send
from gateway.commands.simulate import simulate
from gateway.commands.webhook import webhook
from gateway.config import ENV_VAR
from gateway.db import make_session_factory
from gateway.demo import run_demo
from gateway.errors import GatewayError
from gateway.models import Role
from gateway.runtime import run_gateway
from gateway.users import count_admins, create_user

log = logging.getLogger("cellgate")


@click.group()
@click.version_option(__version__, prog_name="cellgate")
@click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help=f"Configuration file (TOML). Default: ${ENV_VAR}, else built-in defaults.",
)
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    """Cellgate: a self-hosted SMS gateway for USB GSM modems."""
    ctx.obj = {"config_path": config_path}


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Create the database or bring it to the current schema."""
    config = load_config(ctx)
    engine = open_database(config)
    migrate.upgrade(engine)
    click.echo(f"database at revision {migrate.current_revision(engine)}")


def _prompt_password() -> str:
    password: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@main.command()
@click.option(
    "--admin",
    "admin_name",
    default="admin",
    show_default=True,
    help="Username of the first admin, if there is none yet.",
)
@click.pass_context
def init(ctx: click.Context, admin_name: str) -> None:
    """Create or upgrade the database and create the first admin."""
    config = load_config(ctx)
    engine = open_database(config)
    migrate.upgrade(engine)
    click.echo(f"database ready at revision {migrate.current_revision(engine)}")
    with make_session_factory(engine).begin() as session:
        if count_admins(session):
            click.echo("an admin exists already; add more people with `cellgate user add`")
            return
        click.echo(f"Create the first admin, {admin_name!r}.")
        try:
            create_user(session, admin_name, _prompt_password(), role=Role.ADMIN)
        except GatewayError as exc:
            fail(str(exc))
    click.echo(f"admin {admin_name!r} created")


@main.group()
def user() -> None:
    """People who use the web UI."""


@user.command("add")
@click.argument("username")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.AGENT.value,
    show_default=True,
)
@click.option("--name", "display_name", default="", help="Name shown in the UI.")
@click.pass_context
def user_add(ctx: click.Context, username: str, role: str, display_name: str) -> None:
    """Add a user; the password is asked for (or read from standard input)."""
    config = load_config(ctx)
    engine = open_database(config)
    require_current_schema(engine)
    with make_session_factory(engine).begin() as session:
        try:
            create_user(
                session, username, _prompt_password(), role=Role(role), display_name=display_name
            )
        except GatewayError as exc:
            fail(str(exc))
    click.echo(f"{role} {username!r} created")


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.pass_context
def backup(ctx: click.Context, path: Path) -> None:
    """Write a consistent copy of the SQLite database to PATH (a file or a folder)."""
    config = load_config(ctx)
    try:
        written = backup_sqlite(config.database_url, path)
    except GatewayError as exc:
        fail(str(exc))
    click.echo(f"backup written to {written}")


@main.command()
@click.pass_context
def run(ctx: click.Context) -> None:
    """Run the gateway: modems, queue, scheduler and the web UI."""
    config = load_config(ctx)
    engine = open_database(config)
    require_current_schema(engine)
    with make_session_factory(engine)() as session:
        if not count_admins(session):
            log.warning(
                "no admin exists yet: create one with `cellgate user add NAME --role admin`"
            )
    try:
        run_gateway(config, engine, on_ready=lambda url: click.echo(f"Cellgate is serving {url}"))
    except GatewayError as exc:
        fail(str(exc))


@main.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("cellgate-demo"),
    show_default=True,
    help="Where the demo keeps its data.",
)
@click.option("--port", type=int, default=8080, show_default=True, help="Web UI port.")
@click.pass_context
def demo(ctx: click.Context, directory: Path, port: int) -> None:
    """Zero-config demo: simulated modems, sample data, the web UI and a printed login."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        run_demo(directory, port=port, echo=click.echo)
    except GatewayError as exc:
        fail(str(exc))


main.add_command(send)
main.add_command(apikey)
main.add_command(webhook)
main.add_command(simulate)
main.add_command(modems)
main.add_command(contacts)
