"""HSDS ids both ways: our ids as the UUIDs the read API and the export show, and back.

Rows keep the source's ids (`mg-oc:<slug>`, `miami-211-hsds:136`); HSDS 3.0 wants UUIDs. The
documents map each id that is not a UUID through `export.hsds_id` (uuid5, deterministic) at the
serialization boundary and keep the source's id in `identifiers`. Requests may name a record
either way: `native_id` turns an HSDS UUID back into our id by mapping the table's non-UUID ids
(once per table and process, again when a UUID is not found: a new import).
"""
from __future__ import annotations

import threading
import time

from sqlalchemy import select

from directory.catalog.export import _UUID_RE, hsds_id

_maps: dict[tuple[int, str], tuple[float, dict[str, str]]] = {}
_lock = threading.Lock()
REBUILD_AFTER_S = 10.0  # an unknown UUID rebuilds the map at most this often (random UUIDs cost no scans)


def _build(session, column) -> dict[str, str]:
    out = {}
    for (value,) in session.execute(select(column)).yield_per(10_000):
        if not _UUID_RE.match(value):
            out[hsds_id(value)] = value
    return out


def native_id(session, model, given: str) -> str:
    """Our id of the `model` row that `given` names (our id or its HSDS UUID); `given` when none matches."""
    if not given or not _UUID_RE.match(given) or session.get(model, given) is not None:
        return given
    key = (id(session.get_bind().engine) if hasattr(session.get_bind(), "engine") else 0, model.__tablename__)
    with _lock:
        built_at, mapping = _maps.get(key, (0.0, {}))
        found = mapping.get(given.lower())
        if found is None and time.monotonic() - built_at > REBUILD_AFTER_S:
            _maps[key] = (time.monotonic(), _build(session, model.id))
            found = _maps[key][1].get(given.lower())
    return found or given
