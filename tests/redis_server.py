"""A throwaway Redis server for tests: redis-server (the Debian package) on a free loopback port,
its files in a temp folder. Skips (with the reason) where redis-server is not installed."""
from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager


@contextmanager
def redis_server():
    """Yields a REDIS_URL; stops the server and removes its files afterwards."""
    import pytest
    binary = shutil.which("redis-server") or ("/usr/bin/redis-server" if shutil.os.path.exists("/usr/bin/redis-server") else None)
    if binary is None:
        pytest.skip("redis-server not installed (apt-get install redis-server; make system-packages)")
    tmp = tempfile.mkdtemp(prefix="signpost-redis-")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", tmp, "--save", "",
                             "--appendonly", "no", "--protected-mode", "yes"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
