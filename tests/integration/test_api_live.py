"""The API of a real ``cellgate run``, over HTTP, with a key made by ``cellgate apikey``."""

from __future__ import annotations

import json
import re
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from tests.plugins.gateway_server import LiveServer, cellgate


def call(server: LiveServer, method: str, path: str, key: str, body: Any = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"{server.url}/api/v1{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.load(exc)


def test_a_key_from_the_cli_sends_and_reads_through_the_running_gateway(
    live_server_factory: Callable[..., LiveServer],
) -> None:
    server = live_server_factory()
    created = subprocess.run(
        cellgate(
            "apikey", "create", "crm", "--scope", "send", "--scope", "read", config=server.config
        ),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    match = re.search(r"cg_\w{8}_[\w-]{43}", created.stdout)
    assert match is not None
    key = match.group(0)
    status, accepted = call(server, "POST", "/messages", key, {"to": "+14155550123", "body": "hi"})
    assert status == 202
    status, message = call(server, "GET", f"/messages/{accepted['id']}", key)
    assert (status, message["peer"]) == (200, "+14155550123")
    status, refused = call(server, "GET", "/modems", "cg_AAAAAAAA_" + "A" * 43)
    assert (status, refused["error"]["code"]) == (401, "unauthorized")
