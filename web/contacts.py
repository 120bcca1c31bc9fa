"""Contacts: the list, one contact with its consent history, CSV import and export."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from gateway import contact_directory, contacts
from gateway.config import Config
from gateway.errors import ValidationError
from gateway.models import ConsentChannel, utcnow
from web.db import get_session

bp = Blueprint("contacts", __name__, url_prefix="/contacts")

MAX_IMPORT_BYTES = 5 * 1024 * 1024


@bp.get("/")
def index() -> str:
    query = request.args.get("q", "")
    page = request.args.get("page", "1")
    found = contact_directory.search(get_session(), query, page=int(page) if page.isdigit() else 1)
    return render_template("contacts/index.html", page=found, query=query)


@bp.get("/<int:contact_id>")
def detail(contact_id: int) -> str:
    db = get_session()
    contact = contacts.get(db, contact_id)
    return render_template(
        "contacts/detail.html",
        contact=contact,
        ledger=contacts.ledger(db, contact),
        conversation_id=contact_directory.conversation_id(db, contact),
    )


@bp.post("/<int:contact_id>/tags")
def tags(contact_id: int) -> Response:
    db = get_session()
    contact = contacts.get(db, contact_id)
    contact.tags = contact_directory.parse_tags(request.form.get("tags", ""))
    db.commit()
    return redirect(url_for("contacts.detail", contact_id=contact_id))


@bp.post("/<int:contact_id>/opt-out")
def opt_out(contact_id: int) -> Response:
    db = get_session()
    contact = contacts.get(db, contact_id)
    contacts.opt_out(
        db,
        contact,
        ConsentChannel.UI,
        utcnow(),
        user_id=g.user.id,
        detail=request.form.get("reason", "")[:500],
    )
    db.commit()
    flash(f"{contact.display_name} will not be texted again.", "info")
    return redirect(url_for("contacts.detail", contact_id=contact_id))


@bp.get("/export.csv")
def export() -> Response:
    return Response(
        contact_directory.export_csv(get_session()),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=contacts.csv"},
    )


@bp.route("/import", methods=["GET", "POST"])
def import_csv() -> ResponseReturnValue:
    """Upload shows a preview; confirming (the same text, posted back) imports it."""
    if request.method == "GET":
        return render_template("contacts/import.html")
    config: Config = current_app.extensions["cellgate.config"]
    upload = request.files.get("file")
    text = (
        upload.read(MAX_IMPORT_BYTES).decode("utf-8-sig", errors="replace")
        if upload
        else request.form.get("csv", "")
    )
    db = get_session()
    try:
        rows = contact_directory.parse_csv(text, config.gateway.default_region)
    except ValidationError as exc:
        flash(exc.message, "error")
        return render_template("contacts/import.html"), 400
    if request.form.get("confirm") != "yes":
        return render_template("contacts/import.html", rows=rows, csv=text)
    created, updated = contact_directory.import_rows(db, rows, utcnow())
    skipped = sum(row.error is not None for row in rows)
    flash(f"Imported: {created} new, {updated} updated, {skipped} skipped.", "info")
    return redirect(url_for("contacts.index"))
