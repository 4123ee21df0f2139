"""The schema is built by migrations alone, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from portal import create_app
from portal.extensions import db


@pytest.fixture
def empty_app(databases):
    """An app on a database with no tables at all."""
    url = databases.fresh()
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        downgrade(revision="base")
        assert inspect(db.engine).get_table_names() == ["alembic_version"]
        yield app
        db.session.remove()
        db.engine.dispose()
    databases.drop(url)


def test_upgrade_from_empty_builds_the_whole_schema_without_drift(empty_app):
    upgrade()
    tables = set(inspect(db.engine).get_table_names())
    assert set(db.metadata.tables) <= tables
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "render_as_batch": True}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_downgrade_to_base_and_up_again(empty_app):
    upgrade()
    downgrade(revision="base")
    assert "needs" not in inspect(db.engine).get_table_names()
    upgrade()
    assert "needs" in inspect(db.engine).get_table_names()
