"""Keeps `search_entry` (the geo search table and each listing's card) in step with the directory.

Imports call `reindex_services(session, ids)` once for everything they touched (they write with
Core, set-based: a few queries per batch, not per row). Edits through the ORM need nothing:
`watch` notes which services a flush touched (a phone, an address, an organization's name...)
and reindexes them before the commit, so a card cannot go stale behind a page's back.
"""
from __future__ import annotations

from collections import defaultdict, namedtuple
from functools import lru_cache

from sqlalchemy import bindparam, delete, event, insert, select, update

from directory.catalog import cards
from directory.catalog.models import Address, Attribute, Language, Location, Organization, Phone, Schedule, SearchEntry, Service, ServiceAtLocation
from directory.sql import fetch_rows, in_clause
from directory.catalog.codes import ATTRIBUTE_BITS, CATEGORY_CODES, language_code, language_mask

# Services per batch. Smaller reads faster: each query binds its IN list by name, and SQLite
# finds a named parameter by a linear scan (n^2 per query). Reading 200,000 services' rows took
# 5.7 s in batches of 500, 3.9 s in batches of 100 (50: 3.9 s); a million-listing import's
# search-entry phase went from 63 s to 38 s.
BATCH = 100


def reindex_services(session, service_ids) -> int:
    """Rebuild the search entries of these services. Returns how many entries now exist for them."""
    ids = list(dict.fromkeys(service_ids))
    reads = READ_ALL  # a commit's few services: probing for reads to skip would cost more than it saves
    written = 0
    for i in range(0, len(ids), BATCH):
        written += _reindex_batch(session, ids[i:i + BATCH], reads)
    return written


def reindex_all(session, progress=None) -> int:
    ids = session.scalars(select(Service.id).order_by(Service.id)).all()
    reads = what_to_read(session.connection())
    total = 0
    for i in range(0, len(ids), BATCH):
        total += _reindex_batch(session, ids[i:i + BATCH], reads)
        if progress:
            progress(min(BATCH, len(ids) - i))
    return total


@lru_cache(maxsize=4096)  # a few dozen (code, name) pairs recur across a whole import
def _language_bit(code, name) -> int:
    return language_mask([language_code(code or "") or language_code(name or "") or ""])


_ENTRY_COLUMNS = ("service_at_location_id", "service_id", "latitude", "longitude", "category", "attribute_bits",
                  "language_bits", "beds_available", "active", "search_text", "card")


def _reindex_batch(session, ids: list[str], reads: Reads) -> int:
    conn = session.connection()
    inserts, updates, stale = entries_of(*read_batch(conn, ids, reads))
    write_entries(conn, inserts, updates, stale)
    return len(updates) + len(inserts)


# A batch is read (read_batch), made into entries (entries_of, no database) and written. The parts
# are plain rows, so that a big import can make the entries in a second process (importers/pipeline.py).


def _listings(rows) -> list[tuple]:
    """(Listing, latitude, longitude, alternate name, status) of read_batch's listing rows."""
    n = len(cards.Listing._fields)
    make = cards.Listing._make
    return [(make(r[:n]), *r[n:]) for r in rows]


# Two reads a batch can skip when the whole table has nothing for them (a first import: no entries
# yet; most directories: no languages of a place), worth ~4 s of a million-listing import.
Reads = namedtuple("Reads", "place_languages entries")
READ_ALL = Reads(place_languages=True, entries=True)


def what_to_read(conn) -> Reads:
    """For a reindex of many services: two indexed look-ups, once."""
    return Reads(
        place_languages=bool(fetch_rows(conn, "SELECT 1 FROM language WHERE location_id IS NOT NULL LIMIT 1", {})),
        entries=_has_entries(conn))


def _has_entries(conn) -> bool:
    return bool(fetch_rows(conn, "SELECT 1 FROM search_entry LIMIT 1", {}))


def read_batch(conn, ids: list[str], reads: Reads) -> tuple:
    """What the search entries of these services are made of: (listing rows, the geocoded ones'
    cards.CardRows as a plain tuple, languages of their places, their existing entries)."""
    svc_marks, svc_params = in_clause("svc", ids)
    # Plain SQL through fetch_rows: a million listings go through here on a big import.
    # The card's columns and four more, in one read for both.
    rows = fetch_rows(conn, f"SELECT {cards.LISTING_COLUMNS}, l.latitude, l.longitude, s.alternate_name, s.status "
                            f"{cards.LISTING_FROM} WHERE sal.service_id IN ({svc_marks})", svc_params)
    listings = _listings(rows)
    card_rows = cards.rows_for_cards(conn, [listing for listing, lat, lon, *_ in listings
                                            if lat is not None and lon is not None])
    location_ids = list({listing.location_id for listing, *_ in listings})
    place_languages = []
    if location_ids and reads.place_languages:  # languages of a place (rare): not on the cards, but searchable
        loc_marks, loc_params = in_clause("loc", location_ids)
        place_languages = fetch_rows(
            conn, f"SELECT location_id, code, name FROM language WHERE location_id IN ({loc_marks})", loc_params)
    existing = fetch_rows(
        conn, f"SELECT service_at_location_id, id FROM search_entry WHERE service_id IN ({svc_marks})",
        svc_params) if reads.entries else []
    return rows, tuple(card_rows), place_languages, existing


def entries_of(rows, card_rows, place_languages, existing) -> tuple[list, list, list]:
    """The search entries of a read_batch: (rows to insert and to update, in _ENTRY_COLUMNS order,
    updates ending with the entry id; ids of entries to delete)."""
    read: dict = {}  # the cards read attribute codes and service languages: used for the bits too
    listings = _listings(rows)
    card_by_sal = cards.cards_from_rows([listing for listing, lat, lon, *_ in listings
                                         if lat is not None and lon is not None],
                                        cards.CardRows._make(card_rows), read)

    attr_bits: dict[str, int] = defaultdict(int)  # by service id or location id
    for link_id, codes in read["attributes"].items():
        for code in codes:
            attr_bits[link_id] |= ATTRIBUTE_BITS.get(code, 0)

    lang_bits: dict[str, int] = defaultdict(int)
    for service_id, languages in read["languages"].items():
        for language in languages:
            lang_bits[service_id] |= _language_bit(language.code, language.name)
    for location_id, code, name in place_languages:
        lang_bits[location_id] |= _language_bit(code, name)

    existing = dict(existing)
    keep, inserts, updates = set(), [], []
    for listing, lat, lon, alt, status in listings:
        if lat is None or lon is None:
            continue  # virtual or ungeocoded: found by the read API, not by distance
        sal_id, service_id, location_id = listing.sal_id, listing.service_id, listing.location_id
        values = (sal_id, service_id, lat, lon, listing.category, attr_bits[service_id] | attr_bits[location_id],
                  lang_bits[service_id] | lang_bits[location_id], listing.capacity_available,
                  (status or "active") == "active",
                  " ".join(filter(None, (listing.name, alt, listing.organization, listing.location_name))).lower(),
                  cards.dumps(card_by_sal[sal_id]))
        if sal_id in existing:
            keep.add(sal_id)
            updates.append(values + (existing[sal_id],))
        else:
            inserts.append(values)
    return inserts, updates, [eid for sal, eid in existing.items() if sal not in keep]


def write_entries(conn, inserts: list[tuple], updates: list[tuple], stale: list[int]) -> None:
    """Rows in _ENTRY_COLUMNS order (updates end with the entry id). One executemany per batch:
    through the SQLite driver directly (SQLAlchemy's per-row parameter handling costs as much as
    the write), through Core elsewhere."""
    table = SearchEntry.__table__
    if conn.dialect.name == "sqlite":
        cursor = conn.connection.driver_connection.cursor()
        if inserts:
            cursor.executemany(f"INSERT INTO search_entry ({', '.join(_ENTRY_COLUMNS)}) "
                               f"VALUES ({', '.join('?' * len(_ENTRY_COLUMNS))})", inserts)
        if updates:
            cursor.executemany(f"UPDATE search_entry SET {', '.join(c + ' = ?' for c in _ENTRY_COLUMNS)} "
                               "WHERE id = ?", updates)
        cursor.close()
    else:
        if inserts:
            conn.execute(insert(table), [dict(zip(_ENTRY_COLUMNS, v)) for v in inserts])
        if updates:
            conn.execute(update(table).where(table.c.id == bindparam("entry_id")),
                         [dict(zip(_ENTRY_COLUMNS + ("entry_id",), v)) for v in updates])
    if stale:
        conn.execute(delete(table).where(table.c.id.in_(stale)))


# --- big imports on SQLite ------------------------------------------------------------------
# The R*Trees' triggers (migration 0009) cost ~150 µs a row; filling the trees in one statement
# each costs far less. An import that touches this many services drops them and refills once.
BULK_RTREE_MIN = 10_000
RTREE_TRIGGERS = ("search_entry_ai", "search_entry_au", "search_entry_ad")
_E7 = "CAST(round(e.{col} * 10000000.0) AS INTEGER)"  # directory.catalog.search.nearby.to_e7
_RTREE_ROW = "e.id, {lat}, {lat}, {lon}, {lon}".format(lat=_E7.format(col="latitude"), lon=_E7.format(col="longitude"))
RTREES = ("search_rtree", *(f"search_rtree_{c}" for c in CATEGORY_CODES))  # every entry; one per category
RTREE_FILL = [f"INSERT INTO search_rtree SELECT {_RTREE_ROW} FROM search_entry e WHERE e.active",
              *(f"INSERT INTO search_rtree_{c} SELECT {_RTREE_ROW} FROM search_entry e WHERE e.active AND e.category = '{c}'"
                for c in CATEGORY_CODES)]


def suspend_rtree_triggers(session) -> list[str]:
    """Drop the R*Tree's triggers for the rest of this transaction; returns their SQL for
    `rebuild_rtree`. Nothing else can write meanwhile (SQLite has one writer), and a rollback
    brings them back with everything else. Not SQLite: nothing to do, []."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return []
    return _drop_keeping_sql(conn, "trigger", RTREE_TRIGGERS)


def _drop_keeping_sql(conn, kind: str, names: tuple[str, ...]) -> list[str]:
    """Drop these SQLite schema objects (kind: 'trigger' or 'index'); returns the SQL that makes
    them again (`_recreate`), in name order."""
    listed = ", ".join(f"'{n}'" for n in names)
    saved = [sql for (sql,) in conn.exec_driver_sql(
        f"SELECT sql FROM sqlite_master WHERE type = '{kind}' AND name IN ({listed}) ORDER BY name")]
    for name in names:
        conn.exec_driver_sql(f"DROP {kind.upper()} IF EXISTS {name}")
    return saved


def _recreate(conn, saved: list[str]) -> None:
    for sql in saved:
        conn.exec_driver_sql(sql)


# search_entry's secondary indexes: the look-up by service (reindexing) and PostgreSQL's box
# (SQLite searches its R*Trees). A first big load inserts a million rows into each in random order;
# built once afterwards, from sorted keys, they cost a fraction of that.
ENTRY_INDEXES = ("ix_search_entry_service_id", "ix_search_entry_lat_lon")


def suspend_entry_indexes(session) -> list[str]:
    """On SQLite, when search_entry is empty (a first load: nothing reads it by those columns
    until it is written), drop its secondary indexes for this transaction; returns their SQL for
    `restore_entry_indexes`. Otherwise nothing, []: a reindex of existing entries reads them by
    service."""
    conn = session.connection()
    if conn.dialect.name != "sqlite" or _has_entries(conn):
        return []
    return _drop_keeping_sql(conn, "index", ENTRY_INDEXES)


def restore_entry_indexes(session, saved: list[str]) -> None:
    _recreate(session.connection(), saved)


def rebuild_rtree(session, saved_triggers: list[str]) -> None:
    """Refill the R*Trees from search_entry, one statement each, and put their triggers back."""
    if not saved_triggers:
        return
    conn = session.connection()
    for tree in RTREES:
        conn.exec_driver_sql(f"DELETE FROM {tree}")
    for statement in RTREE_FILL:
        conn.exec_driver_sql(statement)
    _recreate(conn, saved_triggers)


# --- ORM edits ------------------------------------------------------------------------------
_NOTED = "signpost_reindex"  # session.info key: {(kind, id)} noted by flushes, resolved at commit


def _keys_of(obj) -> list[tuple[str, str]]:
    """What an edited row belongs to, as (kind, id): kind is service, location, sal or organization."""
    if isinstance(obj, Service):
        return [("service", obj.id)]
    if isinstance(obj, ServiceAtLocation):
        return [("service", obj.service_id)]
    if isinstance(obj, Organization):
        return [("organization", obj.id)]
    if isinstance(obj, Location):
        return [("location", obj.id)]
    if isinstance(obj, Address):
        return [("location", obj.location_id)]
    if isinstance(obj, (Phone, Language)):
        return [("service", obj.service_id), ("location", obj.location_id)]
    if isinstance(obj, Schedule):
        return [("service", obj.service_id), ("sal", obj.service_at_location_id), ("location", obj.location_id)]
    if isinstance(obj, Attribute):
        return [(obj.link_entity, obj.link_id)] if obj.link_entity in ("service", "location") else []
    return []


def _note_flushed(session, _flush_context) -> None:
    # In after_flush, new/dirty/deleted still hold what this flush wrote.
    noted = session.info.setdefault(_NOTED, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        noted.update((kind, key) for kind, key in _keys_of(obj) if key)


def _service_ids(session, noted) -> set[str]:
    ids = {key for kind, key in noted if kind == "service"}
    by_kind = defaultdict(list)
    for kind, key in noted:
        by_kind[kind].append(key)
    if by_kind["organization"]:
        ids.update(session.scalars(select(Service.id).where(Service.organization_id.in_(by_kind["organization"]))))
    if by_kind["location"]:
        ids.update(session.scalars(select(ServiceAtLocation.service_id)
                                   .where(ServiceAtLocation.location_id.in_(by_kind["location"]))))
    if by_kind["sal"]:
        ids.update(session.scalars(select(ServiceAtLocation.service_id)
                                   .where(ServiceAtLocation.id.in_(by_kind["sal"]))))
    return ids


def _reindex_noted(session) -> None:
    session.flush()
    while session.info.get(_NOTED):
        noted = session.info.pop(_NOTED)
        reindex_services(session, sorted(_service_ids(session, noted)))
        session.flush()


def _forget_noted(session, *_args) -> None:
    session.info.pop(_NOTED, None)


def watch(session_factory) -> None:
    """Reindex what ORM edits touched, before each commit of sessions from this factory."""
    event.listen(session_factory, "after_flush", _note_flushed)
    event.listen(session_factory, "before_commit", _reindex_noted)
    event.listen(session_factory, "after_rollback", _forget_noted)
