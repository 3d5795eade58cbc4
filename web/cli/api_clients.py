"""`flask --app web api-clients ...`: the clinics' systems that send FHIR referrals.

`create NAME` prints the new bearer token alone on its last line (shown once; only its hash is
kept); `list` shows names, when made, whether revoked; `revoke NAME` ends a token at once.
"""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from directory import db
from directory.referrals.clients import ApiClient, ClientError, create_client, revoke_client

clients_cli = AppGroup("api-clients", help="API clients (clinics' FHIR systems) and their tokens.")


@clients_cli.command("create")
@click.argument("name")
def create(name):
    """Make a client; its token is printed once, alone on the last line."""
    db.upgrade()
    try:
        with db.Session.begin() as s:
            client, token = create_client(s, name)
            source = client.source
    except ClientError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created API client '{name.strip().lower()}' (its referrals' source: {source}). "
               "The token is shown once; send it as 'Authorization: Bearer <token>':")
    click.echo(token)


@clients_cli.command("list")
def list_clients():
    """Each client: name, created, revoked."""
    db.upgrade()
    with db.Session() as s:
        rows = s.scalars(select(ApiClient).order_by(ApiClient.name)).all()
        if not rows:
            click.echo("No API clients yet: flask --app web api-clients create NAME")
        for c in rows:
            state = f"revoked {c.revoked_at:%Y-%m-%d %H:%M}" if c.revoked_at else "active"
            click.echo(f"{c.name:<40} created {c.created_at:%Y-%m-%d %H:%M}  {state}")


@clients_cli.command("revoke")
@click.argument("name")
def revoke(name):
    """End a client's token now (its referrals stay)."""
    db.upgrade()
    try:
        with db.Session.begin() as s:
            revoke_client(s, name)
    except ClientError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Revoked API client '{name.strip().lower()}'.")


def register(app) -> None:
    app.cli.add_command(clients_cli)
