"""HSDS ids both ways: our ids as the UUIDs the read API and the export show, and back.

Rows keep the source's ids (`mg-oc:<slug>`, `miami-211-hsds:136`); HSDS 3.0 wants UUIDs. The
documents map each id that is not a UUID through `export.hsds_id` (uuid5, deterministic) at the
serialization boundary and keep the source's id in `identifiers`. Requests may name a record
either way: `native_id` turns an HSDS UUID back into our id through a map of the table's non-UUID
ids, built once per database and table and again when a UUID is not in it and the table's row
count has changed since (an import); an unknown UUID otherwise costs one count, not a rebuild.
"""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from directory.catalog.export import _UUID_RE, hsds_id

_maps: dict[tuple[str, str], tuple[int, dict[str, str]]] = {}
_lock = threading.Lock()


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
    key = (str(session.get_bind().engine.url), model.__tablename__)
    wanted = given.lower()
    with _lock:
        count, mapping = _maps.get(key, (-1, {}))
        found = mapping.get(wanted)
        if found is None:
            now = session.scalar(select(func.count()).select_from(model)) or 0
            if now != count:
                mapping = _build(session, model.id)
                _maps[key] = (now, mapping)
                found = mapping.get(wanted)
    return found or given
