"""Big SQLite imports in two processes, twice: reading the files, then making the search entries.

Checking a row (references, types, the handlers of hsds_tables.py) costs about twice what SQLite
needs to write it, and SQLite cannot write from two threads of one process in parallel with
Python (the driver holds the GIL around everything but the step itself). So a big import forks:
the child reads the files with the same HsdsWriter and sends each batch down a pipe (its row
dicts, or for tables with dates and times their finished parameter tuples, Loader.bound_params); the
parent, which holds the transaction, writes them in order, answers the child's id lookups
(Loader.existing_ids) after writing everything sent before, and gets the child's warnings and
touched services at the end. When the child is done with a table, the parent builds its
suspended indexes (base.Loader.suspend_indexes) while the child reads on.

The search entries then (`reindex`): the parent reads each batch's rows and writes its entries, a
second child makes the cards and entries from those rows (index.read_batch / entries_of /
write_entries, the same steps one process takes for a small import).

The parent receives on a thread (`_Inbox`), so neither side waits for the other's bursts. A
child never touches the database connection it inherits, and leaves with os._exit
(multiprocessing's fork start), so nothing of the parent's transaction is closed or rolled back
behind its back. A child's error (a bad row's ImportFailed) is raised again in the parent, and
a failed write kills the child: the transaction rolls back as always.
"""
from __future__ import annotations

import collections
import contextlib
import marshal
import multiprocessing
import os
import pickle
import signal
import sys
import threading

from directory.catalog.importers.loader import Loader


def available(loader: Loader) -> bool:
    """SQLite (PostgreSQL has its own server processes), fork, and a second CPU to run on."""
    return (loader.sqlite and "fork" in multiprocessing.get_all_start_methods()
            and (os.cpu_count() or 1) >= 2 and os.environ.get("SIGNPOST_IMPORT_ONE_PROCESS") != "1")


def read_and_write(writer, read, big: bool):
    """`read(writer)`, in a forked child while this process writes (`run`) when the import is big
    and can split (`available`), else here. Returns what `read` returned."""
    if big and available(writer.loader):
        return run(writer, read)
    return read(writer)


def run(writer, read):
    """`read(writer)` in a forked child, whose Loader sends its batches here to be written.
    Returns what the child's `read` returned (marshallable: e.g. a set of ids)."""
    loader = writer.loader
    for table in loader.ORDER:  # compiled once, before the fork: the child needs no dialect
        loader.upsert_statement(table)
    with _forked(_read_in_child, writer, read) as (here, receive):
        while True:
            message = receive()
            kind = message[0]
            if kind == "rows":
                loader.write(*message[1:])
            elif kind == "dicts":
                _kind, table, rows, ids = message
                loader.write(table, loader.bound_params(table, rows), ids)
            elif kind == "ids":
                here.send(loader.existing_ids(message[1], message[2]))
            elif kind == "table_done":
                loader.restore_indexes(tables=(message[1],))
            elif kind == "sql":
                loader.execute_many(message[1], message[2])
            elif kind == "delete":
                loader.delete_where_in(*message[1:])
            else:  # "done"
                return _merge(writer.report, message[1])


def reindex(session, service_ids: list[str], progress=None) -> int:
    """index.reindex_services for a big import, in two processes: this one reads each batch's rows
    and writes its entries (SQLite's part, about two thirds), a forked one makes the cards and
    entries in between (index.entries_of). Two batches are in flight, so both work at once.
    `progress(n)`: n more services done. Returns the number of entries written."""
    from directory.catalog import index
    conn = session.connection()
    reads = index.what_to_read(conn)
    in_flight: collections.deque = collections.deque()  # sizes of the batches sent, not yet written
    written = 0
    with _forked(_make_entries_in_child) as (here, receive):
        def write_next() -> None:
            nonlocal written
            _kind, inserts, updates, stale = receive()
            index.write_entries(conn, inserts, updates, stale)
            written += len(inserts) + len(updates)
            n = in_flight.popleft()
            if progress:
                progress(n)

        for i in range(0, len(service_ids), index.BATCH):
            batch = service_ids[i:i + index.BATCH]
            try:
                here.send(index.read_batch(conn, batch, reads))
            except OSError:  # the other process has stopped, and said why
                while True:
                    write_next()  # raises its error (or that it ended)
            in_flight.append(len(batch))
            if len(in_flight) > 1:
                write_next()
        while in_flight:
            write_next()
        here.send(None)
    return written


@contextlib.contextmanager
def _forked(target, *args):
    """Run target(*args, pipe) in a forked child. Yields this side's channel and `receive()`,
    which returns the child's next message and raises its error ("failed") or its unexpected end.
    Leaving the block by an error kills the child (SIGKILL: it holds nothing to clean up)."""
    context = multiprocessing.get_context("fork")
    here, there = context.Pipe()
    child = context.Process(target=target, args=(*args, there), daemon=True)
    child.start()
    there.close()
    inbox = _Inbox(here)
    channel = _Channel(here, inbox)
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)  # the inbox thread gets the GIL back sooner after each read

    def receive():
        try:
            message = channel.recv()
        except EOFError:
            raise RuntimeError(f"the import's second process ended unexpectedly (exit code {child.exitcode})") \
                from None
        if message[0] == "failed":
            raise message[1]
        return message

    finished = False
    try:
        yield channel, receive
        finished = True
    finally:
        if not finished and child.is_alive():
            child.kill()
        child.join()
        inbox.stop()
        sys.setswitchinterval(switch_interval)
        here.close()


class _Inbox:
    """The writer's side of the pipe, read on a thread into a buffer of up to LIMIT bytes.

    Without it the two processes wait for each other's bursts: a pipe holds a few hundred kB, so
    the reader stalls while the writer builds a table's indexes or writes a slow batch, and the
    writer idles while the reader parses a slow file. Each spent about a third of the CSV phase
    waiting (1M listings: 25 s and 39 s). The thread holds the GIL only to copy bytes (the read
    itself and SQLite's steps on the main thread release it)."""

    LIMIT = 96 * 2 ** 20  # bytes of marshalled batches held at most (then the reader waits again)

    def __init__(self, connection):
        self.connection = connection
        self.messages: collections.deque = collections.deque()
        self.size = self.peak = 0
        self.stopped = False
        self.changed = threading.Condition()
        self.thread = threading.Thread(target=self._receive, name="import-inbox", daemon=True)
        self.thread.start()

    def _receive(self) -> None:
        try:
            while True:
                with self.changed:
                    while self.size > self.LIMIT and not self.stopped:
                        self.changed.wait()
                    if self.stopped:
                        return
                data = self.connection.recv_bytes()
                with self.changed:
                    self.messages.append(data)
                    self.size += len(data)
                    self.peak = max(self.peak, self.size)
                    self.changed.notify_all()
        except (EOFError, OSError) as exc:  # the reading process ended (or was stopped)
            with self.changed:
                self.messages.append(exc)
                self.changed.notify_all()

    def recv_bytes(self) -> bytes:
        with self.changed:
            while not self.messages:
                self.changed.wait()
            data = self.messages.popleft()
            if isinstance(data, BaseException):
                self.messages.appendleft(data)  # stays the answer to every later call
                raise EOFError from data
            self.size -= len(data)
            self.changed.notify_all()
            return data

    def stop(self) -> None:
        """After the reading process has ended: the thread sees the end of the pipe and stops."""
        with self.changed:
            self.stopped = True
            self.changed.notify_all()
        self.thread.join(timeout=10)


class _Channel:
    """One end of the pipe. Batches (tuples of str, numbers and None) go as marshal, three times
    cheaper than pickle for them; anything marshal refuses (an exception) goes as pickle.
    `inbox`, on the writer's side: where messages are received from."""

    def __init__(self, connection, inbox: _Inbox | None = None):
        self.connection = connection
        self.receiver = inbox or connection

    def send(self, message) -> None:
        try:
            data = b"m" + marshal.dumps(message)
        except ValueError:
            data = b"p" + pickle.dumps(message)
        self.connection.send_bytes(data)

    def recv(self):
        data = self.receiver.recv_bytes()
        return marshal.loads(data[1:]) if data[:1] == b"m" else pickle.loads(data[1:])

    def close(self) -> None:
        self.connection.close()


def _read_in_child(writer, read, pipe) -> None:
    writer.session = None  # the parent's: never used here
    with _child_side(pipe) as pipe:
        writer.loader.remote, writer.loader.cursor = pipe, None
        result = read(writer)
        writer.loader.flush()
        report = writer.report
        pipe.send(("done", {"warnings": dict(report.warnings), "warning_examples": report.warning_examples,
                            "skipped": report.skipped, "service_ids": report.service_ids,
                            "records": report.records, "bad": report.bad, "notes": report.notes,
                            "result": result}))


def _make_entries_in_child(pipe) -> None:
    from directory.catalog import index
    with _child_side(pipe) as pipe:
        while (batch := pipe.recv()) is not None:
            pipe.send(("entries", *index.entries_of(*batch)))


@contextlib.contextmanager
def _child_side(connection):
    """The child's channel; an error in the block goes back to the parent, which raises it."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a handler inherited from the parent must not keep it alive
    pipe = _Channel(connection)
    try:
        yield pipe
    except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent
        try:
            pipe.send(("failed", exc))
        except Exception:  # not picklable: its text then
            pipe.send(("failed", RuntimeError(f"{type(exc).__name__}: {exc}")))


def _merge(report, child: dict):
    """The child's report began as a copy of this one: what it read (warnings, skips, bad records,
    notes, services) replaces ours; rows written are counted here. Returns its `read`'s result."""
    report.warnings.clear()
    report.warnings.update(child["warnings"])
    report.warning_examples = child["warning_examples"]
    report.skipped = child["skipped"]
    report.service_ids = child["service_ids"]
    report.records, report.bad, report.notes = child["records"], child["bad"], child["notes"]
    return child["result"]
