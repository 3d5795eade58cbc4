"""`flask --app web directory ...`: schema, demo data, reindex, stats. Each command brings the schema
up to date first, so it works on a fresh DATABASE_URL."""
from __future__ import annotations

import json

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from directory import db

directory_cli = AppGroup("directory", help="The resource directory: schema, demo data, imports, exports.")


@directory_cli.command("migrate")
def migrate():
    """Bring the database schema up to date (alembic upgrade head)."""
    db.upgrade()
    click.echo(f"Schema is at revision {db.current_revision()} ({db.engine().dialect.name}).")


@directory_cli.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Only seed when the directory has no services yet.")
def seed_demo(if_empty):
    """Write the demo directory (fictional organisations at real places). Idempotent."""
    from directory.catalog.demo import has_data, seed_demo as seed
    db.upgrade()
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

    from directory.catalog.index import reindex_all
    from directory.catalog.models import Service
    db.upgrade()
    with db.Session.begin() as s:
        total = s.scalar(select(func.count()).select_from(Service)) or 0
        with tqdm(total=total, desc="search index", unit=" services", disable=not progress) as bar:
            written = reindex_all(s, progress=bar.update)
    click.echo(f"Search index rebuilt: {written} entries for {total} services.")


@directory_cli.command("stats")
def stats():
    """Counts as JSON."""
    from directory.catalog.models import Organization, SearchEntry, Service, ServiceAtLocation, Location, TaxonomyTerm
    from directory.people.models import OutboundMessage
    from directory.referrals.models import Referral
    db.upgrade()
    with db.Session() as s:
        def count(model):
            return s.scalar(select(func.count()).select_from(model)) or 0
        out = {"organizations": count(Organization), "services": count(Service), "locations": count(Location),
               "service_at_locations": count(ServiceAtLocation), "search_entries": count(SearchEntry),
               "taxonomy_terms": count(TaxonomyTerm), "referrals": count(Referral),
               "outbound_messages": count(OutboundMessage)}
    click.echo(json.dumps(out))
