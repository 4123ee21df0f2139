"""Command-line tasks: ``flask seed reference|demo`` and ``flask users create|deactivate``."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from portal.core.enums import Role
from portal.extensions import db

seed_cli = AppGroup("seed", help="Load reference or demo data.")
users_cli = AppGroup("users", help="Manage user accounts.")


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


def register_cli(app: Flask) -> None:
    app.cli.add_command(seed_cli)
    app.cli.add_command(users_cli)
