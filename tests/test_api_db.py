"""The schema: migrations match the models, and upgrading keeps what was saved."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import text

from api.db import MIGRATIONS, make_engine, migrate
from api.models import Base


def _config(connection: object) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def test_the_migrations_build_exactly_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []


def test_upgrading_keeps_every_saved_row(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.begin() as connection:
        command.upgrade(_config(connection), "0001")
        connection.execute(
            text("INSERT INTO organisations (id, name, created_at) VALUES ('o', 'North', '2027-01-01')")
        )
    migrate(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT name FROM organisations")).scalars().all() == ["North"]
        assert "result" in list(connection.execute(text("SELECT * FROM jobs")).keys())
    engine.dispose()
