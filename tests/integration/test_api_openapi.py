"""The OpenAPI document is complete and true: routes match it, and schemathesis finds no
5xx and no answer outside it."""

from __future__ import annotations

import re
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance
from sqlalchemy.orm import Session, sessionmaker

from gateway.apikeys import create_key
from gateway.models import utcnow
from web.api.blueprint import PREFIX
from web.api.openapi import DOCUMENT

IGNORED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture
def auth(sessions: sessionmaker[Session]) -> dict[str, str]:
    with sessions.begin() as session:
        _, plain = create_key(session, "schemathesis", ["admin"], now=utcnow())
    return {"Authorization": f"Bearer {plain}"}


def routes(app: Flask) -> set[tuple[str, str]]:
    """(path in OpenAPI form, method) of every API route of the app."""
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix(PREFIX))
        found |= {(path, method) for method in (rule.methods or set()) - IGNORED_METHODS}
    return found


def documented() -> set[tuple[str, str]]:
    return {
        (path, method.upper())
        for path, operations in DOCUMENT["paths"].items()
        for method in operations
    }


def test_every_route_is_documented_and_every_documented_route_exists(app: Flask) -> None:
    assert routes(app) - documented() == set(), "routes missing from the OpenAPI document"
    assert documented() - routes(app) == set(), "documented operations with no route"


def test_the_served_document_is_the_document(app: Flask, auth: dict[str, str]) -> None:
    response = app.test_client().get(f"{PREFIX}/openapi.json", headers=auth)
    assert response.status_code == 200
    assert response.get_json() == DOCUMENT
    assert response.get_json()["openapi"].startswith("3.1")


@pytest.mark.parametrize(("path", "method"), sorted(documented()))
def test_the_api_conforms_to_its_document(
    app: Flask, auth: dict[str, str], path: str, method: str
) -> None:
    """Generated requests, valid and invalid, never get a 5xx or an undocumented answer."""
    schema = schemathesis.openapi.from_wsgi(f"{PREFIX}/openapi.json", app, headers=auth)
    operation = schema[path][method]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=30,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def check(case: schemathesis.Case[Any]) -> None:
        # Whether a string is a possible phone number, or names a configured modem, is
        # beyond JSON Schema: such schema-valid input is rightly refused with 422.
        case.call_and_validate(headers=auth, excluded_checks=[positive_data_acceptance])

    check()
