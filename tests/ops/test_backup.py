"""``flask backup create`` and ``flask backup restore`` on the suite's database (SQLite by default,
PostgreSQL with TEST_DATABASE_URL): pg_dump/pg_restore or SQLite's online backup API."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.engine import make_url

from bench.bulk import BulkLoader
from portal.accounts.models import User
from portal.audit.models import AuditEvent
from portal.content.models import TextVersion
from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.needs.models import Need
from portal.ops import backup


def table_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def sample_rows() -> dict[str, list]:
    return {
        "users": db.session.execute(
            select(User.id, User.email, User.name, User.password_hash).order_by(User.id)
        ).all(),
        "needs": db.session.execute(
            select(Need.id, Need.status, Need.visibility, Need.version, Need.created_at).order_by(
                Need.id
            )
        ).all(),
        "versions": db.session.execute(
            select(TextVersion.id, TextVersion.lang, TextVersion.body)
            .order_by(TextVersion.id)
            .limit(50)
        ).all(),
        "alembic": db.session.execute(text("SELECT version_num FROM alembic_version")).all(),
    }


@pytest.fixture
def populated(app):
    """A few records of every kind: reference data, the cast, and a small bulk data set."""
    loader = BulkLoader(12, 6, 3, seed=5, batch_size=100)
    loader.load()
    db.session.expire_all()
    counts = table_counts()
    assert counts["needs"] == 12 and counts["projects"] == 3 and counts["matches"] >= 3
    return counts


def _vandalise() -> None:
    """Change, delete and add data after the backup was taken."""
    db.session.execute(update(User).values(name="Changed"))
    db.session.execute(update(Need).values(status="withdrawn", version=Need.version + 1))
    db.session.execute(delete(AuditEvent))
    db.session.execute(text("DELETE FROM offer_themes"))
    db.session.add(OutboxMessage(recipient="x@example.org", subject="after the backup", body="..."))
    db.session.commit()


def test_round_trip_restores_every_table(app, runner, populated, tmp_path):
    before_counts, before_rows = table_counts(), sample_rows()
    target = tmp_path / "portal.backup"

    result = runner.invoke(args=["backup", "create", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert target.is_file() and target.stat().st_size > 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # it holds password hashes
    assert not list(tmp_path.glob("*.partial"))

    _vandalise()
    assert table_counts() != before_counts
    assert sample_rows() != before_rows

    db.session.remove()  # nothing of ours holds a lock while the restore runs
    result = runner.invoke(args=["backup", "restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    assert "Restored" in result.output

    db.session.remove()
    assert table_counts() == before_counts
    assert sample_rows() == before_rows
    # The application works on the restored database, and keeps getting fresh ids.
    db.session.add(OutboxMessage(recipient="y@example.org", subject="after restore", body="."))
    db.session.commit()
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == (
        before_counts["outbox_messages"] + 1
    )


def test_restore_asks_first_and_changes_nothing_when_declined(app, runner, populated, tmp_path):
    target = tmp_path / "portal.backup"
    assert runner.invoke(args=["backup", "create", "-o", str(target)]).exit_code == 0
    _vandalise()
    changed = table_counts()
    db.session.remove()

    result = runner.invoke(args=["backup", "restore", str(target)], input="n\n")
    assert result.exit_code != 0
    assert "replaces everything" in result.output and "Aborted" in result.output
    db.session.remove()
    assert table_counts() == changed

    result = runner.invoke(args=["backup", "restore", str(target)], input="y\n")
    assert result.exit_code == 0, result.output
    db.session.remove()
    assert table_counts() == populated


def test_restore_refuses_a_file_that_is_no_backup(app, runner, populated, tmp_path):
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"this is not a backup" * 100)
    result = runner.invoke(args=["backup", "restore", str(junk), "--yes"])
    assert result.exit_code != 0
    assert "Error" in result.output
    db.session.remove()
    assert table_counts() == populated


def test_failed_backup_leaves_no_file(app, tmp_path):
    url = make_url(str(db.engine.url.render_as_string(hide_password=False)))
    if url.get_backend_name() == "postgresql":
        broken = url.set(database="portal_no_such_database")
    else:
        broken = url.set(database=str(tmp_path / "missing.db"))
    target = tmp_path / "out.backup"
    with pytest.raises(backup.BackupError):
        backup.create_backup(broken, target)
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- the PostgreSQL connection


def test_password_goes_through_the_environment_never_the_command_line():
    url = make_url(
        "postgresql+psycopg://portal:s3cr%40t@db.internal:6543/portal_prod?sslmode=require"
    )
    command = backup.pg_connection(url, base_env={"PATH": "/usr/bin"})
    assert "s3cr@t" not in " ".join(command.args)
    assert command.env["PGPASSWORD"] == "s3cr@t"
    assert command.env["PGSSLMODE"] == "require"
    assert command.env["PATH"] == "/usr/bin"
    assert command.args == [
        "--host=db.internal",
        "--port=6543",
        "--username=portal",
        "--dbname=portal_prod",
        "--no-password",
    ]


def test_unix_socket_host_from_the_query_and_no_password():
    url = make_url("postgresql:///portal?host=/var/run/postgresql")
    command = backup.pg_connection(url, base_env={})
    assert command.args == ["--host=/var/run/postgresql", "--dbname=portal", "--no-password"]
    assert "PGPASSWORD" not in command.env


def test_default_backup_names():
    now = datetime(2026, 11, 26, 17, 5, 9, tzinfo=UTC)
    pg = backup.default_backup_path("postgresql://u@h/portal", Path("/b"), now)
    assert pg == Path("/b/portal-20261126T170509Z.dump")
    lite = backup.default_backup_path("sqlite:////srv/instance/portal.db", Path("/b"), now)
    assert lite == Path("/b/portal-20261126T170509Z.sqlite3")
    with pytest.raises(backup.BackupError):
        backup.default_backup_path("mysql://u@h/portal", Path("/b"), now)
