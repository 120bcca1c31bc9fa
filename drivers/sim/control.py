"""The simulator's HTTP control API (DESIGN.md section 4), on the standard library's server.

JSON in and out; bad input gets a 4xx with ``{"error": {"code", "message"}}``, the
same error shape as the REST API, so scripts handle both alike.
"""

from __future__ import annotations

import json
import re
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from drivers.errors import PduError
from drivers.sim.modem import FaultKind, SimulatedModem

if TYPE_CHECKING:
    from drivers.sim.simulator import Simulator

_MODEM_PATH = re.compile(r"/modems/(?P<id>[^/]+)/(?P<action>inbound|faults)")
_MAX_BODY = 1 << 20


class ApiError(Exception):
    """A request the API refuses, with the status and error body to answer."""

    def __init__(self, status: HTTPStatus, code: str, message: str, field: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, str] = {"code": code, "message": message}
        if field:
            self.body["field"] = field


class ControlServer:
    """A ThreadingHTTPServer for one simulator, served from a daemon thread."""

    def __init__(self, simulator: Simulator, host: str, port: int) -> None:
        handler = type("Handler", (_Handler,), {"simulator": simulator})
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="sim-control", daemon=True
        )
        self._thread.start()

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    simulator: Simulator
    server_version = "cellgate-sim"

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the console for the modem lines; requests are not logged."""

    def do_GET(self) -> None:
        self._answer(self._get)

    def do_POST(self) -> None:
        self._answer(self._post)

    def _answer(self, route: Any) -> None:
        try:
            status, body = route()
        except ApiError as error:
            status = error.status
            body = {"error": error.body}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _get(self) -> tuple[HTTPStatus, Any]:
        sim = self.simulator
        if self.path == "/modems":
            return HTTPStatus.OK, [modem.describe() for modem in sim.modems]
        if self.path == "/sent":
            return HTTPStatus.OK, [message.to_json() for message in sim.sent]
        if self.path == "/reset" or _MODEM_PATH.fullmatch(self.path):
            raise ApiError(HTTPStatus.METHOD_NOT_ALLOWED, "method_not_allowed", "use POST")
        raise ApiError(HTTPStatus.NOT_FOUND, "not_found", f"no such resource: {self.path}")

    def _post(self) -> tuple[HTTPStatus, Any]:
        sim = self.simulator
        if self.path == "/reset":
            sim.reset()
            return HTTPStatus.OK, {"reset": True}
        match = _MODEM_PATH.fullmatch(self.path)
        if match is None:
            if self.path in ("/modems", "/sent"):
                raise ApiError(HTTPStatus.METHOD_NOT_ALLOWED, "method_not_allowed", "use GET")
            raise ApiError(HTTPStatus.NOT_FOUND, "not_found", f"no such resource: {self.path}")
        try:
            modem = sim.modem(match["id"])
        except KeyError:
            raise ApiError(
                HTTPStatus.NOT_FOUND, "unknown_modem", f"no modem {match['id']!r}"
            ) from None
        body = self._json_object()
        if match["action"] == "inbound":
            return HTTPStatus.ACCEPTED, _inbound(modem, body)
        return HTTPStatus.OK, _fault(modem, body)

    def _json_object(self) -> dict[str, Any]:
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if not 0 <= length <= _MAX_BODY:
            raise ApiError(HTTPStatus.BAD_REQUEST, "bad_request", "invalid Content-Length")
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ApiError(
                HTTPStatus.BAD_REQUEST, "invalid_json", f"body is not JSON: {exc}"
            ) from exc
        if not isinstance(body, dict):
            raise ApiError(HTTPStatus.BAD_REQUEST, "invalid_json", "body must be a JSON object")
        return body


def _unprocessable(message: str, field: str) -> ApiError:
    return ApiError(HTTPStatus.UNPROCESSABLE_ENTITY, "invalid", f"{field}: {message}", field)


def _inbound(modem: SimulatedModem, body: dict[str, Any]) -> dict[str, Any]:
    if "pdu" in body:
        pdu = body["pdu"]
        if not isinstance(pdu, str):
            raise _unprocessable("must be a hex string", "pdu")
        try:
            modem.inject_pdu(pdu)
        except (PduError, ValueError) as exc:
            raise _unprocessable(str(exc), "pdu") from exc
        return {"modem": modem.id, "queued": 1}
    sender, text = body.get("from"), body.get("text")
    if not isinstance(sender, str) or not sender.strip():
        raise _unprocessable('required: the sender, e.g. "+15551234567" or "MyBank"', "from")
    if not isinstance(text, str):
        raise _unprocessable("required: the message text", "text")
    try:
        modem.inject_text(sender.strip(), text)
    except (PduError, ValueError) as exc:
        raise _unprocessable(str(exc), "from") from exc
    return {"modem": modem.id, "queued": 1}


def _fault(modem: SimulatedModem, body: dict[str, Any]) -> dict[str, Any]:
    kind = body.get("kind")
    kinds = ", ".join(kind.value for kind in FaultKind)
    try:
        fault = FaultKind(str(kind))
    except ValueError:
        raise _unprocessable(f"unknown fault {kind!r}; one of {kinds}", "kind") from None
    params = {key: value for key, value in body.items() if key != "kind"}
    for key in ("code", "count"):
        if key in params and (not isinstance(params[key], int) or params[key] < 0):
            raise _unprocessable("must be a non-negative integer", key)
    if "pin" in params and not (isinstance(params["pin"], str) and params["pin"].isdigit()):
        raise _unprocessable("must be a string of digits", "pin")
    modem.fault(fault, **params)
    return {"modem": modem.id, "fault": fault.value}
