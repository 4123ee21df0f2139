"""Backups of the portal's database and restores from them.

PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean --if-exists`` in one transaction,
with the connection taken from the SQLAlchemy URL (the password goes through ``PGPASSWORD``,
never on the command line). SQLite: the online backup API, which copies a consistent snapshot
while the portal keeps running, and copies a backup back into the live file the same way.

A backup holds everything, password hashes and encrypted second-factor secrets included: the
files are created readable by their owner only.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url

# libpq reads these from the environment; URL query parameters of the same name map onto them.
_LIBPQ_QUERY_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslcrl": "PGSSLCRL",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
    "options": "PGOPTIONS",
}
# A restore waits at most this long for a lock (an app server still holding a table) instead of
# hanging; the transaction is then rolled back and nothing has changed.
RESTORE_LOCK_TIMEOUT = "60s"
# The table every portal database has (Alembic's), to refuse restoring something else.
MARKER_TABLE = "alembic_version"


class BackupError(RuntimeError):
    """A backup or restore could not be made; the message says why."""


@dataclass(frozen=True)
class PgCommand:
    """Arguments and environment for a PostgreSQL client program."""

    args: list[str]
    env: dict[str, str]


def _url(database_url: str | URL) -> URL:
    return make_url(database_url) if isinstance(database_url, str) else database_url


def backend(database_url: str | URL) -> str:
    name = _url(database_url).get_backend_name()
    if name not in ("postgresql", "sqlite"):
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {name}.")
    return name


def describe(database_url: str | URL) -> str:
    """The URL without its password, for messages."""
    return _url(database_url).render_as_string(hide_password=True)


def pg_connection(database_url: str | URL, base_env: dict[str, str] | None = None) -> PgCommand:
    """Command-line arguments and environment that connect a libpq program to the URL's database.

    The password is only ever put in the environment (``PGPASSWORD``).
    """
    url = _url(database_url)
    env = dict(os.environ if base_env is None else base_env)
    args: list[str] = []
    query = {k: (v[0] if isinstance(v, tuple) else v) for k, v in url.query.items()}
    host = url.host or query.pop("host", None)
    query.pop("host", None)
    if host:
        args.append(f"--host={host}")
    port = url.port or query.pop("port", None)
    query.pop("port", None)
    if port:
        args.append(f"--port={port}")
    if url.username:
        args.append(f"--username={url.username}")
    if not url.database:
        raise BackupError("The database URL names no database.")
    args.append(f"--dbname={url.database}")
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    for key, value in query.items():
        variable = _LIBPQ_QUERY_ENV.get(key)
        if variable is not None:
            env[variable] = str(value)
    args.append("--no-password")  # never prompt: fail if the password is missing or wrong
    return PgCommand(args, env)


def default_backup_path(
    database_url: str | URL, directory: Path, now: datetime | None = None
) -> Path:
    url = _url(database_url)
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    name = Path(url.database or "portal").stem if backend(url) == "sqlite" else url.database
    suffix = ".dump" if backend(url) == "postgresql" else ".sqlite3"
    return directory / f"{name}-{stamp}{suffix}"


def _private_file(path: Path) -> None:
    """Create ``path`` empty, readable and writable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def _program(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (PostgreSQL client programs are needed).")
    return found


def _run(args: list[str], env: dict[str, str], stdout=None) -> subprocess.CompletedProcess:
    result = subprocess.run(  # nosec B603  # noqa: S603 (fixed program, arguments from our own URL)
        args,
        env=env,
        stdout=stdout if stdout is not None else subprocess.PIPE,
        stderr=subprocess.PIPE,
        check=False,
    )
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip()
        raise BackupError(f"{Path(args[0]).name} failed: {message or result.returncode}")
    return result


def _sqlite_path(database_url: str | URL) -> Path:
    database = _url(database_url).database
    if not database or database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(database)


# ------------------------------------------------------------------------------- create


def create_backup(database_url: str | URL, output: Path) -> Path:
    """Write a backup of the database to ``output`` (replaced atomically) and return it."""
    output = Path(output)
    partial = output.with_name(output.name + ".partial")
    _private_file(partial)
    try:
        if backend(database_url) == "postgresql":
            command = pg_connection(database_url)
            with partial.open("wb") as out:
                _run(
                    [
                        _program("pg_dump"),
                        "--format=custom",
                        "--no-privileges",
                        *command.args,
                    ],
                    command.env,
                    stdout=out,
                )
        else:
            source_path = _sqlite_path(database_url)
            if not source_path.exists():
                raise BackupError(f"There is no database file at {source_path}.")
            source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
            target = sqlite3.connect(partial)
            try:
                with target:
                    source.backup(target)
            finally:
                target.close()
                source.close()
        verify_backup(database_url, partial)
        partial.replace(output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return output


# ------------------------------------------------------------------------------- verify


def verify_backup(database_url: str | URL, path: Path) -> None:
    """Refuse a file that is not a readable backup of a portal database for this backend."""
    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        raise BackupError(f"{path} is not a backup file.")
    if backend(database_url) == "postgresql":
        listing = _run([_program("pg_restore"), "--list", str(path)], dict(os.environ))
        lines = listing.stdout.decode("utf-8", "replace").splitlines()
        marker = re.compile(rf"\bTABLE \S+ {MARKER_TABLE}\b")
        if not any(marker.search(line) for line in lines):
            raise BackupError(f"{path} is not a backup of a portal database.")
        return
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            ok = conn.execute("PRAGMA quick_check").fetchone()
            has_marker = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (MARKER_TABLE,)
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not an SQLite backup: {error}") from None
    if not ok or ok[0] != "ok":
        raise BackupError(f"{path} is damaged: {ok[0] if ok else 'no answer'}")
    if not has_marker:
        raise BackupError(f"{path} is not a backup of a portal database.")


# ------------------------------------------------------------------------------- restore


def restore_backup(database_url: str | URL, path: Path) -> None:
    """Replace every table of the database with the backup's content.

    PostgreSQL restores in one transaction: if anything fails, the database is as it was.
    Close the portal's own connections first (app servers may keep running, but their open
    transactions hold locks the restore waits for).
    """
    path = Path(path)
    verify_backup(database_url, path)
    if backend(database_url) == "postgresql":
        command = pg_connection(database_url)
        env = dict(command.env)
        env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} -c lock_timeout={RESTORE_LOCK_TIMEOUT}"
        _run(
            [
                _program("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                *command.args,
                str(path),
            ],
            env,
        )
        return
    target_path = _sqlite_path(database_url)
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    target = sqlite3.connect(target_path, timeout=30)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


# ------------------------------------------------------------------------------- document files
# The documents' files (portal.documents.storage) go next to the database backup, in
# ``<backup>.files.tar``: named by their sha256, they are only ever added, so a restore puts
# back every file the restored database may refer to (files added since stay; nothing refers
# to them).


def files_archive_path(backup_path: Path) -> Path:
    return backup_path.with_name(backup_path.name + ".files.tar")


def create_files_backup(files_dir: Path, backup_path: Path) -> Path | None:
    """Archive the stored files (not the temporary area) beside the backup; None when there
    are none. Written to a temporary name and renamed, readable by its owner only."""
    import tarfile

    if not files_dir.is_dir():
        return None
    target = files_archive_path(backup_path)
    partial = target.with_name(target.name + ".partial")
    _private_file(partial)
    try:
        with tarfile.open(partial, "w") as archive:
            for path in sorted(files_dir.rglob("*")):
                relative = path.relative_to(files_dir)
                if path.is_file() and relative.parts[0] != "tmp":
                    archive.add(path, arcname=str(relative))
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target


def restore_files_backup(files_dir: Path, backup_path: Path) -> int:
    """Put back the files archived beside the backup (when there is an archive); how many."""
    import tarfile

    archive_path = files_archive_path(backup_path)
    if not archive_path.is_file():
        return 0
    files_dir.mkdir(parents=True, exist_ok=True)
    count = 0
    with tarfile.open(archive_path) as archive:
        for member in archive.getmembers():
            if not member.isfile():
                continue
            # Only sha256-named files in their two-level folders, never a path outside.
            parts = Path(member.name).parts
            if len(parts) != 3 or not re.fullmatch(r"[0-9a-f]{64}", parts[2]):
                raise BackupError(f"Unexpected file in the files archive: {member.name}")
            archive.extract(member, files_dir, filter="data")
            count += 1
    return count
