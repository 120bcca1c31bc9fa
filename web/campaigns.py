"""Campaigns, segments and custom fields in the web UI: thin forms over gateway.campaigns.

Everyone signed in can see campaigns and their live progress; creating, scheduling,
pausing, resuming, cancelling and test sends are for admins.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from gateway import contact_fields, contacts, segments
from gateway.campaigns import control, replies, store
from gateway.campaigns.stats import stats
from gateway.config import Config
from gateway.errors import ValidationError
from gateway.models import Campaign, CampaignRun, FieldType, ScheduleKind, User, utcnow
from gateway.queue.numbers import normalise_number
from web.auth import admin_required
from web.db import get_session

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")

RUNS_SHOWN = 20
CONTROLS = {
    "schedule": control.schedule,
    "pause": control.pause,
    "resume": control.resume,
    "cancel": control.cancel,
}


def _config() -> Config:
    config: Config = current_app.extensions["cellgate.config"]
    return config


def _names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _days(name: str) -> int | None:
    value = request.form.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise ValidationError(f"{name}: a number of days", field=name)
    return int(value)


def filter_from_form() -> segments.Filter:
    """The segment form as a filter; the same JSON the API and the database use."""
    form = request.form
    conditions = []
    for line in form.get("fields", "").splitlines():
        parts = line.split(None, 2)
        if parts:
            conditions.append(
                {
                    "name": parts[0],
                    "op": parts[1] if len(parts) > 1 else "",
                    "value": " ".join(parts[2:]),
                }
            )
    data: dict[str, Any] = {
        "tags_all": list(_names(form.get("tags_all", ""))),
        "tags_any": list(_names(form.get("tags_any", ""))),
        "tags_none": list(_names(form.get("tags_none", ""))),
        "consent": form.get("consent", "subscribed"),
        "fields": conditions,
        "active_within_days": _days("active_within_days"),
        "inactive_for_days": _days("inactive_for_days"),
    }
    if form.get("responded_campaign", "").strip():
        data["responded"] = {
            "campaign": form["responded_campaign"].strip(),
            "answers": list(_names(form.get("responded_answers", ""))),
        }
    return segments.Filter.from_json(data)


def _user_id(name: str) -> int:
    db = get_session()
    user = db.scalar(select(User).where(User.username == name.strip()))
    if user is None:
        if name.strip().isdigit():
            return int(name)
        raise ValidationError(f"no user named {name.strip()!r}", field="replies")
    return user.id


def _username(user_id: int) -> str:
    user = get_session().get(User, user_id)
    return user.username if user is not None else str(user_id)


def _local_time(raw: str, zone: str) -> datetime | None:
    if not raw.strip():
        return None
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=ZoneInfo(zone))
    except ValueError:
        raise ValidationError("send at: pick a date and time", field="send_at") from None


@bp.get("/")
def index() -> str:
    db = get_session()
    found = store.all_campaigns(db)
    return render_template("campaigns/index.html", campaigns=[(c, stats(db, c)) for c in found])


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def new() -> ResponseReturnValue:
    db = get_session()
    context: dict[str, Any] = {
        "segments": segments.all_segments(db),
        "fields": contact_fields.types(db),
        "form": request.form,
        "default_zone": _config().gateway.timezone,
    }
    if request.method == "GET":
        return render_template("campaigns/new.html", **context)
    form = request.form
    try:
        zone = form.get("time_zone", "").strip() or _config().gateway.timezone
        schedule = form.get("schedule", ScheduleKind.NOW)
        spec = store.CampaignSpec(
            name=form.get("name", ""),
            body=form.get("body", ""),
            segment_id=int(form["segment_id"]) if form.get("segment_id", "").isdigit() else None,
            schedule=schedule,
            send_at=_local_time(form.get("send_at", ""), zone) if schedule == "at" else None,
            cron=form.get("cron", "").strip() or None,
            time_zone=zone,
            relative_field=form.get("relative_field") or None,
            offset_minutes=int(form.get("offset_minutes") or 0),
            per_minute=int(form["per_minute"]) if form.get("per_minute", "").isdigit() else None,
            transliterate=form.get("transliterate") == "on",
        )
        options = replies.parse_lines(form.get("replies", ""), _user_id)
        campaign = store.create(db, spec, utcnow())
    except (ValidationError, ValueError) as exc:
        db.rollback()
        flash(str(exc), "error")
        return render_template("campaigns/new.html", **context), 422
    replies.set_options(db, campaign, options)
    db.commit()
    return redirect(url_for("campaigns.detail", campaign_id=campaign.id))


@bp.get("/<int:campaign_id>")
def detail(campaign_id: int) -> str:
    db = get_session()
    campaign = store.get(db, campaign_id)
    number = request.args.get("preview", "").strip()
    contact = None
    if number:
        try:
            contact = contacts.find(db, normalise_number(number, _config().gateway.default_region))
        except ValidationError:
            contact = None
    progress = _progress(db, campaign)
    return render_template(
        "campaigns/detail.html",
        **progress,
        preview=control.preview(db, campaign, contact),
        preview_number=number,
        preview_found=contact is not None,
        size=control.measure(db, campaign, utcnow()) if request.args.get("measure") else None,
        replies=replies.format_lines(replies.options(db, campaign), _username),
        actions=control.actions(campaign, waiting=progress["stats"].queued),
    )


def _progress(db: Session, campaign: Campaign) -> dict[str, Any]:
    runs = db.scalars(
        select(CampaignRun)
        .where(CampaignRun.campaign_id == campaign.id)
        .order_by(CampaignRun.id.desc())
        .limit(RUNS_SHOWN)
    ).all()
    counted = stats(db, campaign)
    return {
        "campaign": campaign,
        "stats": counted,
        "runs": runs,
        "phase": control.phase(campaign, waiting=counted.queued),
    }


@bp.get("/<int:campaign_id>/progress")
def progress(campaign_id: int) -> str:
    """The progress card alone, for the live refresh."""
    db = get_session()
    return render_template("campaigns/_progress.html", **_progress(db, store.get(db, campaign_id)))


@bp.post("/<int:campaign_id>/<any(schedule, pause, resume, cancel):action>")
@admin_required
def act(campaign_id: int, action: str) -> Response:
    try:
        CONTROLS[action](get_session(), campaign_id, utcnow())
    except ValidationError as exc:
        flash(str(exc), "error")
    return redirect(url_for("campaigns.detail", campaign_id=campaign_id))


@bp.post("/<int:campaign_id>/test")
@admin_required
def test_send(campaign_id: int) -> Response:
    try:
        message = control.test_send(
            get_session(),
            campaign_id,
            request.form.get("number", ""),
            region=_config().gateway.default_region,
            now=utcnow(),
        )
        flash(f"Test message {message.state} to {message.peer}.", "info")
    except ValidationError as exc:
        flash(str(exc), "error")
    return redirect(url_for("campaigns.detail", campaign_id=campaign_id))


@bp.get("/segments")
def segment_list() -> str:
    db = get_session()
    now = utcnow()
    found = [
        (segment, segments.count(db, segments.Filter.from_json(segment.definition), now))
        for segment in segments.all_segments(db)
    ]
    return render_template("campaigns/segments.html", segments=found)


@bp.route("/segments/new", methods=["GET", "POST"])
@admin_required
def segment_new() -> ResponseReturnValue:
    db = get_session()
    if request.method == "GET":
        return render_template("campaigns/segment_new.html", form=request.form)
    try:
        segments.save(db, request.form.get("name", ""), filter_from_form(), utcnow())
    except ValidationError as exc:
        db.rollback()
        flash(str(exc), "error")
        return render_template("campaigns/segment_new.html", form=request.form), 422
    return redirect(url_for("campaigns.segment_list"))


@bp.post("/segments/count")
def segment_count() -> tuple[dict[str, Any], int]:
    """The live count on the segment form."""
    try:
        return {"count": segments.count(get_session(), filter_from_form(), utcnow())}, 200
    except ValidationError as exc:
        return {"error": str(exc)}, 422


@bp.route("/fields", methods=["GET", "POST"])
@admin_required
def fields() -> ResponseReturnValue:
    db = get_session()
    if request.method == "POST":
        try:
            contact_fields.declare(db, request.form.get("name", ""), request.form.get("type", ""))
            db.commit()
        except ValidationError as exc:
            db.rollback()
            flash(str(exc), "error")
        return redirect(url_for("campaigns.fields"))
    return render_template(
        "campaigns/fields.html", fields=contact_fields.types(db), types=list(FieldType)
    )
