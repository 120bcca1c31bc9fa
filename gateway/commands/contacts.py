"""``cellgate contacts import FILE.csv``: bring a contact list in from a spreadsheet.

Good rows are stored, bad rows are listed with their line and reason and change
nothing; the command fails (status 1) when any row was refused, so scripts notice.
"""

from __future__ import annotations

from pathlib import Path

import click

from gateway import contact_import
from gateway.commands.context import database, fail, load_config
from gateway.models import utcnow


@click.group()
def contacts() -> None:
    """Contacts: import from CSV."""


@contacts.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--time-zone",
    default="UTC",
    show_default=True,
    help="Zone of date/time fields written without one.",
)
@click.pass_context
def import_file(ctx: click.Context, file: Path, time_zone: str) -> None:
    """Import FILE.csv: a number column, names, tags, custom fields, consent_source."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        fail(f"{file}: not UTF-8 text; save the spreadsheet as CSV UTF-8")
    region = load_config(ctx).gateway.default_region
    with database(ctx) as session:
        result = contact_import.import_csv(session, text, region, utcnow(), zone=time_zone)
    for line, error in result.errors:
        click.echo(f"{file}:{line}: {error}", err=True)
    click.echo(f"{result.created} created, {result.updated} updated, {len(result.errors)} refused")
    if result.errors:
        ctx.exit(1)
