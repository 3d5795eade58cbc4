"""SQLite settings for a big first load (rollback journal instead of the WAL when nothing else has
the file open, foreign keys checked in batches), and putting the usual ones back afterwards."""
from __future__ import annotations


from sqlalchemy.exc import OperationalError



_RESTORE_LISTENING = set()


def _before_first_write(connection, *, foreign_keys_off: bool, first_load: bool) -> None:
    """SQLite settings that only take effect before the import's transaction first writes (the
    usual case: the Loader is made first); the pool puts the connection's usual settings back
    when it is returned (db.sqlite_pragmas).

    foreign_keys_off: skip foreign key checks, for an importer that checks every reference itself.
    Cascading deletes need the checks on, so only importers that never delete use this.

    first_load: a big import. Into a directory with no listings yet, and with no other
    connection on the file, it writes through a rollback journal instead of the WAL: pages the
    cache spills go straight to the database file instead of piling up in the WAL (a
    million-listing import re-spills the same pages again and again, reads them back through
    the WAL index, then copies the whole WAL at the checkpoint): a quarter of such an import's
    time. It holds the file exclusively until the commit, as a migration would, which is why it
    is kept to a first load (there is nothing to serve yet). With listings already there, or
    any other connection open (a running web app), the import runs in the WAL as usual: SQLite
    refuses the switch at once. Reads skip the memory map meanwhile: the pages touched would
    count as the importer's own memory.
    """
    dbapi = connection.connection.dbapi_connection
    if getattr(dbapi, "in_transaction", True):
        return
    if foreign_keys_off:
        connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
    if first_load and connection.exec_driver_sql("SELECT 1 FROM service LIMIT 1").first() is None:
        connection.exec_driver_sql("PRAGMA mmap_size = 0")
        connection.exec_driver_sql("PRAGMA busy_timeout = 0")  # someone else is there: don't wait, use the WAL
        try:
            connection.exec_driver_sql("PRAGMA journal_mode = TRUNCATE")
        except OperationalError:  # "database is locked": another connection has the file open
            pass
        connection.exec_driver_sql("PRAGMA busy_timeout = 10000")


def _usual_settings_at_checkin(connection) -> None:
    """Have the pool put back this connection's usual settings (WAL, foreign keys, memory map,
    page cache: db.sqlite_pragmas) when the import's session returns it."""
    connection.connection.info["signpost_restore"] = True
    pool = connection.engine.pool
    if id(pool) not in _RESTORE_LISTENING:
        from sqlalchemy import event
        from directory.db import sqlite_pragmas
        _RESTORE_LISTENING.add(id(pool))

        @event.listens_for(pool, "checkin")
        def _restore(dbapi_connection, record):
            if record is not None and record.info.pop("signpost_restore", False):
                sqlite_pragmas(dbapi_connection, record)
