"""The OpenAPI 3.1 document of API v1, written by hand and served at ``/openapi.json``.

A test compares its paths and methods with the blueprint's routes both ways, and
schemathesis checks the running API against it, so it stays complete and true.
"""

from __future__ import annotations

from typing import Any

from gateway import __version__
from gateway.models import Direction
from gateway.states import MessageState
from web.api.blueprint import PREFIX, bp
from web.api.errors import CODES
from web.api.messages import CURSOR, MAX_BODY_CHARACTERS, MAX_ID, MAX_PAGE_SIZE, PAGE_SIZE

JSON = "application/json"


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(type_: str, **extra: Any) -> dict[str, Any]:
    return {"type": [type_, "null"], **extra}


def error(description: str, **headers: Any) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {JSON: {"schema": ref("Error")}},
    }
    if headers:
        response["headers"] = headers
    return response


def errors(*statuses: int, scoped: bool = True) -> dict[str, Any]:
    """The error answers an operation can give: ``statuses``, 401, 429 and, if ``scoped``, 403."""
    descriptions = {
        400: "Malformed request (body not a JSON object, bad Idempotency-Key).",
        404: "No such resource.",
        409: "A request with this Idempotency-Key is still in progress.",
        413: "The body is larger than the configured limit.",
        415: "The body is not sent as application/json.",
        422: "A field is invalid; `error.field` names it.",
    }
    answers = {str(status): error(descriptions[status]) for status in statuses}
    return {
        **answers,
        "401": error(
            "No API key, or an invalid or revoked one.",
            **{"WWW-Authenticate": {"schema": {"type": "string"}}},
        ),
        **({"403": error("The API key lacks the scope this operation needs.")} if scoped else {}),
        "429": error(
            "Rate limit of this API key reached; retry after the given seconds.",
            **{"Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
        ),
    }


TIME = {"type": "string", "format": "date-time"}
NULLABLE_TIME = nullable("string", format="date-time")


def closed(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    """An object with exactly ``properties``; all are required unless ``required`` says."""
    return {
        "type": "object",
        "required": list(properties) if required is None else required,
        "properties": properties,
        "additionalProperties": False,
    }


SCHEMAS: dict[str, Any] = {
    "Error": closed(
        {
            "error": closed(
                {
                    "code": {"enum": sorted({*CODES.values(), "idempotency_key_reused"})},
                    "message": {"type": "string"},
                    "field": {"type": "string", "description": "The input at fault."},
                },
                required=["code", "message"],
            )
        }
    ),
    "SendMessage": closed(
        {
            "to": {
                "type": "string",
                "maxLength": 64,
                "description": "E.164, or a local number in the gateway's default region.",
                "examples": ["+14155550123"],
            },
            "body": {"type": "string", "minLength": 1, "maxLength": MAX_BODY_CHARACTERS},
            "send_at": {**TIME, "description": "Send at this time instead of now."},
            "modem": {"type": "string", "maxLength": 32, "description": "Send from this modem."},
            "priority": {
                "type": "integer",
                "minimum": 0,
                "maximum": 100,
                "description": "Lower goes first; default by kind (transactional: 20).",
            },
        },
        required=["to", "body"],
    ),
    "MessageAccepted": closed(
        {
            "id": {"type": "integer"},
            "state": {"enum": [MessageState.QUEUED.value, MessageState.SCHEDULED.value]},
            "segments": {"type": "integer", "minimum": 1},
            "encoding": {"type": "string"},
        }
    ),
    "Message": closed(
        {
            "id": {"type": "integer"},
            "direction": {"enum": [d.value for d in Direction]},
            "state": {
                "description": "Outbound life cycle (DESIGN.md section 3); null for inbound.",
                "enum": [*(s.value for s in MessageState), None],
            },
            "peer": {
                "type": "string",
                "description": "The other party in E.164: the recipient, or the sender if inbound.",
            },
            "body": {"type": "string"},
            "encoding": {"type": "string", "examples": ["gsm7", "ucs2"]},
            "segments": {"type": "integer", "minimum": 1},
            "kind": {"type": "string"},
            "priority": {"type": "integer", "description": "Lower goes first."},
            "modem": nullable("string", description="The modem asked for; null for any."),
            "sent_modem": nullable("string", description="The modem it went out (or came in) on."),
            "attempts": {"type": "integer", "minimum": 0},
            "error": nullable("string"),
            "error_code": nullable("integer"),
            "created_at": TIME,
            "scheduled_at": NULLABLE_TIME,
            "sent_at": NULLABLE_TIME,
            "final_at": NULLABLE_TIME,
        }
    ),
    "MessagePage": closed(
        {
            "data": {"type": "array", "items": ref("Message")},
            "next_cursor": nullable(
                "string", description="Pass as `cursor` for the next page; null on the last."
            ),
        }
    ),
    "Modem": closed(
        {
            "name": {"type": "string"},
            "status": {"enum": ["up", "down", "cooling_down"]},
            "node": {"type": "string", "description": "The gateway node the modem is on."},
            "number": nullable("string"),
            "manufacturer": nullable("string"),
            "model": nullable("string"),
            "imei": nullable("string"),
            "last_seen_at": NULLABLE_TIME,
            "down_since": NULLABLE_TIME,
            "cooldown_until": NULLABLE_TIME,
            "last_error": nullable("string"),
        }
    ),
    "ModemList": closed({"data": {"type": "array", "items": ref("Modem")}}),
}


def query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def ok(description: str, schema: str, status: str = "200", **headers: Any) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {JSON: {"schema": ref(schema)}},
    }
    if headers:
        response["headers"] = headers
    return {status: response}


DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Cellgate API",
        "version": __version__,
        "description": (
            "Send and track SMS through the gateway's modems. Authenticate with "
            "`Authorization: Bearer <api key>` (`cellgate apikey create`). Errors are "
            '`{"error": {"code", "message", "field"?}}`. Webhooks are POSTed JSON signed '
            'with `X-Cellgate-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">` '
            "and `X-Cellgate-Timestamp` (unix seconds); reject timestamps older than 5 minutes."
        ),
    },
    "servers": [{"url": PREFIX}],
    "security": [{"apiKey": []}],
    "paths": {
        "/messages": {
            "post": {
                "operationId": "sendMessage",
                "summary": "Queue one SMS (scope: send).",
                "parameters": [
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                        "description": (
                            "Retries with the same key get the first answer (with "
                            "`Idempotent-Replayed: true`) instead of sending again; the same "
                            "key with another body is refused with 422. Kept 24 hours."
                        ),
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {JSON: {"schema": ref("SendMessage")}},
                },
                "responses": {
                    **ok(
                        "Accepted onto the queue.",
                        "MessageAccepted",
                        "202",
                        Location={"schema": {"type": "string"}},
                    ),
                    **errors(400, 409, 413, 415, 422),
                },
            },
            "get": {
                "operationId": "listMessages",
                "summary": "Messages in both directions, newest first (scope: read).",
                "parameters": [
                    query(
                        "direction", {"enum": [d.value for d in Direction]}, "Only this direction."
                    ),
                    query("state", {"enum": [s.value for s in MessageState]}, "Only this state."),
                    query(
                        "modem",
                        {"type": "string"},
                        "Asked for, or sent or received on, this modem.",
                    ),
                    query("to", {"type": "string"}, "Only with this number (either direction)."),
                    query("since", TIME, "Created at or after this time."),
                    query(
                        "limit",
                        {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": MAX_PAGE_SIZE,
                            "default": PAGE_SIZE,
                        },
                        "Page size.",
                    ),
                    query(
                        "cursor",
                        {"type": "string", "pattern": f"^{CURSOR.pattern}$"},
                        "`next_cursor` of the previous page.",
                    ),
                ],
                "responses": {**ok("One page.", "MessagePage"), **errors(422)},
            },
        },
        "/messages/{message_id}": {
            "get": {
                "operationId": "getMessage",
                "summary": "One message and its state (scope: read).",
                "parameters": [
                    {
                        "name": "message_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID},
                    }
                ],
                "responses": {**ok("The message.", "Message"), **errors(404)},
            }
        },
        "/modems": {
            "get": {
                "operationId": "listModems",
                "summary": "Every modem's health (scope: read).",
                "responses": {**ok("The modems.", "ModemList"), **errors()},
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "getOpenApi",
                "summary": "This document (any valid key).",
                "responses": {
                    "200": {
                        "description": "The OpenAPI 3.1 document.",
                        "content": {JSON: {"schema": {"type": "object"}}},
                    },
                    **errors(scoped=False),
                },
            }
        },
    },
    "components": {
        "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}},
        "schemas": SCHEMAS,
    },
}


@bp.get("/openapi.json")
def openapi() -> dict[str, Any]:
    return DOCUMENT
