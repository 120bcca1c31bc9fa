"""The ``cellgate`` command as a user runs it: real processes, real files, real HTTP."""

from __future__ import annotations

import sqlite3
import subprocess
import urllib.request
from pathlib import Path

from gateway import __version__
from tests.plugins.gateway_server import (
    ADMIN_PASSWORD,
    LiveServer,
    cellgate,
    init_database,
    start_server,
    write_config,
)


def run(
    *args: str, config: Path | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cellgate(*args, config=config), input=stdin, text=True, capture_output=True, timeout=60
    )


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"cellgate, version {__version__}"


def test_wrong_config_key_stops_start_up_with_one_line(tmp_path: Path) -> None:
    config = tmp_path / "cellgate.toml"
    config.write_text("[web]\nprot = 8080\n")
    result = run("run", config=config)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"cellgate: {config}: web.prot: unknown key")


def test_config_file_from_environment(tmp_path: Path) -> None:
    config = tmp_path / "cellgate.toml"
    config.write_text("[web]\nport = 0\n")
    result = subprocess.run(
        cellgate("db", "upgrade"),
        text=True,
        capture_output=True,
        timeout=60,
        env={"CELLGATE_CONFIG": str(config), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 2
    assert "web.port: must be a TCP port" in result.stderr


def test_init_creates_the_database_and_the_first_admin_once(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    first = run("init", config=config, stdin=f"{ADMIN_PASSWORD}\n{ADMIN_PASSWORD}\n")
    assert first.returncode == 0, first.stderr
    assert "admin 'admin' created" in first.stdout
    assert (tmp_path / "data" / "cellgate.db").exists()
    second = run("init", config=config)
    assert second.returncode == 0
    assert "an admin exists already" in second.stdout


def test_init_refuses_a_short_password(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    result = run("init", config=config, stdin="short\nshort\n")
    assert result.returncode == 2
    assert "at least 10 characters" in result.stderr


def test_user_add_needs_an_initialised_database(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    result = run("user", "add", "bob", config=config, stdin="agent password\nagent password\n")
    assert result.returncode == 2
    assert "run `cellgate init`" in result.stderr
    init_database(config)
    result = run("user", "add", "bob", config=config, stdin="agent password\nagent password\n")
    assert result.returncode == 0, result.stderr
    assert "agent 'bob' created" in result.stdout


def test_db_upgrade_reports_the_revision(tmp_path: Path) -> None:
    result = run("db", "upgrade", config=write_config(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("database at revision ")


def test_run_serves_the_login_page_and_stops_cleanly_on_sigterm(live_server: LiveServer) -> None:
    with urllib.request.urlopen(f"{live_server.url}/login", timeout=10) as response:
        assert response.status == 200
        assert "Log in to Cellgate" in response.read().decode()
    assert live_server.stop() == 0


def test_run_refuses_an_uninitialised_database(tmp_path: Path) -> None:
    result = run("run", config=write_config(tmp_path))
    assert result.returncode == 2
    assert "run `cellgate init`" in result.stderr


def test_run_reports_a_taken_port(tmp_path: Path, live_server: LiveServer) -> None:
    port = live_server.url.rsplit(":", 1)[1]
    config = tmp_path / "second.toml"
    config.write_text(f'[gateway]\ndata_dir = "data"\n[web]\nport = {port}\n')
    init_database(config)
    result = run("run", config=config)
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_start_server_helper_reports_the_bound_url(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    init_database(config)
    server = start_server(config)
    try:
        assert server.url.startswith("http://127.0.0.1:")
    finally:
        assert server.stop() == 0


def test_backup_copies_the_database_while_it_is_in_use(
    live_server: LiveServer, tmp_path: Path
) -> None:
    assert live_server.config is not None
    (tmp_path / "backups").mkdir()
    result = run("backup", str(tmp_path / "backups"), config=live_server.config)
    assert result.returncode == 0, result.stderr
    copy = tmp_path / "backups" / "cellgate.db"
    assert result.stdout.strip() == f"backup written to {copy}"
    with sqlite3.connect(copy) as connection:
        names = {row[0] for row in connection.execute("SELECT username FROM users")}
    connection.close()
    assert names == {"admin"}


def test_backup_refuses_postgresql(tmp_path: Path) -> None:
    config = tmp_path / "pg.toml"
    config.write_text('[database]\nurl = "postgresql://postgres@127.0.0.1/test"\n')
    result = run("backup", str(tmp_path / "x.db"), config=config)
    assert result.returncode == 2
    assert "use pg_dump" in result.stderr


def test_contacts_import_stores_good_rows_and_names_the_bad_ones(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    init_database(config)
    csv_file = tmp_path / "people.csv"
    csv_file.write_text(
        "number,first_name,tags,consent_source\n"
        "+14155550101,Maria,patient,paper form 2026-03\n"
        "not a number,Tom,,\n"
        "(415) 555-0102,Aisha,member,\n"
    )
    result = run("contacts", "import", str(csv_file), config=config)
    assert result.returncode == 1
    assert result.stdout.strip() == "2 created, 0 updated, 1 refused"
    assert result.stderr.startswith(f"{csv_file}:3: ")
    with sqlite3.connect(tmp_path / "data" / "cellgate.db") as connection:
        numbers = {row[0] for row in connection.execute("SELECT number FROM contacts")}
        consent = connection.execute("SELECT channel, detail FROM consent_events").fetchall()
    connection.close()
    assert numbers == {"+14155550101", "+14155550102"}
    assert consent == [("import", "paper form 2026-03")]
