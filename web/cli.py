"""Flask CLI: `flask --app web directory ...` (GUIDE §2). Each command brings the schema up to date first."""
from __future__ import annotations

import json

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from directory import db

directory_cli = AppGroup("directory", help="The resource directory: schema, demo data, imports, exports.")


def ensure_schema() -> None:
    db.upgrade()


@directory_cli.command("migrate")
def migrate():
    """Bring the database schema up to date (alembic upgrade head)."""
    ensure_schema()
    click.echo(f"Schema is at revision {db.current_revision()} ({db.engine().dialect.name}).")


@directory_cli.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Only seed when the directory has no services yet.")
def seed_demo(if_empty):
    """Write the demo directory (fictional organisations at real places). Idempotent."""
    from directory.demo import has_data, seed_demo as seed
    ensure_schema()
    with db.Session.begin() as s:
        if if_empty and has_data(s):
            click.echo("The directory already has data; demo seed skipped.")
            return
        counts = seed(s)
    click.echo(f"Demo directory written: {counts['organizations']} organizations, {counts['services']} services.")


@directory_cli.command("reindex")
@click.option("--progress/--no-progress", default=True, help="Show a progress bar (on stderr).")
def reindex(progress):
    """Rebuild every search entry and listing card from the tables (after a restore, or to give
    rows from before cards existed their card). One transaction: all or nothing."""
    from tqdm import tqdm

    from directory.index import reindex_all
    from directory.models import Service
    ensure_schema()
    with db.Session.begin() as s:
        total = s.scalar(select(func.count()).select_from(Service)) or 0
        with tqdm(total=total, desc="search index", unit=" services", disable=not progress) as bar:
            written = reindex_all(s, progress=bar.update)
    click.echo(f"Search index rebuilt: {written} entries for {total} services.")


@directory_cli.command("stats")
def stats():
    """Counts as JSON."""
    from directory.models import (Organization, OutboundMessage, Referral, SearchEntry, Service,
                                  ServiceAtLocation, Location, TaxonomyTerm)
    ensure_schema()
    with db.Session() as s:
        def count(model):
            return s.scalar(select(func.count()).select_from(model)) or 0
        out = {"organizations": count(Organization), "services": count(Service), "locations": count(Location),
               "service_at_locations": count(ServiceAtLocation), "search_entries": count(SearchEntry),
               "taxonomy_terms": count(TaxonomyTerm), "referrals": count(Referral),
               "outbound_messages": count(OutboundMessage)}
    click.echo(json.dumps(out))


def init_app(app) -> None:
    app.cli.add_command(directory_cli)
    # Import/export commands and other groups register themselves here as they are added.
    from web import cli_imports
    cli_imports.register(directory_cli)
    from web import cli_users; cli_users.register(app)
    from web import cli_sms; cli_sms.register(app)
