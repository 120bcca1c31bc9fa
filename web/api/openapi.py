"""The OpenAPI 3.1 document of API v1, written by hand and served at ``/openapi.json``.

A test compares its paths and methods with the blueprint's routes both ways, and
schemathesis checks the running API against it, so it stays complete and true.
"""

from __future__ import annotations

from typing import Any

from gateway import __version__
from gateway.models import ConsentChannel, ConversationStatus, Direction, NumberKind
from gateway.states import MessageState
from web.api import contacts
from web.api.blueprint import PREFIX, bp
from web.api.conversations import UNASSIGNED
from web.api.errors import CODES, CONSENT_LOCKED, CONVERSATION_CLAIMED
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


# The header of both answers that ask a client to come back later (429, 503).
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}}


def errors(*statuses: int, scoped: bool = True) -> dict[str, Any]:
    """The error answers an operation can give: ``statuses``, 401, 429, 503 and, if
    ``scoped``, 403."""
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
            **RETRY_AFTER,
        ),
        "503": error(
            "The database is not answering; nothing was changed. Retry after the given seconds.",
            **RETRY_AFTER,
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


def page_of(schema: str) -> dict[str, Any]:
    return closed(
        {
            "data": {"type": "array", "items": ref(schema)},
            "next_cursor": nullable(
                "string", description="Pass as `cursor` for the next page; null on the last."
            ),
        }
    )


SCALAR = {"type": ["string", "number", "boolean"]}
CONTACT_CHANGES: dict[str, Any] = {
    "first_name": nullable("string", maxLength=contacts.NAME_LENGTH, description="null clears it."),
    "last_name": nullable("string", maxLength=contacts.NAME_LENGTH, description="null clears it."),
    "time_zone": nullable(
        "string",
        maxLength=contacts.ZONE_LENGTH,
        description="IANA zone for quiet hours, instead of the one the number suggests.",
        examples=["Europe/London"],
    ),
    "tags": {
        "type": "array",
        "maxItems": contacts.MAX_TAGS,
        "items": {"type": "string", "minLength": 1, "maxLength": contacts.TAG_LENGTH},
        "description": "Replaces the stored tags (blank tags are refused).",
    },
    "fields": {
        "type": "object",
        "maxProperties": contacts.MAX_FIELDS,
        "propertyNames": {"minLength": 1, "maxLength": contacts.FIELD_NAME_LENGTH},
        "additionalProperties": {**SCALAR, "maxLength": contacts.FIELD_TEXT_LENGTH},
        "description": "Custom fields (merge fields); replaces the stored ones.",
    },
    "opted_out": {
        "type": "boolean",
        "description": (
            "Opt out (waiting messages are withdrawn) or back in, recorded in the consent "
            "ledger as channel `api`. Someone who texted STOP can only opt back in by text: "
            "false is then refused with 409 `consent_locked`."
        ),
    },
}
CONVERSATION: dict[str, Any] = {
    "id": {"type": "integer"},
    "status": {"enum": [s.value for s in ConversationStatus]},
    "contact": ref("Contact"),
    "assignee_id": nullable("integer"),
    "claimed_by": nullable("integer", description="The user replying right now, if any."),
    "claimed_until": NULLABLE_TIME,
    "unread": {"type": "integer", "minimum": 0},
    "last_message_at": NULLABLE_TIME,
    "created_at": TIME,
}

SCHEMAS: dict[str, Any] = {
    "Error": closed(
        {
            "error": closed(
                {
                    "code": {
                        "enum": sorted(
                            {
                                *CODES.values(),
                                "idempotency_key_reused",
                                CONSENT_LOCKED,
                                CONVERSATION_CLAIMED,
                            }
                        )
                    },
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
    "MessagePage": page_of("Message"),
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
            "queued": {
                "type": "integer",
                "description": "Messages waiting for this modem (asked of it by number).",
            },
            "sent_today": {"type": "integer", "description": "SMS parts since local midnight."},
            "daily_cap": nullable("integer", description="Null for another node's modem."),
            "health": {
                "description": "Live counters since the gateway started; null for a modem "
                "on another node.",
                "oneOf": [ref("ModemHealth"), {"type": "null"}],
            },
        }
    ),
    "ModemHealth": closed(
        {
            "connected": {"type": "boolean"},
            "sent": {"type": "integer"},
            "sent_parts": {"type": "integer"},
            "failed": {"type": "integer"},
            "retries": {"type": "integer"},
            "last_latency_seconds": nullable("number"),
            "average_latency_seconds": nullable("number"),
            "last_error_at": NULLABLE_TIME,
            "down_reason": nullable("string"),
        }
    ),
    "ModemList": closed({"data": {"type": "array", "items": ref("Modem")}}),
    "NewContact": closed(
        {
            "number": {
                "type": "string",
                "maxLength": contacts.NUMBER_LENGTH,
                "description": "E.164, or a local number in the gateway's default region.",
                "examples": ["+14155550123"],
            },
            **CONTACT_CHANGES,
        },
        required=["number"],
    ),
    "ContactChanges": closed(CONTACT_CHANGES, required=[]),
    "Contact": closed(
        {
            "id": {"type": "integer"},
            "number": {"type": "string", "description": "E.164 unless `number_kind` says not."},
            "number_kind": {"enum": [k.value for k in NumberKind]},
            "first_name": {"type": "string"},
            "last_name": {"type": "string"},
            "time_zone": nullable("string"),
            "tags": {"type": "array", "items": {"type": "string"}},
            "fields": {"type": "object", "additionalProperties": SCALAR},
            "opted_out": {"type": "boolean"},
            "opted_out_at": NULLABLE_TIME,
            "opt_out_channel": {
                "description": "How they opted out; `sms` means only they can opt back in.",
                "enum": [*(c.value for c in ConsentChannel), None],
            },
            "conversation_id": nullable("integer"),
            "created_at": TIME,
        }
    ),
    "ContactPage": page_of("Contact"),
    "ContactExport": closed(
        {
            "contact": {"type": "object"},
            "conversation": nullable("object"),
            "notes": {"type": "array", "items": {"type": "object"}},
            "messages": {"type": "array", "items": {"type": "object"}},
            "consent": {"type": "array", "items": {"type": "object"}},
        }
    ),
    "Conversation": closed(CONVERSATION),
    "ConversationPage": page_of("Conversation"),
    "ConversationDetail": closed(
        {
            **CONVERSATION,
            "messages": {
                **ref("MessagePage"),
                "description": (
                    "The latest messages, oldest first; `next_cursor` fetches earlier ones."
                ),
            },
        }
    ),
    "Reply": closed({"body": {"type": "string", "minLength": 1, "maxLength": MAX_BODY_CHARACTERS}}),
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


def path_id(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID},
    }


def request_body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": ref(schema)}}}


IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": (
        "Retries with the same key get the first answer (with "
        "`Idempotent-Replayed: true`) instead of doing it again; the same "
        "key with another body is refused with 422. Kept 24 hours."
    ),
}
PAGE = [
    query(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": PAGE_SIZE},
        "Page size.",
    ),
    query(
        "cursor",
        {"type": "string", "pattern": f"^{CURSOR.pattern}$"},
        "`next_cursor` of the previous page.",
    ),
]
BOOLEAN = {"enum": ["true", "false"]}


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
                "parameters": [IDEMPOTENCY_KEY],
                "requestBody": request_body("SendMessage"),
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
                    *PAGE,
                ],
                "responses": {**ok("One page.", "MessagePage"), **errors(422)},
            },
        },
        "/messages/{message_id}": {
            "get": {
                "operationId": "getMessage",
                "summary": "One message and its state (scope: read).",
                "parameters": [path_id("message_id")],
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
        "/contacts": {
            "get": {
                "operationId": "listContacts",
                "summary": "Contacts, newest first (scope: read).",
                "parameters": [
                    query("number", {"type": "string"}, "Only the contact with this number."),
                    query("opted_out", BOOLEAN, "Only those opted out (true) or not (false)."),
                    *PAGE,
                ],
                "responses": {**ok("One page.", "ContactPage"), **errors(422)},
            },
            "post": {
                "operationId": "createContact",
                "summary": "Add a contact (scope: admin).",
                "parameters": [IDEMPOTENCY_KEY],
                "requestBody": request_body("NewContact"),
                "responses": {
                    **ok("Created.", "Contact", "201", Location={"schema": {"type": "string"}}),
                    **errors(400, 409, 413, 415, 422),
                    "409": error(
                        "A contact has this number (`error.field` is `number`), or a "
                        "request with this Idempotency-Key is still in progress."
                    ),
                },
            },
        },
        "/contacts/{contact_id}": {
            "get": {
                "operationId": "getContact",
                "summary": "One contact (scope: read).",
                "parameters": [path_id("contact_id")],
                "responses": {**ok("The contact.", "Contact"), **errors(404)},
            },
            "patch": {
                "operationId": "updateContact",
                "summary": "Change the fields given (scope: admin).",
                "parameters": [path_id("contact_id")],
                "requestBody": request_body("ContactChanges"),
                "responses": {
                    **ok("The contact as changed.", "Contact"),
                    **errors(400, 404, 413, 415, 422),
                    "409": error(
                        f"`{CONSENT_LOCKED}`: the contact opted out by text, so only they "
                        "can opt back in (by texting START); `error.field` is `opted_out`."
                    ),
                },
            },
            "delete": {
                "operationId": "eraseContact",
                "summary": (
                    "Erase the contact, their conversation and every message with them; "
                    "the number stays suppressed so it is never texted again (scope: admin)."
                ),
                "parameters": [path_id("contact_id")],
                "responses": {"204": {"description": "Erased."}, **errors(404)},
            },
        },
        "/contacts/{contact_id}/export": {
            "get": {
                "operationId": "exportContact",
                "summary": "Everything held about one contact (scope: read).",
                "parameters": [path_id("contact_id")],
                "responses": {**ok("The data.", "ContactExport"), **errors(404)},
            }
        },
        "/conversations": {
            "get": {
                "operationId": "listConversations",
                "summary": "Conversations, newest first (scope: read).",
                "parameters": [
                    query(
                        "status",
                        {"enum": [s.value for s in ConversationStatus]},
                        "Only this status.",
                    ),
                    query(
                        "assignee",
                        {"type": "string", "pattern": rf"^([0-9]{{1,10}}|{UNASSIGNED})$"},
                        f"Only those assigned to this user id, or `{UNASSIGNED}` for nobody.",
                    ),
                    query("unread", BOOLEAN, "Only those with (true) or without unread messages."),
                    *PAGE,
                ],
                "responses": {**ok("One page.", "ConversationPage"), **errors(422)},
            }
        },
        "/conversations/{conversation_id}": {
            "get": {
                "operationId": "getConversation",
                "summary": "One conversation with its latest messages (scope: read).",
                "parameters": [path_id("conversation_id"), *PAGE],
                "responses": {
                    **ok("The conversation.", "ConversationDetail"),
                    **errors(404, 422),
                },
            }
        },
        "/conversations/{conversation_id}/messages": {
            "post": {
                "operationId": "replyToConversation",
                "summary": (
                    "Reply to the contact from the SIM they last talked to (scope: send). "
                    "To someone who opted out the reply is stored `suppressed`, with the "
                    "reason in `error`, and not sent."
                ),
                "parameters": [path_id("conversation_id"), IDEMPOTENCY_KEY],
                "requestBody": request_body("Reply"),
                "responses": {
                    **ok(
                        "Stored: queued, or suppressed by the compliance gate.",
                        "Message",
                        "202",
                        Location={"schema": {"type": "string"}},
                    ),
                    **errors(400, 404, 409, 413, 415, 422),
                    "409": error(
                        f"`{CONVERSATION_CLAIMED}`: a user is replying to it right now, or a "
                        "request with this Idempotency-Key is still in progress."
                    ),
                },
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
