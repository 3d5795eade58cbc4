"""`flask --app web users ...`: create and list staff accounts; demo logins for development.

`users create EMAIL --role admin|case_manager|peer_worker [--password PW]`. Without
--password it asks (hidden, twice) when run in a terminal, or generates one and prints it once.
"""
from __future__ import annotations

import json
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from directory import db
from directory.staff import accounts
from directory.staff.accounts import ROLES, AccountError

users_cli = AppGroup("users", help="Staff accounts: admins, case managers, peer workers.")


def _schema() -> None:
    db.upgrade()


@users_cli.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(list(ROLES)), help="What the person may do.")
@click.option("--password", default=None, help="At least 12 characters. Omit to be asked, or to get a generated one.")
def create(email, role, password):
    """Create a user who can sign in at /login."""
    _schema()
    generated = False
    if password is None:
        if sys.stdin.isatty():
            password = click.prompt("Password (12+ characters)", hide_input=True, confirmation_prompt=True)
        else:
            password, generated = accounts.generate_password(), True
    try:
        with db.Session.begin() as s:
            user = accounts.create_user(s, email, role, password)
            email = user.email
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created {email} ({ROLES[role].lower()}).")
    if generated:
        click.echo(f"Password (shown once): {password}")
    if role in accounts.TOTP_ROLES:
        click.echo("They will set up an authenticator app at /account/totp"
                   + (" before using Signpost." if current_app.config.get("REQUIRE_TOTP") else " (offered)."))


@users_cli.command("list")
def list_users():
    """Users as JSON lines (no secrets)."""
    _schema()
    with db.Session() as s:
        for u in accounts.list_users(s):
            click.echo(json.dumps({"email": u.email, "role": u.role, "active": u.active, "totp": u.totp_enabled,
                                   "last_login_at": u.last_login_at.isoformat() if u.last_login_at else None}))


def demo_logins() -> list[tuple[str, str, str]]:
    """[(email, role, password)] of the demo users, for `make run` to print at start-up."""
    return [(email, role, accounts.DEMO_PASSWORD) for email, role in accounts.DEMO_USERS]


@users_cli.command("demo")
def demo():
    """Create the demo users (development only) and print their logins."""
    if current_app.config.get("SIGNPOST_ENV", "development") != "development":
        raise click.ClickException("Demo users exist only in development (SIGNPOST_ENV=development).")
    _schema()
    with db.Session.begin() as s:
        logins = accounts.ensure_demo_users(s)
    click.echo("Demo logins (development only; second factor offered, not required):")
    for email, role, password in logins:
        click.echo(f"  {ROLES[role]:<13} {email:<32} {password}")


def register(app) -> None:
    app.cli.add_command(users_cli)
