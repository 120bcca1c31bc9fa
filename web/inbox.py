"""The shared inbox: the conversation list, a thread, and everything done from it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
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

from gateway import conversations, inbox, reply_templates
from gateway.config import Config
from gateway.conversations import ConversationClaimed
from gateway.errors import NotFound, ValidationError
from gateway.models import Conversation, utcnow
from web.db import get_session

bp = Blueprint("inbox", __name__, url_prefix="/inbox")


def _filters() -> inbox.Filters:
    try:
        return inbox.Filters.parse(
            request.args.get("scope", ""), request.args.get("status", ""), request.args.get("q", "")
        )
    except ValidationError:
        abort(400)


def _page() -> inbox.Page:
    page = request.args.get("page", "1")
    return inbox.conversations(
        get_session(),
        _filters(),
        user_id=g.user.id,
        page=int(page) if page.isdigit() else 1,
    )


@bp.get("/")
def index() -> str:
    return render_template("inbox/index.html", page=_page(), filters=_filters())


@bp.get("/rows")
def rows() -> str:
    """The list alone, for the live refresh."""
    return render_template("inbox/_rows.html", page=_page(), filters=_filters())


def _conversation(conversation_id: int) -> Conversation:
    return conversations.get(get_session(), conversation_id)


@bp.get("/<int:conversation_id>")
def thread(conversation_id: int) -> str:
    db = get_session()
    conversation = _conversation(conversation_id)
    contact = conversations.contact_of(db, conversation)
    if conversation.unread:
        conversations.mark_read(conversation)
        db.commit()
    draft = request.args.get("draft", "")
    template_id = request.args.get("template", "")
    if template_id.isdigit():
        try:
            draft = reply_templates.render(reply_templates.get(db, int(template_id)).body, contact)
        except (NotFound, ValidationError) as exc:
            flash(str(exc), "error")
    return render_template(
        "inbox/thread.html",
        conversation=conversation,
        contact=contact,
        messages=conversations.thread(db, conversation),
        notes=conversations.notes(db, conversation),
        agents=inbox.agents(db),
        templates=reply_templates.all_templates(db),
        draft=draft,
    )


@bp.get("/<int:conversation_id>/messages")
def messages(conversation_id: int) -> str:
    """The thread alone, for the live refresh."""
    db = get_session()
    conversation = _conversation(conversation_id)
    return render_template("inbox/_messages.html", messages=conversations.thread(db, conversation))


def _back(conversation_id: int) -> Response:
    return redirect(url_for("inbox.thread", conversation_id=conversation_id))


def _local_time(value: str, zone: str) -> datetime | None:
    """A ``datetime-local`` field, read in the business time zone; empty means now."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError("send later: not a date and time", field="send_at") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return moment


@bp.post("/<int:conversation_id>/reply")
def reply(conversation_id: int) -> ResponseReturnValue:
    db = get_session()
    conversation = _conversation(conversation_id)
    config: Config = current_app.extensions["cellgate.config"]
    body = request.form.get("body", "")
    try:
        send_at = _local_time(request.form.get("send_at", ""), config.gateway.timezone)
        conversations.reply(
            db,
            conversation,
            body,
            user_id=g.user.id,
            region=config.gateway.default_region,
            now=utcnow(),
            send_at=send_at,
        )
    except (ValidationError, ConversationClaimed) as exc:
        db.rollback()
        flash(str(exc), "error")
        return redirect(url_for("inbox.thread", conversation_id=conversation_id, draft=body))
    return _back(conversation_id)


@bp.post("/<int:conversation_id>/assign")
def assign(conversation_id: int) -> Response:
    db = get_session()
    conversation = _conversation(conversation_id)
    chosen = request.form.get("assignee", "")
    try:
        conversations.assign(db, conversation, int(chosen) if chosen.isdigit() else None)
    except ValidationError as exc:
        db.rollback()
        flash(str(exc), "error")
    else:
        db.commit()
    return _back(conversation_id)


@bp.post("/<int:conversation_id>/close")
def close(conversation_id: int) -> Response:
    inbox.close(get_session(), _conversation(conversation_id), g.user.id, utcnow())
    flash("Conversation closed.", "info")
    return _back(conversation_id)


@bp.post("/<int:conversation_id>/reopen")
def reopen(conversation_id: int) -> Response:
    inbox.reopen(get_session(), _conversation(conversation_id))
    return _back(conversation_id)


@bp.post("/<int:conversation_id>/notes")
def add_note(conversation_id: int) -> Response:
    db = get_session()
    try:
        conversations.add_note(
            db, _conversation(conversation_id), g.user.id, request.form.get("body", ""), utcnow()
        )
    except ValidationError as exc:
        db.rollback()
        flash(str(exc), "error")
    else:
        db.commit()
    return _back(conversation_id)
