"""`flask --app web directory import-hsds | import-meetings | import-findtreatment | export-hsds`.

Each command brings the schema up to date, runs in one transaction (a bad file changes nothing),
shows progress on stderr and prints a summary; bad input exits non-zero with a message naming
the file, the row and the field.
"""
from __future__ import annotations

import click

from directory import db


def _run_import(work) -> None:
    from directory.catalog.importers import ImportFailed
    from directory.catalog.importers.runtime import cyclic_gc_paused
    db.upgrade()
    try:
        with cyclic_gc_paused(), db.Session.begin() as session:
            report = work(session)
    except ImportFailed as exc:
        raise click.ClickException(
            f"{exc}\nNothing was imported: the database is as it was. Fix the input and run the import again.")
    click.echo(report.summary())


def register(group) -> None:
    """Add the import/export commands to the `directory` group."""

    @group.command("import-hsds")
    @click.argument("path", type=click.Path(exists=True))
    @click.option("--source", help="Id prefix for HSDS 1.x ids (default: the folder's name, e.g. 'miami-211-hsds').")
    def import_hsds(path, source):
        """Import HSDS: a 3.0 JSON file or folder, a 3.0 CSV datapackage, or the 1.x CSV layout."""
        from directory.catalog.importers import import_hsds_path
        _run_import(lambda s: import_hsds_path(s, path, source=source, progress=True))

    @group.command("import-meetings")
    @click.argument("path_or_url")
    @click.option("--source", help="Feed key for the ids 'mg-<source>:<slug>' (default: the file name, e.g. 'oc', "
                                   "or the URL's host).")
    @click.option("--name", "org_name", help="Organisation name for meetings without a group "
                                             "(default: the feed's 'entity', else 'Meeting Guide feed (<source>)').")
    @click.option("--types", "types_path", type=click.Path(exists=True, dir_okay=False),
                  help="The spec's types.json, for the names of meeting types.")
    @click.option("--timeout", default=30.0, show_default=True, help="Seconds to wait for a feed URL.")
    def import_meetings(path_or_url, source, org_name, types_path, timeout):
        """Import a Meeting Guide JSON feed (a file or a URL) as support-group listings."""
        from directory.catalog.importers import meeting_guide as mg

        def work(session):
            meetings = mg.load_feed(path_or_url, timeout=timeout)
            labels = mg.load_type_labels(types_path) if types_path else None
            return mg.import_meetings(session, meetings, source or mg.source_key(path_or_url),
                                      label=path_or_url, org_name=org_name, type_labels=labels, progress=True)
        _run_import(work)

    @group.command("import-findtreatment")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    def import_findtreatment(path):
        """Import SAMHSA FindTreatment facilities (facilities.json) as treatment listings."""
        from directory.catalog.importers import findtreatment
        _run_import(lambda s: findtreatment.import_file(s, path, progress=True))

    @group.command("export-hsds")
    @click.argument("directory", type=click.Path(file_okay=False))
    @click.option("--no-validate", is_flag=True, help="Skip validating against the HSDS 3.0 schemas.")
    def export_hsds(directory, no_validate):
        """Write the directory as HSDS 3.0 JSON (organizations.json, services.json), validated."""
        from directory.catalog.export import ExportInvalid, export_hsds as run_export
        db.upgrade()
        try:
            with db.Session() as session:
                summary = run_export(session, directory, validate=not no_validate, progress=True)
        except ExportInvalid as exc:
            raise click.ClickException(str(exc))
        click.echo(summary)
