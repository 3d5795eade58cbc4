"""`flask --app web sms ...`: the outbox (JSON lines, a contract), the retention purge, the follow-ups."""
from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import AppGroup

from directory import db
from directory import settings as app_settings
from directory.texting.follow_ups import send_due_follow_ups
from directory.texting import retention
from directory.people import phones
from directory.people.outbox import list_outbox

sms_cli = AppGroup("sms", help="The SMS gateway: outbox, follow-ups, retention purge.")


def _settings() -> app_settings.Settings:
    return current_app.extensions["sms_settings"]


@sms_cli.command("outbox")
@click.option("--limit", default=200, show_default=True, help="How many of the latest texts.")
def outbox(limit):
    """The outbox as JSON lines (to, body, status, created_at), newest last."""
    db.upgrade()
    with db.Session() as s:
        for msg in list_outbox(s, limit):
            # The outbox is where texts end without Twilio: show where each would have gone.
            to = phones.resolve(s, msg.to)[0] or msg.to
            click.echo(json.dumps({"to": to, "body": msg.body, "status": msg.status, "kind": msg.kind,
                                   "referral_id": msg.referral_id,
                                   "created_at": msg.created_at.isoformat(timespec="seconds") + "Z"},
                                  ensure_ascii=False))


@sms_cli.command("purge")
@click.option("--days", type=int, default=None, help="Keep this many days (default: RETENTION_DAYS).")
def purge(days):
    """Delete messages and phone numbers older than the retention period; counts as JSON."""
    db.upgrade()
    click.echo(json.dumps(retention.purge_expired(_settings(), days=days)))


@sms_cli.command("follow-ups")
def follow_ups():
    """Queue the follow-up texts that are due now (the worker does this every minute)."""
    db.upgrade()
    click.echo(json.dumps(send_due_follow_ups(_settings())))


def register(app) -> None:
    app.cli.add_command(sms_cli)
