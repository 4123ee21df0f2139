"""Command-line tasks: ``flask seed reference|demo|bulk``, ``flask users create|deactivate``,
``flask backup create|restore``, ``flask suggestions refresh``, ``flask access reconcile`` and
``flask documents sweep``."""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from portal.core.enums import Role
from portal.extensions import db

seed_cli = AppGroup("seed", help="Load reference or demo data.")
suggestions_cli = AppGroup("suggestions", help="The precomputed match suggestions.")
access_cli = AppGroup(
    "access", help="Who may see each restricted need and offer (need_access, offer_access)."
)
users_cli = AppGroup("users", help="Manage user accounts.")
documents_cli = AppGroup("documents", help="The stored document files.")
backup_cli = AppGroup("backup", help="Back up the database or restore it from a backup.")


@seed_cli.command("reference")
def seed_reference() -> None:
    """Cities, organisations, themes, districts and the default agreement (idempotent)."""
    from portal.seed.reference import load_reference

    load_reference()
    click.echo("Reference data loaded.")


@seed_cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Only when the database holds no needs yet.")
def seed_demo(if_empty: bool) -> None:
    """A believable Stockholm–Kyiv dataset with demo accounts (never in production)."""
    if not current_app.config.get("DEMO_ALLOWED"):
        raise click.ClickException("Demo data is refused in a production configuration.")
    from portal.seed.demo import load_demo
    from portal.seed.reference import load_reference

    load_reference()
    created = load_demo(only_if_empty=if_empty)
    click.echo("Demo data loaded." if created else "Demo data already present; nothing changed.")
    if created:
        _after_loading()


@seed_cli.command("bulk")
@click.option("--needs", default=1000, show_default=True, type=click.IntRange(min=0))
@click.option("--offers", default=300, show_default=True, type=click.IntRange(min=0))
@click.option("--projects", default=100, show_default=True, type=click.IntRange(min=0))
@click.option("--seed", "random_seed", type=int, help="Random seed, for a repeatable data set.")
@click.option("--batch-size", default=5000, show_default=True, type=click.IntRange(min=100))
def seed_bulk(needs: int, offers: int, projects: int, random_seed: int | None, batch_size: int):
    """Many needs, offers, matches and projects for benchmarks (never in production).

    Adds to what is there, in one transaction (bench/bulk). The bulk accounts (e-mail domain
    bulk.example.org) share the password PORTAL_BULK_PASSWORD (default kyiv-stockholm-bulk-data).
    """
    if not current_app.config.get("DEMO_ALLOWED"):
        raise click.ClickException("Bulk data is refused in a production configuration.")
    try:  # the loader lives with the benchmarks, in the source tree, not in the portal package
        from bench.bulk import BULK_TOTP_SECRET, DEFAULT_PASSWORD, BulkError, BulkLoader
    except ImportError:
        raise click.ClickException(
            "The bulk loader (bench/bulk) is not importable: run this from the source tree."
        ) from None
    from portal.seed.reference import load_reference

    load_reference()
    try:
        loader = BulkLoader(
            needs,
            offers,
            projects,
            seed=random_seed,
            batch_size=batch_size,
            password=os.environ.get("PORTAL_BULK_PASSWORD") or DEFAULT_PASSWORD,
        )
        click.echo("Planning...")
        loader.plan()
    except BulkError as error:
        raise click.ClickException(str(error)) from None
    with click.progressbar(
        length=loader.total, label="Inserting", show_pos=True, show_eta=True
    ) as bar:
        result = loader.load(progress=bar.update)
    from portal.reference import lists as reference_lists

    reference_lists.forget()  # the loader may have added organisations
    click.echo(result.summary())
    _after_loading()
    click.echo(
        "Accounts: <role>-<organisation id>-<n>@bulk.example.org; coordinators and the admin "
        f"use the authenticator secret {BULK_TOTP_SECRET}."
    )


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option(
    "--organisation",
    "organisation_name",
    required=True,
    help="The organisation's name (English or Swedish or Ukrainian).",
)
@click.password_option()
def users_create(email: str, name: str, role: str, organisation_name: str, password: str) -> None:
    """Create an account."""
    from portal.accounts.services import AccountError, create_user
    from portal.reference.models import Organisation

    org = db.session.scalar(
        db.select(Organisation).where(
            db.or_(
                Organisation.name_en == organisation_name,
                Organisation.name_sv == organisation_name,
                Organisation.name_uk == organisation_name,
            )
        )
    )
    if org is None:
        raise click.ClickException(f"No organisation named {organisation_name!r}.")
    try:
        create_user(
            email=email, name=name, password=password, role=Role(role), organisation=org, actor=None
        )
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Created {email}.")


@users_cli.command("deactivate")
@click.option("--email", required=True)
def users_deactivate(email: str) -> None:
    """Deactivate an account and end its sessions."""
    from portal.accounts.models import User
    from portal.accounts.services import normalise_email, set_active

    user = db.session.scalar(db.select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise click.ClickException(f"No account {email}.")
    set_active(user, False, actor=user)
    db.session.commit()
    click.echo(f"Deactivated {email}.")


@backup_cli.command("create")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="The backup file (default: instance/backups/<database>-<UTC time>.dump or .sqlite3).",
)
def backup_create(output: Path | None) -> None:
    """Back up the whole database: pg_dump on PostgreSQL, the online backup API on SQLite."""
    from portal.ops import backup

    url = db.engine.url
    target = output or backup.default_backup_path(url, Path(current_app.instance_path) / "backups")
    try:
        backup.create_backup(url, target)
        files = backup.create_files_backup(Path(current_app.config["FILES_DIR"]), target)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backed up {backup.describe(url)} to {target}.")
    if files is not None:
        click.echo(f"Backed up the document files to {files}.")


@backup_cli.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def backup_restore(path: Path, yes: bool) -> None:
    """Replace every record in the database with the content of the backup PATH."""
    from portal.ops import backup

    url = db.engine.url
    try:
        backup.verify_backup(url, path)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    if not yes:
        click.confirm(
            f"This replaces everything in {backup.describe(url)} with the backup {path}. Continue?",
            abort=True,
        )
    db.session.remove()
    db.engine.dispose()  # this process holds no connection (and no lock) during the restore
    try:
        backup.restore_backup(url, path)
        files = backup.restore_files_backup(Path(current_app.config["FILES_DIR"]), path)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    if files:
        click.echo(f"Restored {files} document files.")
    click.echo(
        f"Restored {backup.describe(url)} from {path}. "
        "Run 'flask db upgrade' if the backup is older than this version of the portal."
    )


@users_cli.command("totp-code")
@click.option("--email", required=True)
def users_totp_code(email: str) -> None:
    """Print the current sign-in code of an account (demo and development only)."""
    import pyotp

    from portal.accounts.models import User
    from portal.accounts.services import normalise_email
    from portal.accounts.twofactor import decrypt_secret

    if not current_app.config.get("DEMO_ALLOWED"):
        raise click.ClickException("Refused in a production configuration.")
    user = db.session.scalar(db.select(User).where(User.email == normalise_email(email)))
    secret = decrypt_secret(user.totp_secret_encrypted) if user and user.has_totp else None
    if secret is None:
        raise click.ClickException(f"{email} has no second factor.")
    click.echo(pyotp.TOTP(secret).now())


@users_cli.command("reencrypt-totp")
def users_reencrypt_totp() -> None:
    """Rewrite every second-factor secret under the current TOTP_ENCRYPTION_KEY (after a key
    rotation: the old key stays in TOTP_ENCRYPTION_KEY_FALLBACKS until this has run)."""
    from portal.accounts.twofactor import reencrypt_all

    rewritten, unreadable = reencrypt_all()
    db.session.commit()
    click.echo(f"Re-encrypted {rewritten} second-factor secrets under the current key.")
    if unreadable:
        raise click.ClickException(
            f"{unreadable} secrets could not be decrypted with any configured key (see the log); "
            "those people must set up two-factor sign-in again."
        )


def _after_loading() -> None:
    """Rows written around the session (the bulk loader's inserts) leave the access table and
    the stored suggestions behind: both are made whole again."""
    from portal.matching import access, precomputed

    found = access.reconcile(fix=True)
    db.session.commit()
    if found:
        click.echo(f"Access: {len(found.missing)} grants added, {len(found.extra)} removed.")
    click.echo(f"Suggestions: {precomputed.refresh_all()} lists computed.")


@suggestions_cli.command("refresh")
def suggestions_refresh() -> None:
    """Compute every live need's and open offer's suggestions again (after bulk loading, or
    once a day: a list counts the wanted period from the day it was computed)."""
    from portal.matching import precomputed

    click.echo(f"{precomputed.refresh_all()} lists computed.")


@documents_cli.command("sweep")
@click.option(
    "--older-than-days",
    type=click.IntRange(min=0),
    default=7,
    show_default=True,
    help="Only files last written longer ago than this.",
)
@click.option("--dry-run", is_flag=True, help="Only list what would be removed.")
def documents_sweep(older_than_days: int, dry_run: bool) -> None:
    """Remove stored files no document version refers to (left by uploads whose request was
    rolled back) and unfinished uploads (also done once a day by the job scheduler)."""
    from datetime import timedelta

    from portal.documents import services

    orphans, staged = services.sweep(timedelta(days=older_than_days), dry_run=dry_run)
    for sha256 in orphans:
        click.echo(f"{'would remove' if dry_run else 'removed'}: {sha256}")
    verb = "Would remove" if dry_run else "Removed"
    click.echo(f"{verb} {len(orphans)} unreferenced files and {staged} unfinished uploads.")


RECONCILE_SHOWN = 50


@access_cli.command("reconcile")
@click.option("--check", is_flag=True, help="Only report; exit 1 when anything differs.")
@click.option("--list-all", is_flag=True, help="List every row that differs, not the first 50.")
def access_reconcile(check: bool, list_all: bool) -> None:
    """Compare need_access and offer_access with the visibility rule (the live matches) and
    fix what differs."""
    from portal.matching import access

    found = access.reconcile(fix=not check)
    db.session.commit()
    rows = [("missing", *row) for row in sorted(found.missing)]
    rows += [("extra", *row) for row in sorted(found.extra)]
    # After a bulk load every grant is missing (83,191 at 100,000 needs): the first ones say
    # what happened, the counts below say how much.
    shown = rows if list_all else rows[:RECONCILE_SHOWN]
    for what, kind, posting_id, organisation_id in shown:
        click.echo(f"{what}: {kind} {posting_id} for organisation {organisation_id}")
    if len(shown) < len(rows):
        click.echo(f"… and {len(rows) - len(shown)} more (--list-all lists them).")
    if not found:
        click.echo("need_access and offer_access agree with the rule.")
    elif check:
        raise click.exceptions.Exit(1)
    else:
        click.echo(f"Fixed {len(found.missing)} missing and {len(found.extra)} extra rows.")


def register_cli(app: Flask) -> None:
    app.cli.add_command(seed_cli)
    app.cli.add_command(suggestions_cli)
    app.cli.add_command(access_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(backup_cli)
    app.cli.add_command(documents_cli)
    from portal.notifications.cli import notifications_cli

    app.cli.add_command(notifications_cli)
