"""Session factories for code that may create outbound messages.

Every such factory carries the compliance gate, so a message made by any entry point
(the running gateway, ``cellgate send``, the API, a campaign) is checked in the flush
that stores it; an opt-out withdraws what is still waiting for that number. A row
written past the ORM (raw SQL) is not checked: the send worker does not check again.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from gateway.compliance import gate
from gateway.compliance.settings import policy
from gateway.config import Config
from gateway.db import make_session_factory


def gated_sessions(config: Config, engine: Engine) -> sessionmaker[Session]:
    sessions = make_session_factory(engine)
    gate.install(sessions, policy(config))
    return sessions
