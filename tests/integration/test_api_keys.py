"""API keys: stored as digests, shown once, scoped and revocable, from the CLI too."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gateway.apikeys import (
    RecentKeys,
    authenticate,
    authenticate_recent,
    create_key,
    digest,
    recent_keys,
    revoke,
)
from gateway.cli import main
from gateway.errors import NotFound, ValidationError
from gateway.models import ApiKey, utcnow


def test_only_a_digest_of_the_key_is_stored(db_session: Session) -> None:
    key, plain = create_key(db_session, "crm", ["send"], now=utcnow())
    db_session.commit()
    stored = db_session.scalars(select(ApiKey)).one()
    assert plain not in (stored.digest, stored.prefix, stored.name)
    assert stored.digest == digest(plain)
    assert plain.startswith(f"cg_{stored.prefix}_")
    assert authenticate(db_session, plain, now=utcnow()) is key


def test_keys_are_unique_and_high_entropy(db_session: Session) -> None:
    plains = {create_key(db_session, f"k{n}", ["read"], now=utcnow())[1] for n in range(20)}
    assert len(plains) == 20
    assert all(len(plain.split("_", 2)[2]) == 43 for plain in plains)


def test_last_use_is_noted_to_the_minute(db_session: Session) -> None:
    key, plain = create_key(db_session, "crm", ["read"], now=utcnow())
    first = utcnow()
    authenticate(db_session, plain, now=first)
    authenticate(db_session, plain, now=first.replace(second=(first.second + 1) % 60))
    assert key.last_used_at == first


def test_a_revoked_key_no_longer_authenticates(db_session: Session) -> None:
    key, plain = create_key(db_session, "crm", ["read"], now=utcnow())
    revoked_at = utcnow()
    revoke(db_session, key.id, now=revoked_at)
    revoke(db_session, key.id, now=utcnow())
    assert key.revoked_at == revoked_at
    assert authenticate(db_session, plain, now=utcnow()) is None


@pytest.mark.parametrize(
    ("name", "scopes", "field"),
    [
        ("", ["read"], "name"),
        ("crm\x00", ["read"], "name"),
        ("crm", [], "scopes"),
        ("crm", ["read", "root"], "scopes"),
    ],
)
def test_bad_names_and_scopes_are_refused(
    db_session: Session, name: str, scopes: list[str], field: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        create_key(db_session, name, scopes, now=utcnow())
    assert raised.value.field == field


def test_revoking_an_unknown_key_says_so(db_session: Session) -> None:
    with pytest.raises(NotFound):
        revoke(db_session, 404, now=utcnow())


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_key_revoked_by_another_process_stops_working_within_the_recent_window(
    db_session: Session,
) -> None:
    _, plain = create_key(db_session, "crm", ["send"], now=utcnow())
    db_session.commit()
    clock = Clock()
    recent = RecentKeys(2.0, clock=clock)
    assert authenticate_recent(db_session, plain, now=utcnow(), recent=recent) is not None
    db_session.commit()
    # As `cellgate apikey revoke` does it: another process, this one is not told.
    db_session.execute(update(ApiKey).values(revoked_at=utcnow()))
    db_session.commit()
    clock.now = 1.9
    assert authenticate_recent(db_session, plain, now=utcnow(), recent=recent) is not None
    clock.now = 2.0
    assert authenticate_recent(db_session, plain, now=utcnow(), recent=recent) is None


def test_a_key_revoked_in_this_process_stops_working_at_once(db_session: Session) -> None:
    key, plain = create_key(db_session, "crm", ["send"], now=utcnow())
    db_session.commit()
    assert authenticate_recent(db_session, plain, now=utcnow()) is not None
    db_session.commit()
    revoke(db_session, key.id, now=utcnow())
    db_session.commit()
    assert authenticate_recent(db_session, plain, now=utcnow()) is None


def test_a_remembered_key_still_notes_its_last_use_each_minute(db_session: Session) -> None:
    key, plain = create_key(db_session, "crm", ["send"], now=utcnow())
    db_session.commit()
    recent = RecentKeys(2.0, clock=Clock())
    first = utcnow()
    caller = authenticate_recent(db_session, plain, now=first, recent=recent)
    assert caller is not None
    assert caller.last_used_at == first
    db_session.commit()
    assert authenticate_recent(db_session, plain, now=first + timedelta(seconds=1), recent=recent)
    assert not db_session.dirty
    later = first + timedelta(minutes=1)
    assert authenticate_recent(db_session, plain, now=later, recent=recent) is not None
    assert key.last_used_at == later


def test_a_wrong_key_is_never_remembered(db_session: Session) -> None:
    _, plain = create_key(db_session, "crm", ["send"], now=utcnow())
    forged = plain[:-1] + ("A" if plain[-1] != "A" else "B")
    assert authenticate_recent(db_session, forged, now=utcnow()) is None
    assert recent_keys.get(digest(forged)) is None


# -- the CLI --


@pytest.fixture
def cli(tmp_path: Path) -> CliRunner:
    """A runner whose config points at a fresh, migrated SQLite database."""
    config = tmp_path / "cellgate.toml"
    config.write_text('[gateway]\ndata_dir = "data"\n[webhooks]\ntimeout_seconds = 2.0\n')
    runner = CliRunner(env={"CELLGATE_CONFIG": str(config)})
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    return runner


def run(cli: CliRunner, *args: str) -> Result:
    result = cli.invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result


def test_apikey_create_prints_the_key_once_and_list_never_does(
    cli: CliRunner, tmp_path: Path
) -> None:
    created = run(cli, "apikey", "create", "crm", "--scope", "send", "--scope", "read")
    plain = re.search(r"cg_\w{8}_[\w-]{43}", created.output)
    assert plain is not None
    listed = run(cli, "apikey", "list").output
    assert "crm" in listed
    assert "read send" in listed
    assert "never" in listed
    assert plain.group(0) not in listed


def test_apikey_revoke_marks_the_key_revoked(cli: CliRunner) -> None:
    run(cli, "apikey", "create", "old", "--scope", "admin")
    assert "revoked" in run(cli, "apikey", "revoke", "1").output
    assert "revoked" in run(cli, "apikey", "list").output
    missing = cli.invoke(main, ["apikey", "revoke", "99"])
    assert missing.exit_code == 2
    assert "no API key 99" in missing.output


def test_apikey_create_needs_a_known_scope(cli: CliRunner) -> None:
    result = cli.invoke(main, ["apikey", "create", "crm", "--scope", "root"])
    assert result.exit_code == 2


def test_webhook_commands_add_list_test_log_and_remove(cli: CliRunner) -> None:
    added = run(cli, "webhook", "add", "http://127.0.0.1:9/hook", "--event", "message.status")
    assert "whsec_" in added.output
    assert "message.status" in run(cli, "webhook", "list").output
    tested = cli.invoke(main, ["webhook", "test", "1"])
    assert tested.exit_code == 2
    assert "will be retried" in tested.output
    assert "webhook.test" in run(cli, "webhook", "log", "1").output
    run(cli, "webhook", "remove", "1")
    assert run(cli, "webhook", "list").output == ""


def test_webhook_add_refuses_a_non_http_url(cli: CliRunner) -> None:
    result = cli.invoke(main, ["webhook", "add", "file:///etc/passwd"])
    assert result.exit_code == 2
    assert "http://" in result.output
