"""`flask --app web directory import-hsds | import-meetings | import-bmlt | import-findtreatment | export-hsds`.

Each command brings the schema up to date, runs in one transaction (a bad file changes nothing),
shows progress on stderr and prints a summary; bad input exits non-zero with a message naming
the file, the row and the field. The meeting feeds (import-meetings, import-bmlt) skip or repair
a record that breaks a rule, with a warning naming it, up to `--max-bad` of the records (default
5%, or IMPORT_MAX_BAD_SHARE); past that, or at the first with `--strict`, nothing changes.
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


def _feed_options(command):
    """--strict and --max-bad, shared by the meeting feed imports."""
    command = click.option("--strict", is_flag=True,
                           help="Refuse the whole file at the first record that breaks a rule.")(command)
    return click.option("--max-bad", type=click.FloatRange(0, 1), default=None, metavar="SHARE",
                        help="Share of records that may be skipped or repaired before the import fails "
                             "(default 0.05, or IMPORT_MAX_BAD_SHARE).")(command)


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
    @click.option("--fellowship", help="The feed's fellowship: AA, NA, Al-Anon, CA, SMART or another name "
                                       "(default: from the feed's types or name, else AA).")
    @_feed_options
    def import_meetings(path_or_url, source, org_name, types_path, timeout, fellowship, strict, max_bad):
        """Import a Meeting Guide JSON feed (a file or a URL) as support-group listings."""
        from directory.catalog.importers import Tolerance, meeting_guide as mg

        def work(session):
            tolerance = Tolerance.of(max_bad, strict)
            labels = mg.load_type_labels(types_path) if types_path else None
            with mg.open_feed(path_or_url, timeout=timeout) as meetings:  # read as it is imported
                return mg.import_meetings(session, meetings, source or mg.source_key(path_or_url),
                                          label=path_or_url, org_name=org_name, type_labels=labels, progress=True,
                                          fellowship=fellowship, tolerance=tolerance)
        _run_import(work)

    @group.command("import-bmlt")
    @click.argument("path_or_url")
    @click.option("--formats", "formats_path", metavar="PATH_OR_URL",
                  help="The server's GetFormats answer, for the formats' names and kinds (default: the formats "
                       "sent with the meetings, else the stock BMLT codes).")
    @click.option("--default-timezone", help="Zone of meetings with an empty time_zone (default: from the "
                                             "meetings' country, e.g. Deutschland -> Europe/Berlin).")
    @click.option("--source", help="Key for the ids 'bmlt-<source>:<id_bigint>' (default: the server's host, "
                                   "else the file name).")
    @click.option("--name", "org_name", help="Organisation name for the meetings (default: 'Narcotics Anonymous "
                                             "(<source>)').")
    @click.option("--fellowship", default="NA", show_default=True, help="The meetings' fellowship.")
    @click.option("--timeout", default=30.0, show_default=True, help="Seconds to wait for a URL.")
    @_feed_options
    def import_bmlt(path_or_url, formats_path, default_timezone, source, org_name, fellowship, timeout, strict,
                    max_bad):
        """Import NA meetings from a BMLT server's GetSearchResults JSON (a file or a URL)."""
        from directory.catalog.importers import Tolerance, bmlt

        def work(session):
            tolerance = Tolerance.of(max_bad, strict)
            meetings, sent_formats = bmlt.load_meetings(path_or_url, timeout=timeout)
            formats = bmlt.load_formats(formats_path, timeout=timeout) if formats_path else sent_formats
            return bmlt.import_bmlt(session, meetings, source or bmlt.source_of(meetings, path_or_url),
                                    formats=formats, label=path_or_url, default_timezone=default_timezone,
                                    org_name=org_name, fellowship=fellowship, tolerance=tolerance, progress=True)
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
