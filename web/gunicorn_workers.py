"""gunicorn workers whose own error answers are JSON like the app's.

gunicorn refuses some requests before the app sees them (a request line or headers over its limits,
a malformed request line) and answers those with an HTML page. Clients of the API (and fuzzers)
must get the API's JSON error envelope everywhere, so these workers write the same status with a
JSON body instead. `make run` uses JsonErrorThreadWorker (directory/service.py).
"""
from __future__ import annotations

import json

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker
from gunicorn.workers.sync import SyncWorker


def write_json_error(sock, status_int: int, reason: str, mesg: str) -> None:
    body = json.dumps({"error": {"code": reason.lower().replace(" ", "_"),
                                 "message": mesg or reason}}).encode("utf-8")
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode("latin1")
    util.write_nonblock(sock, head + body)


class _JsonErrors:
    def init_process(self):
        # handle_error writes through util.write_error: in this worker process, write JSON instead.
        util.write_error = write_json_error
        super().init_process()


class JsonErrorThreadWorker(_JsonErrors, ThreadWorker):
    pass


class JsonErrorSyncWorker(_JsonErrors, SyncWorker):
    pass
