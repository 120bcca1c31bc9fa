"""The hand-written migrations create exactly the tables the models describe."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from gateway import migrate
from gateway.models import Base


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_the_queue_migration_downgrades_and_upgrades_cleanly(engine: Engine) -> None:
    config = migrate.alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    assert set(inspect(engine).get_table_names()) == {"alembic_version", "users"}
    migrate.upgrade(engine)
    assert {"messages", "message_parts", "modems", "nodes"} <= set(
        inspect(engine).get_table_names()
    )
