"""A throwaway PostgreSQL server for tests: initdb in a temp folder, on a free loopback port.

Skips (with the reason) where PostgreSQL's server binaries are not installed. As root, the server
runs as the `postgres` system user, which PostgreSQL insists on.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager


def _bindir() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    return os.path.dirname(os.path.realpath(initdb)) if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def postgres_server():
    """Yields a SQLAlchemy URL; stops the server and removes its files afterwards."""
    import pytest
    bindir = _bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries not installed (apt-get install postgresql)")
    run_as = []
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run the server")
        run_as = ["runuser", "-u", "postgres", "--"]
    tmp = tempfile.mkdtemp(prefix="signpost-pg-")
    os.chmod(tmp, 0o777)
    data = os.path.join(tmp, "data")
    port = _free_port()
    env = dict(os.environ, LC_ALL="C.UTF-8")
    subprocess.run(run_as + [f"{bindir}/initdb", "-D", data, "-U", "signpost", "--auth=trust", "-E", "UTF8"],
                   check=True, stdout=subprocess.DEVNULL, env=env)
    subprocess.run(run_as + [f"{bindir}/pg_ctl", "-D", data, "-l", os.path.join(tmp, "log"), "-w", "-o",
                             f"-p {port} -h 127.0.0.1 -k {tmp} -F", "start"], check=True,
                   stdout=subprocess.DEVNULL, env=env)
    try:
        url = f"postgresql+psycopg://signpost@127.0.0.1:{port}/postgres"
        for _ in range(50):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        subprocess.run(run_as + [f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(tmp, ignore_errors=True)
