"""Session factories for code that may create outbound messages.

Every such factory carries the compliance gate, so a message made by any entry point
(the running gateway, ``cellgate send``, the API, a campaign) is checked in the flush
that stores it; an opt-out withdraws what is still waiting for that number. A row
written past the ORM (raw SQL) is not checked; the send worker looks again only at
quiet hours, for marketing that reaches the front of a long queue.

The gate applies the rules in force (the config file with admins' overrides from
Settings), and a change saved through the factory applies from its commit on.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from gateway.compliance import gate
from gateway.compliance.settings import LiveRules
from gateway.config import Config
from gateway.db import make_session_factory


def gated_sessions(
    config: Config, engine: Engine, rules: LiveRules | None = None
) -> sessionmaker[Session]:
    """``rules`` are shared with whatever else must agree with the gate (the inbound
    pipeline); by default the factory gets its own."""
    sessions = make_session_factory(engine)
    live = LiveRules(config) if rules is None else rules
    gate.install(sessions, live.policy)
    live.follow(sessions)
    return sessions
