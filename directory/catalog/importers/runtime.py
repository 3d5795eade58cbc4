"""What every importer shares: bad-input errors that name the place, the report, batched upserts.

An import runs inside the caller's transaction (`with db.Session.begin() as s:`) and never
commits: any ImportFailed (or other error) rolls everything back, so a broken file leaves the
database exactly as it was. Rows go to the database through `Loader`, which upserts in batches
with SQLAlchemy core (INSERT ... ON CONFLICT (id) DO UPDATE, executemany): re-importing the same
ids updates the rows, never duplicates them, and no row goes through the ORM one at a time.
"""
from __future__ import annotations

import gc
import sys
from contextlib import contextmanager




@contextmanager
def cyclic_gc_paused():
    """Python's cycle collector off for the length of an import. An import makes tens of millions
    of short-lived rows while millions of ids it must remember sit in the heap, and every full
    collection walks all of them again: a tenth of a big import's CPU, for cycles it does not make."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def progress_bar(enabled: bool, **kwargs):
    from tqdm import tqdm
    return tqdm(file=sys.stderr, disable=not enabled, leave=False, dynamic_ncols=True, **kwargs)
