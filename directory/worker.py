"""The worker process's entry point: `huey_consumer directory.worker.huey` (the supervisor's `worker`, directory/service.py).
Importing this module is what starts a worker, so it wires the process here."""
from directory import bootstrap

huey = bootstrap.start_worker()
