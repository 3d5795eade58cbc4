"""How an import runs: a progress bar on stderr, and Python's cycle collector paused (an import makes
millions of short-lived objects and no cycles)."""
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
