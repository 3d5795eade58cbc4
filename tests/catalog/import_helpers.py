"""Shared by the importer and exporter tests: table counts straight from the database."""
from __future__ import annotations

from sqlalchemy import text

from directory import db

TABLES = ("organization", "service", "location", "service_at_location", "address", "phone", "schedule",
          "language", "accessibility", "taxonomy_term", "attribute", "search_entry")


def counts() -> dict[str, int]:
    with db.engine().connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in TABLES}


def row(sql: str, **params):
    with db.engine().connect() as conn:
        return conn.execute(text(sql), params).mappings().first()


def rows(sql: str, **params):
    with db.engine().connect() as conn:
        return [dict(r) for r in conn.execute(text(sql), params).mappings()]


def table_dump() -> dict[str, list[dict]]:
    """Every imported row, without the search entries' own ids (their order of writing may differ)."""
    out = {t: [{k: v for k, v in r.items() if k != "last_modified"}  # the time of the import
               for r in rows(f"SELECT * FROM {t} ORDER BY id")] for t in (
        "organization", "service", "location", "service_at_location", "address", "phone", "schedule", "language",
        "attribute", "taxonomy_term")}
    out["search_entry"] = [{k: v for k, v in r.items() if k != "id"} for r in rows(
        "SELECT * FROM search_entry ORDER BY service_at_location_id")]
    return out


def one_then_two_processes(monkeypatch, tmp_path, count_reindex: bool = False):
    """For the tests that an import gives the same in one process as in two (importers/pipeline.py):
    yields ("one", used) then ("two", used), each with a fresh SQLite file configured. In "two",
    `used` gets "read" for each pipeline.run (and "index" for each pipeline.reindex, if asked)."""
    from directory.catalog.importers import pipeline
    for mode in ("one", "two"):
        url = f"sqlite:///{tmp_path / mode}.db"
        db.upgrade(url)
        db.configure(url)
        used: list[str] = []
        if mode == "one":
            monkeypatch.setenv("SIGNPOST_IMPORT_ONE_PROCESS", "1")
        else:
            monkeypatch.delenv("SIGNPOST_IMPORT_ONE_PROCESS", raising=False)
            monkeypatch.setattr(pipeline, "run", lambda *a, _run=pipeline.run: used.append("read") or _run(*a))
            if count_reindex:
                monkeypatch.setattr(pipeline, "reindex",
                                    lambda *a, _reindex=pipeline.reindex: used.append("index") or _reindex(*a))
        yield mode, used
