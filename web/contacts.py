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

from gateway import contact_directory, contact_fields, contact_import, contacts
from gateway.config import Config
from gateway.errors import ValidationError
from gateway.models import ConsentChannel, FieldType, utcnow
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
    types = contact_fields.types(db)
    return render_template(
        "contacts/detail.html",
        contact=contact,
        times={
            name: contact_fields.stored_datetime(value)
            for name, value in contact.fields.items()
            if types.get(name) is FieldType.DATETIME
        },
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


def _upload_text() -> str:
    """The uploaded file as text, or the CSV the preview posts back."""
    upload = request.files.get("file")
    if upload is None:
        return request.form.get("csv", "")
    data: bytes = upload.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        too_big = f"the file is larger than {MAX_IMPORT_BYTES // 2**20} MB"
        raise ValidationError(too_big, field="file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        not_utf8 = "not UTF-8 text: save the spreadsheet as CSV UTF-8"
        raise ValidationError(not_utf8, field="file") from None


@bp.route("/import", methods=["GET", "POST"])
def import_csv() -> ResponseReturnValue:
    """Upload shows a preview; confirming (the same text, posted back) imports it, as the
    API and ``cellgate contacts import`` do (typed fields, consent sources, per-row errors)."""
    config: Config = current_app.extensions["cellgate.config"]
    db = get_session()
    zone = request.form.get("time_zone", "").strip() or config.gateway.timezone
    region = config.gateway.default_region
    context = {"zone": zone, "region": region, "fields": contact_fields.types(db)}
    if request.method == "GET":
        return render_template("contacts/import.html", **context)
    try:
        text = _upload_text()
        if request.form.get("confirm") != "yes":
            rows = contact_import.check(db, text, region, zone=zone)
            return render_template("contacts/import.html", rows=rows, csv=text, **context)
        result = contact_import.import_csv(db, text, region, utcnow(), zone=zone)
    except ValidationError as exc:
        db.rollback()
        flash(exc.message, "error")
        return render_template("contacts/import.html", **context), 400
    flash(
        f"Imported: {result.created} new, {result.updated} updated, {len(result.errors)} skipped.",
        "info",
    )
    return redirect(url_for("contacts.index"))
