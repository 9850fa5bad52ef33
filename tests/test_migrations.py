"""The schema comes from Alembic migrations only, on SQLite and on PostgreSQL."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from campaign import create_app
from campaign.extensions import db
from tests.databases import BACKENDS

TABLES = {"organiser", "campaign", "campaign_admin", "event", "alembic_version"}


pytestmark = pytest.mark.parametrize("empty_database_url", BACKENDS, indirect=True)


@pytest.fixture
def empty_app(empty_database_url):
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": empty_database_url}
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def test_db_upgrade_command_builds_the_schema_on_an_empty_database(empty_app):
    result = empty_app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with empty_app.app_context():
        assert set(inspect(db.engine).get_table_names()) >= TABLES


def test_migrations_match_the_models(empty_app):
    with empty_app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_downgrade_to_base_and_up_again(empty_app):
    with empty_app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert set(inspect(db.engine).get_table_names()) >= TABLES
