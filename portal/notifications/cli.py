"""``flask notifications run-due``: the reminders and digests that are due, now."""

from __future__ import annotations

import click
from flask.cli import AppGroup

notifications_cli = AppGroup("notifications", help="Notifications, reminders and digests.")


@notifications_cli.command("run-due")
def run_due_command() -> None:
    """Make the due reminders and digests and queue their e-mail (safe to run any time: nothing
    is sent twice)."""
    from portal.notifications.schedule import run_due

    counts = run_due()
    for name, count in counts.items():
        click.echo(f"{name}: {count}")
