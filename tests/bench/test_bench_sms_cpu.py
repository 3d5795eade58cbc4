"""The SMS benchmark's CPU accounting (bench/bench_sms.py): a process killed during the sustained run
counts up to its last sample, so the scaled profile's CPU per message is not understated."""
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench import bench_sms  # noqa: E402

BURN = "import time\nend = time.process_time() + {seconds}\nwhile time.process_time() < end: pass\ntime.sleep(60)\n"


class Processes:
    """What cpu_seconds reads of the service: its pids."""

    def __init__(self, procs):
        self.procs = procs

    def pids(self):
        return [p.pid for p in self.procs]


def _burner(seconds: float, name: str) -> subprocess.Popen:
    # The argument makes the command line look like the part it stands for (the part is read from it).
    return subprocess.Popen([sys.executable, "-c", BURN.format(seconds=seconds), name])


def test_a_killed_process_counts_up_to_its_last_sample():
    rasa, web = _burner(0.6, "bot.rasa_server run"), _burner(0.3, "gunicorn")
    try:
        stack = Processes([rasa, web])
        ledger = bench_sms.CpuLedger(stack)  # as the sustained run starts: before either has burnt much

        def kill():
            rasa.kill()
            return rasa.wait()
        time.sleep(1.5)  # both have burnt their CPU and sleep; no sample was taken in between
        ledger.kill(kill)  # the benchmark's own step: a sample, then the kill
        ledger.sample()  # the killed one is gone from this sample
        assert rasa.pid not in bench_sms.cpu_seconds(stack)
        used = ledger.used()
        assert used["rasa"] >= 0.4 and used["web (gateway + API)"] >= 0.2
        assert used["rasa"] > used["web (gateway + API)"]
    finally:
        for p in (rasa, web):
            p.kill()
            p.wait()


def test_a_process_started_in_between_counts_from_its_start():
    before = {1: ("rasa", 10.0), 2: ("worker", 5.0)}
    seen = {1: ("rasa", 12.0), 2: ("worker", 5.5), 3: ("rasa", 1.0)}
    assert bench_sms.cpu_by_part(before, seen) == {"rasa": 3.0, "worker": 0.5}
