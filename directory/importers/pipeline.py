"""Big SQLite imports in two processes: one reads and checks the rows, the other writes them.

Checking a row (references, types, the handlers of hsds_tables.py) costs about twice what SQLite
needs to write it, and SQLite cannot write from two threads of one process in parallel with
Python (the driver holds the GIL around everything but the step itself). So a big import forks:
the child reads the files with the same HsdsWriter and sends each batch down a pipe (its row
dicts, or for tables with dates and times their finished parameter tuples, Loader._params); the
parent, which holds the transaction, writes them in order, answers the child's id lookups
(Loader.existing_ids) after writing everything sent before, and gets the child's warnings and
touched services at the end. When the child is done with a table, the parent builds its
suspended indexes (base.Loader.suspend_indexes) while the child reads on. The child never touches the database connection it inherits, and
leaves with os._exit (multiprocessing's fork start), so nothing of the parent's transaction is
closed or rolled back behind its back. A bad row fails the child with the same ImportFailed,
raised again in the parent: the transaction rolls back as always.
"""
from __future__ import annotations

import marshal
import multiprocessing
import os
import pickle
import signal

from directory.importers.base import Loader


def available(loader: Loader) -> bool:
    """SQLite (PostgreSQL has its own server processes), fork, and a second CPU to run on."""
    return (loader.sqlite and "fork" in multiprocessing.get_all_start_methods()
            and (os.cpu_count() or 1) >= 2 and os.environ.get("SIGNPOST_IMPORT_ONE_PROCESS") != "1")


def run(writer, read) -> None:
    """`read(writer)` in a forked child, whose Loader sends its batches here to be written."""
    loader = writer.loader
    for table in loader.ORDER:  # compiled once, before the fork: the child needs no dialect
        loader._upsert(table)
    context = multiprocessing.get_context("fork")
    here, there = context.Pipe()
    child = context.Process(target=_read_in_child, args=(writer, read, there), daemon=True)
    child.start()
    there.close()
    here = _Channel(here)
    done = False
    try:
        while True:
            try:
                message = here.recv()
            except EOFError:
                raise RuntimeError(f"the import's reading process ended unexpectedly (exit code {child.exitcode})") \
                    from None
            kind = message[0]
            if kind == "rows":
                loader.write(*message[1:])
            elif kind == "dicts":
                _kind, table, rows, ids = message
                loader.write(table, loader._params(table, rows), ids)
            elif kind == "ids":
                here.send(loader.existing_ids(message[1], message[2]))
            elif kind == "table_done":
                loader.restore_indexes(tables=(message[1],))
            elif kind == "sql":
                loader.execute_many(message[1], message[2])
            elif kind == "failed":
                raise message[1]
            else:  # "done"
                _merge(writer.report, message[1])
                done = True
                break
    finally:
        if not done and child.is_alive():
            child.kill()  # the write failed: stop reading (SIGKILL: it holds nothing to clean up)
        child.join()
        here.close()


class _Channel:
    """One end of the pipe. Batches (tuples of str, numbers and None) go as marshal, three times
    cheaper than pickle for them; anything marshal refuses (an exception) goes as pickle."""

    def __init__(self, connection):
        self.connection = connection

    def send(self, message) -> None:
        try:
            data = b"m" + marshal.dumps(message)
        except ValueError:
            data = b"p" + pickle.dumps(message)
        self.connection.send_bytes(data)

    def recv(self):
        data = self.connection.recv_bytes()
        return marshal.loads(data[1:]) if data[:1] == b"m" else pickle.loads(data[1:])

    def close(self) -> None:
        self.connection.close()


def _read_in_child(writer, read, pipe) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a handler inherited from the parent must not keep it alive
    writer.session = None  # the parent's: never used here
    pipe = _Channel(pipe)
    writer.loader.remote, writer.loader.cursor = pipe, None
    try:
        read(writer)
        writer.loader.flush()
        report = writer.report
        pipe.send(("done", {"warnings": report.warnings, "warning_examples": report.warning_examples,
                            "skipped": report.skipped, "service_ids": report.service_ids}))
    except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent, which raises it
        try:
            pipe.send(("failed", exc))
        except Exception:  # not picklable: its text then
            pipe.send(("failed", RuntimeError(f"{type(exc).__name__}: {exc}")))


def _merge(report, child: dict) -> None:
    report.warnings.update(child["warnings"])
    for reason, example in child["warning_examples"].items():
        report.warning_examples.setdefault(reason, example)
    report.skipped.extend(child["skipped"])
    report.service_ids = child["service_ids"]
