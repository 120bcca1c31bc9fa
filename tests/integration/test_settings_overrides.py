"""Business hours, auto-reply and compliance rules edited in Settings: stored as overrides
of the config file, enforced by the send gate and the inbound pipeline from the next
message on (other nodes within the check interval), for admins only, all or nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from gateway import contacts, setting_overrides
from gateway.compliance import gate
from gateway.compliance.settings import CHECK_SECONDS, LiveRules
from gateway.config import ComplianceSection, Config
from gateway.db import make_session_factory
from gateway.inbound.pipeline import InboundSms, Pipeline, Settings
from gateway.models import Direction, Kind, Message, SettingChange, User
from gateway.queue.enqueue import enqueue
from gateway.sessions import gated_sessions
from gateway.states import MessageState

pytest_plugins = ["tests.plugins.web"]

Csrf = Callable[[FlaskClient, str], str]
NOON = datetime(2026, 6, 3, 12, 0, tzinfo=UTC)  # a Wednesday; 13:00 in London
LONDON = "+442071234567"
DEFAULTS = ComplianceSection()


def compliance_form(**changes: str) -> dict[str, str]:
    """The compliance form as the page shows the config file's defaults, with ``changes``
    (``quiet_hours="..."`` for ``compliance.quiet_hours``)."""
    form = {
        "compliance.quiet_hours": DEFAULTS.quiet_hours,
        "compliance.quiet_hours_regions": "",
        "compliance.marketing_cap": str(DEFAULTS.marketing_cap),
        "compliance.marketing_cap_hours": "24",
        "compliance.opt_out_keywords": ", ".join(DEFAULTS.opt_out_keywords),
        "compliance.opt_in_keywords": ", ".join(DEFAULTS.opt_in_keywords),
        "compliance.help_keywords": ", ".join(DEFAULTS.help_keywords),
        "compliance.natural_language_opt_out": "on",
        "compliance.opt_out_reply": DEFAULTS.opt_out_reply,
        "compliance.opt_in_reply": DEFAULTS.opt_in_reply,
        "compliance.help_reply": DEFAULTS.help_reply,
    }
    return {**form, **{f"compliance.{name}": value for name, value in changes.items()}}


def hours_form(text: str, **days: str) -> dict[str, str]:
    """The business hours form: auto-reply on with ``text``, open on ``days`` only."""
    return {
        "autoreply.enabled": "on",
        "autoreply.text": text,
        **{f"autoreply.hours.{day}": window for day, window in days.items()},
        "autoreply.holidays": "",
    }


@dataclass
class Node:
    """What a running gateway wires: one set of live rules for its gate and pipeline."""

    rules: LiveRules
    pipeline: Pipeline

    def text_in(self, session: Session, body: str, at: datetime = NOON) -> None:
        self.pipeline.receive(session, InboundSms(LONDON, body, "gsm7", "sim0", at), at)


@pytest.fixture
def node(sessions: sessionmaker[Session], config: Config) -> Iterator[Node]:
    """The app's session factory gated with live rules, as Gateway.build does."""
    rules = LiveRules(config)
    uninstall = gate.install(sessions, rules.policy)
    unfollow = rules.follow(sessions)
    yield Node(rules, Pipeline(Settings.from_config(config, rules)))
    unfollow()
    uninstall()


@pytest.fixture
def post(admin_client: FlaskClient, csrf: Csrf) -> Callable[..., Any]:
    """``post(path, form)`` as the admin, following the redirect."""
    token = csrf(admin_client, "/settings/")

    def send(path: str, form: dict[str, str]) -> Any:
        return admin_client.post(path, data={**form, "csrf_token": token}, follow_redirects=True)

    return send


def outbound(session: Session) -> list[Message]:
    query = select(Message).where(Message.direction == Direction.OUT).order_by(Message.id)
    return list(session.scalars(query))


def marketing(session: Session, at: datetime = NOON) -> Message:
    return enqueue(session, LONDON, "Summer sale!", kind=Kind.MARKETING, region="GB", now=at)


def test_narrowing_quiet_hours_defers_marketing_from_the_next_message(
    node: Node, sessions: sessionmaker[Session], post: Callable[..., Any]
) -> None:
    with sessions() as session:
        assert marketing(session).state == MessageState.QUEUED
    answer = post("/settings/rules/compliance", compliance_form(quiet_hours="14:00-15:00"))
    assert "Compliance rules saved: 1 setting changed." in answer.get_data(as_text=True)
    with sessions() as session:
        deferred = marketing(session)
        transactional = enqueue(session, LONDON, "Your code is 1234", region="GB", now=NOON)
        assert deferred.state == MessageState.SCHEDULED
        assert deferred.scheduled_at == NOON.replace(hour=13)  # 14:00 in London
        assert transactional.state == MessageState.QUEUED


def test_a_region_window_and_the_cap_apply_too(
    node: Node, sessions: sessionmaker[Session], post: Callable[..., Any]
) -> None:
    form = compliance_form(
        quiet_hours_regions="FR=08:00-20:00\nGB=15:00-16:00",
        marketing_cap="1",
    )
    post("/settings/rules/compliance", form)
    with sessions() as session:
        first, second = marketing(session), marketing(session)
        assert first.scheduled_at == NOON.replace(hour=14)  # 15:00 in London
        assert (second.state, second.last_error) == (
            MessageState.SUPPRESSED,
            "frequency cap: 1 marketing messages per 1 day, 0:00:00",
        )


def test_a_new_opt_out_keyword_opts_out_with_the_new_confirmation(
    node: Node, sessions: sessionmaker[Session], post: Callable[..., Any]
) -> None:
    form = compliance_form(
        opt_out_keywords="STOP, ARRÊT",
        opt_out_reply="Vous êtes désinscrit.",
    )
    post("/settings/rules/compliance", form)
    with sessions() as session:
        node.text_in(session, "arret")
        contact = contacts.find(session, LONDON)
        assert contact is not None
        assert contact.opted_out
        assert [m.body for m in outbound(session)] == ["Vous êtes désinscrit."]
        node.text_in(session, "QUIT")  # no longer an opt-out keyword: an ordinary message
        assert len(outbound(session)) == 1


def test_business_hours_decide_the_auto_reply(
    node: Node, sessions: sessionmaker[Session], post: Callable[..., Any]
) -> None:
    post("/settings/rules/hours", hours_form("Back at nine.", wed="09:00-17:00"))
    with sessions() as session:
        node.text_in(session, "hello")  # open: no reply
        assert outbound(session) == []
    post("/settings/rules/hours", hours_form("Back at nine.", wed="09:00-11:30"))
    with sessions() as session:
        node.text_in(session, "anyone?")
        assert [m.body for m in outbound(session)] == ["Back at nine."]


def test_agents_get_403_and_store_nothing(
    node: Node, agent_client: FlaskClient, csrf: Csrf, sessions: sessionmaker[Session]
) -> None:
    token = csrf(agent_client, "/")
    assert agent_client.get("/settings/").status_code == 403
    for path, form in (
        ("/settings/rules/compliance", compliance_form(quiet_hours="14:00-15:00")),
        ("/settings/rules/hours", hours_form("Closed")),
        ("/settings/rules/reset", {"key": "compliance.quiet_hours"}),
    ):
        assert agent_client.post(path, data={**form, "csrf_token": token}).status_code == 403
    with sessions() as session:
        assert session.scalars(select(SettingChange)).all() == []


def test_a_bad_window_is_refused_with_the_field_named_and_nothing_stored(
    node: Node, sessions: sessionmaker[Session], post: Callable[..., Any]
) -> None:
    form = compliance_form(
        quiet_hours="21:00-08:00",
        quiet_hours_regions="GB=09:00-17:00\nXX=09:00-10:00",
        marketing_cap="5",  # valid, but not saved either: all or nothing
    )
    answer = post("/settings/rules/compliance", form)
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "Nothing was saved." in page
    assert (
        '<a href="#f-compliance-quiet-hours">Marketing allowed between</a>: '
        "the window must start before it ends: 21:00-08:00"
    ) in page
    assert "unknown region &#39;XX&#39;" in page
    assert 'value="21:00-08:00"' in page  # what was typed is kept for correcting
    assert 'aria-invalid="true"' in page
    hours = post("/settings/rules/hours", hours_form("x", mon="09:00-17:00", tue="25:00-26:00"))
    assert hours.status_code == 422
    assert "tue=25:00-26:00: hour must be in 0..23" in hours.get_data(as_text=True)
    with sessions() as session:
        assert session.scalars(select(SettingChange)).all() == []
        assert marketing(session).state == MessageState.QUEUED


def test_saving_what_is_in_force_stores_nothing_and_hostile_text_stays_text(
    node: Node, sessions: sessionmaker[Session], post: Callable[..., Any]
) -> None:
    answer = post("/settings/rules/compliance", compliance_form())
    assert "Compliance rules: nothing changed." in answer.get_data(as_text=True)
    hostile = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    page = post("/settings/rules/hours", hours_form(hostile)).get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#34;&gt;&lt;img" in page


def test_the_page_shows_who_overrode_what_and_reset_hands_it_back(
    node: Node,
    admin_client: FlaskClient,
    sessions: sessionmaker[Session],
    post: Callable[..., Any],
) -> None:
    post("/settings/rules/compliance", compliance_form(quiet_hours="14:00-15:00"))
    page = admin_client.get("/settings/").get_data(as_text=True)
    assert "changed here</span> by Alice Admin" in page
    assert "the config file has <code>08:00-21:00</code>" in page
    assert page.count("From the config file.") == len(setting_overrides.EDITABLE) - 1
    answer = post("/settings/rules/reset", {"key": "compliance.quiet_hours"})
    assert "Marketing allowed between: back to the config file&#39;s value." in answer.get_data(
        as_text=True
    )
    assert "already follows the config file" in post(
        "/settings/rules/reset", {"key": "compliance.quiet_hours"}
    ).get_data(as_text=True)
    with sessions() as session:
        assert marketing(session).state == MessageState.QUEUED
        history = session.execute(
            select(SettingChange.key, SettingChange.value, User.username)
            .join(User, User.id == SettingChange.changed_by_id)
            .order_by(SettingChange.id)
        ).all()
        assert [tuple(row) for row in history] == [
            ("compliance.quiet_hours", "14:00-15:00", "alice"),
            ("compliance.quiet_hours", None, "alice"),
        ]


def test_another_node_applies_a_change_within_the_check_interval(
    engine: Engine, config: Config, node: Node, post: Callable[..., Any]
) -> None:
    """Node B shares the database but not the process: it sees the change by its version."""
    ticks = [0.0]
    other = LiveRules(config, clock=lambda: ticks[0])
    other_sessions = make_session_factory(engine)
    uninstall = gate.install(other_sessions, other.policy)
    try:
        with other_sessions() as session:
            assert marketing(session).state == MessageState.QUEUED
        post("/settings/rules/compliance", compliance_form(quiet_hours="14:00-15:00"))
        ticks[0] += CHECK_SECONDS / 2
        with other_sessions() as session:
            assert marketing(session).state == MessageState.QUEUED  # not looked again yet
        ticks[0] += CHECK_SECONDS
        with other_sessions() as session:
            assert marketing(session).state == MessageState.SCHEDULED
    finally:
        uninstall()


def test_between_checks_messages_read_no_settings(
    engine: Engine, config: Config, sessions: sessionmaker[Session]
) -> None:
    rules = LiveRules(config, clock=lambda: 0.0)
    uninstall = gate.install(sessions, rules.policy)
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        with sessions() as session:
            for _ in range(20):
                marketing(session)
    finally:
        event.remove(engine, "before_cursor_execute", record)
        uninstall()
    assert sum("setting_changes" in statement for statement in statements) == 2  # version, load


def test_cli_sessions_apply_the_overrides(
    engine: Engine, config: Config, sessions: sessionmaker[Session]
) -> None:
    with sessions() as session:
        setting_overrides.save(
            session,
            config,
            {"compliance.quiet_hours": "14:00-15:00"},
            user_id=None,
            now=NOON,
        )
    with gated_sessions(config, engine)() as session:
        assert marketing(session).state == MessageState.SCHEDULED
