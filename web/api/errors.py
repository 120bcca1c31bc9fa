"""The one place where errors become API answers: ``{"error": {"code", "message", "field"?}}``.

Gateway errors (:class:`ValidationError`, :class:`NotFound`) and HTTP errors raised by
Flask or the API itself all end here, so every 4xx has the same shape.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from gateway.contacts import ConsentLocked
from gateway.conversations import ConversationClaimed
from gateway.errors import NotFound, ValidationError
from web.api.blueprint import bp, is_api_path

CODES: Mapping[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}
# Codes more precise than the status's own, for refusals a client handles differently.
CONSENT_LOCKED = "consent_locked"
CONVERSATION_CLAIMED = "conversation_claimed"


class ApiError(HTTPException):
    """An API refusal with its own code, message, field and headers."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = self.status = status
        self.message = message
        self.field = field
        self.error_code = code or CODES.get(status, "error")
        self.extra_headers = dict(headers or {})


def error_response(
    status: int,
    message: str,
    *,
    field: str | None = None,
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    error: dict[str, str] = {"code": code or CODES.get(status, "error"), "message": message}
    if field is not None:
        error["field"] = field
    response = jsonify({"error": error})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _http_error(exc: HTTPException) -> HTTPException | Response:
    if not is_api_path(request.path):
        return exc
    if isinstance(exc, ApiError):
        return error_response(
            exc.status, exc.message, field=exc.field, code=exc.error_code, headers=exc.extra_headers
        )
    # Keep what the client needs from werkzeug's headers (Allow on a 405), not its HTML type.
    headers = {name: value for name, value in exc.get_headers() if name == "Allow"}
    return error_response(exc.code or 500, exc.description or exc.name, headers=headers)


@bp.errorhandler(ValidationError)
def _validation_error(exc: ValidationError) -> Response:
    return error_response(422, exc.message, field=exc.field)


@bp.errorhandler(ConsentLocked)
def _consent_locked(exc: ConsentLocked) -> Response:
    # A conflict with what the contact did (texted STOP), not a malformed value.
    return error_response(409, exc.message, field=exc.field, code=CONSENT_LOCKED)


@bp.errorhandler(ConversationClaimed)
def _conversation_claimed(exc: ConversationClaimed) -> Response:
    return error_response(409, str(exc), code=CONVERSATION_CLAIMED)


@bp.errorhandler(NotFound)
def _not_found(exc: NotFound) -> Response:
    return error_response(404, str(exc))


def init_app(app: Flask) -> None:
    # App-wide, because routing errors (404, 405) happen before any blueprint is chosen.
    app.register_error_handler(HTTPException, _http_error)
