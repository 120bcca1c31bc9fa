"""``/campaigns`` and ``/contacts/import``: mass texting through the API.

The routes add their operations to the OpenAPI document here, beside the code they
describe; the document test compares the two both ways.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app, url_for

from gateway import contact_import
from gateway.apikeys import Scope
from gateway.campaigns import control, replies, store
from gateway.campaigns.stats import stats
from gateway.config import Config
from gateway.errors import NotFound, ValidationError
from gateway.models import Campaign, CampaignStatus, ScheduleKind, utcnow
from web.api import body
from web.api.blueprint import bp
from web.api.idempotency import idempotent
from web.api.keys import require
from web.api.messages import MAX_ID
from web.api.openapi import DOCUMENT, JSON, NULLABLE_TIME, SCHEMAS, TIME, errors, nullable, ok, ref
from web.db import get_session

CAMPAIGN_FIELDS = frozenset(
    {
        "name",
        "body",
        "segment_id",
        "schedule",
        "send_at",
        "cron",
        "time_zone",
        "relative_field",
        "offset_minutes",
        "per_minute",
        "transliterate",
        "replies",
        "start",
    }
)
MAX_BODY = 1600
MAX_CSV = 5 * 1024 * 1024


def _config() -> Config:
    config: Config = current_app.extensions["cellgate.config"]
    return config


def campaign_payload(campaign: Campaign) -> dict[str, Any]:
    def when(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "id": campaign.id,
        "name": campaign.name,
        "body": campaign.body,
        "segment_id": campaign.segment_id,
        "status": campaign.status,
        "schedule": campaign.schedule,
        "send_at": when(campaign.send_at),
        "cron": campaign.cron,
        "time_zone": campaign.time_zone,
        "relative_field": campaign.relative_field,
        "offset_minutes": campaign.offset_minutes,
        "per_minute": campaign.per_minute,
        "transliterate": campaign.transliterate,
        "next_run_at": when(campaign.next_run_at),
        "created_at": when(campaign.created_at),
    }


def _flag(data: dict[str, Any], name: str) -> bool:
    value = data.get(name, False)
    if not isinstance(value, bool):
        raise ValidationError(f"{name}: expected true or false", field=name)
    return value


def _campaign(campaign_id: int) -> Campaign:
    if campaign_id > MAX_ID:
        raise NotFound(f"no campaign {campaign_id}")
    return store.get(get_session(), campaign_id)


@bp.get("/campaigns")
@require(Scope.READ)
def list_campaigns() -> dict[str, Any]:
    return {"data": [campaign_payload(c) for c in store.all_campaigns(get_session())]}


@bp.post("/campaigns")
@require(Scope.SEND)
@idempotent
def create_campaign() -> tuple[dict[str, Any], int, dict[str, str]]:
    data = body.json_object(CAMPAIGN_FIELDS)
    raw_replies = data.get("replies", [])
    if not isinstance(raw_replies, list) or not all(isinstance(r, dict) for r in raw_replies):
        raise ValidationError("replies: expected a list of objects", field="replies")
    spec = store.CampaignSpec(
        name=body.required_text(data, "name", max_length=64),
        body=body.required_text(data, "body", max_length=MAX_BODY),
        segment_id=body.integer(data, "segment_id", low=0, high=MAX_ID),
        schedule=body.text(data, "schedule", max_length=16) or ScheduleKind.NOW,
        send_at=body.timestamp(body.text(data, "send_at", max_length=64), "send_at"),
        cron=body.text(data, "cron", max_length=128),
        time_zone=body.text(data, "time_zone", max_length=64) or "UTC",
        relative_field=body.text(data, "relative_field", max_length=64),
        offset_minutes=body.integer(
            data, "offset_minutes", low=-store.MAX_OFFSET_MINUTES, high=store.MAX_OFFSET_MINUTES
        )
        or 0,
        per_minute=body.integer(data, "per_minute", low=1, high=store.MAX_PER_MINUTE),
        transliterate=_flag(data, "transliterate"),
    )
    options = replies.parse_options(raw_replies)
    start = _flag(data, "start")
    session = get_session()
    now = utcnow()
    campaign = store.create(session, spec, now)
    replies.set_options(session, campaign, options)
    session.commit()
    if start:
        control.schedule(session, campaign.id, now)
    location = url_for("api.campaign_stats", campaign_id=campaign.id)
    return campaign_payload(campaign), 201, {"Location": location}


def _answer(campaign_id: int) -> dict[str, Any]:
    session = get_session()
    session.expire_all()
    return campaign_payload(_campaign(campaign_id))


@bp.post("/campaigns/<int:campaign_id>/schedule")
@require(Scope.SEND)
def schedule_campaign(campaign_id: int) -> dict[str, Any]:
    control.schedule(get_session(), _campaign(campaign_id).id, utcnow())
    return _answer(campaign_id)


@bp.post("/campaigns/<int:campaign_id>/pause")
@require(Scope.SEND)
def pause_campaign(campaign_id: int) -> dict[str, Any]:
    control.pause(get_session(), _campaign(campaign_id).id, utcnow())
    return _answer(campaign_id)


@bp.post("/campaigns/<int:campaign_id>/resume")
@require(Scope.SEND)
def resume_campaign(campaign_id: int) -> dict[str, Any]:
    control.resume(get_session(), _campaign(campaign_id).id, utcnow())
    return _answer(campaign_id)


@bp.post("/campaigns/<int:campaign_id>/cancel")
@require(Scope.SEND)
def cancel_campaign(campaign_id: int) -> dict[str, Any]:
    control.cancel(get_session(), _campaign(campaign_id).id, utcnow())
    return _answer(campaign_id)


@bp.get("/campaigns/<int:campaign_id>/stats")
@require(Scope.READ)
def campaign_stats(campaign_id: int) -> dict[str, Any]:
    return stats(get_session(), _campaign(campaign_id)).as_json()


IMPORT_FIELDS = frozenset({"csv", "time_zone"})


@bp.post("/contacts/import")
@require(Scope.SEND)
def import_contacts() -> dict[str, Any]:
    data = body.json_object(IMPORT_FIELDS)
    text = body.required_text(data, "csv", max_length=MAX_CSV)
    zone = body.text(data, "time_zone", max_length=64) or "UTC"
    result = contact_import.import_csv(
        get_session(), text, _config().gateway.default_region, utcnow(), zone=zone
    )
    return {
        "created": result.created,
        "updated": result.updated,
        "errors": [{"line": line, "error": error} for line, error in result.errors],
    }


def _campaign_id() -> dict[str, Any]:
    return {
        "name": "campaign_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID},
    }


_CAMPAIGN_STATUSES = [s.value for s in CampaignStatus]
_SCHEDULES = [s.value for s in ScheduleKind]

SCHEMAS.update(
    {
        "NewCampaign": {
            "type": "object",
            "required": ["name", "body"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 64},
                "body": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": MAX_BODY,
                    "description": "Jinja2 (sandboxed); `{{first_name|there}}` falls back to "
                    "'there' when the first name is empty.",
                },
                "segment_id": {"type": "integer", "minimum": 0, "maximum": MAX_ID},
                "schedule": {"enum": _SCHEDULES},
                "send_at": TIME,
                "cron": {"type": "string", "maxLength": 128, "examples": ["0 9 * * 1"]},
                "time_zone": {"type": "string", "maxLength": 64},
                "relative_field": {"type": "string", "maxLength": 64},
                "offset_minutes": {
                    "type": "integer",
                    "minimum": -store.MAX_OFFSET_MINUTES,
                    "maximum": store.MAX_OFFSET_MINUTES,
                    "description": "From the contact's relative_field; -1440 is 24 h before.",
                },
                "per_minute": {"type": "integer", "minimum": 1, "maximum": store.MAX_PER_MINUTE},
                "transliterate": {"type": "boolean"},
                "replies": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "keywords": {"type": ["array", "string"]},
                            "actions": {"type": "array", "items": {"type": "object"}},
                        },
                    },
                },
                "start": {"type": "boolean", "description": "Schedule it at once."},
            },
        },
        "Campaign": {
            "type": "object",
            "required": ["id", "name", "status", "schedule"],
            "properties": {
                "id": {"type": "integer"},
                "name": {"type": "string"},
                "body": {"type": "string"},
                "segment_id": nullable("integer"),
                "status": {"enum": _CAMPAIGN_STATUSES},
                "schedule": {"enum": _SCHEDULES},
                "send_at": NULLABLE_TIME,
                "cron": nullable("string"),
                "time_zone": {"type": "string"},
                "relative_field": nullable("string"),
                "offset_minutes": {"type": "integer"},
                "per_minute": nullable("integer"),
                "transliterate": {"type": "boolean"},
                "next_run_at": NULLABLE_TIME,
                "created_at": NULLABLE_TIME,
            },
        },
        "CampaignList": {
            "type": "object",
            "required": ["data"],
            "properties": {"data": {"type": "array", "items": ref("Campaign")}},
        },
        "CampaignStats": {
            "type": "object",
            "required": ["total", "queued", "sent", "delivered", "failed", "suppressed"],
            "properties": {
                name: {"type": "integer", "minimum": 0}
                for name in (
                    "total",
                    "queued",
                    "sent",
                    "delivered",
                    "failed",
                    "suppressed",
                    "cancelled",
                    "replies",
                    "opt_outs",
                    "done",
                )
            }
            | {
                "response_rate": {"type": "number", "minimum": 0},
                "progress": {"type": "number", "minimum": 0, "maximum": 1},
            },
        },
        "ContactImport": {
            "type": "object",
            "required": ["csv"],
            "additionalProperties": False,
            "properties": {
                "csv": {
                    "type": "string",
                    "description": "CSV with a header row: number, first_name, last_name, tags, "
                    "consent_source and custom fields.",
                },
                "time_zone": {"type": "string", "maxLength": 64},
            },
        },
        "ContactImportResult": {
            "type": "object",
            "required": ["created", "updated", "errors"],
            "properties": {
                "created": {"type": "integer"},
                "updated": {"type": "integer"},
                "errors": {"type": "array", "items": {"type": "object"}},
            },
        },
    }
)

_IDEMPOTENCY = DOCUMENT["paths"]["/messages"]["post"]["parameters"][0]


def _campaign_action(summary: str, operation: str) -> dict[str, Any]:
    return {
        "post": {
            "operationId": operation,
            "summary": f"{summary} (scope: send).",
            "parameters": [_campaign_id()],
            "responses": {**ok("The campaign.", "Campaign"), **errors(404, 422)},
        }
    }


DOCUMENT["paths"].update(
    {
        "/campaigns": {
            "get": {
                "operationId": "listCampaigns",
                "summary": "Every campaign, newest first (scope: read).",
                "responses": {**ok("The campaigns.", "CampaignList"), **errors()},
            },
            "post": {
                "operationId": "createCampaign",
                "summary": "Create a campaign, optionally scheduled at once (scope: send).",
                "parameters": [_IDEMPOTENCY],
                "requestBody": {
                    "required": True,
                    "content": {JSON: {"schema": ref("NewCampaign")}},
                },
                "responses": {
                    **ok("Created.", "Campaign", "201", Location={"schema": {"type": "string"}}),
                    **errors(400, 404, 409, 413, 415, 422),
                },
            },
        },
        "/campaigns/{campaign_id}/schedule": _campaign_action(
            "Start a draft's schedule", "scheduleCampaign"
        ),
        "/campaigns/{campaign_id}/pause": _campaign_action(
            "Hold the schedule and withdraw waiting messages", "pauseCampaign"
        ),
        "/campaigns/{campaign_id}/resume": _campaign_action(
            "Queue withdrawn messages again and restart the schedule", "resumeCampaign"
        ),
        "/campaigns/{campaign_id}/cancel": _campaign_action(
            "Stop for good, withdrawing waiting messages", "cancelCampaign"
        ),
        "/campaigns/{campaign_id}/stats": {
            "get": {
                "operationId": "getCampaignStats",
                "summary": "Progress and outcomes (scope: read).",
                "parameters": [_campaign_id()],
                "responses": {**ok("The numbers.", "CampaignStats"), **errors(404)},
            }
        },
        "/contacts/import": {
            "post": {
                "operationId": "importContacts",
                "summary": "Create or update contacts from CSV (scope: send).",
                "requestBody": {
                    "required": True,
                    "content": {JSON: {"schema": ref("ContactImport")}},
                },
                "responses": {
                    **ok("What was imported, and each refused row.", "ContactImportResult"),
                    **errors(400, 413, 415, 422),
                },
            }
        },
    }
)
