"""SQLite: the search index becomes 2-D trees, one over every active entry and one per category,
instead of one tree with the category as a third dimension.

The 3-D tree degenerates when one category holds nearly every entry (a meeting feed): its splits
stop separating places, and a box query read most of a city's nodes (bench/RESULTS.md, "Directory
search"). A 2-D tree per category keeps every tree's splits spatial whatever the mix; a search with
no category reads the tree of all entries. Each active entry is in two trees; the triggers keep
them in step with search_entry. Positions stay whole 1e-7 degrees (rtree_i32), rounded as
directory.catalog.search.nearby.to_e7. PostgreSQL is untouched.

Revision ID: 0009
Revises: 0008
"""
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# Frozen here (a migration must not change when the code does); directory.catalog.codes.CATEGORIES
# must match it (tests/catalog/test_search.py checks).
CATEGORIES = ("support_group", "sober_living", "housing", "transportation", "treatment")
_ROW = ("{p}.id, CAST(round({p}.latitude * 10000000.0) AS INTEGER), CAST(round({p}.latitude * 10000000.0) AS INTEGER), "
        "CAST(round({p}.longitude * 10000000.0) AS INTEGER), CAST(round({p}.longitude * 10000000.0) AS INTEGER)")
TREES = ["search_rtree", *(f"search_rtree_{c}" for c in CATEGORIES)]


def _inserts(p: str, when: str) -> str:
    """The statements that put row `p` into the tree of all entries and its category's tree."""
    out = [f"INSERT INTO search_rtree SELECT {_ROW.format(p=p)} WHERE {when};"]
    out += [f"INSERT INTO search_rtree_{c} SELECT {_ROW.format(p=p)} WHERE {when} AND {p}.category = '{c}';"
            for c in CATEGORIES]
    return "\n          ".join(out)


def _deletes(p: str) -> str:
    return "\n          ".join(f"DELETE FROM {t} WHERE id = {p}.id;" for t in TREES)


TRIGGERS = [
    f"""CREATE TRIGGER search_entry_ai AFTER INSERT ON search_entry WHEN new.active BEGIN
          {_inserts('new', 'new.active')}
        END""",
    f"""CREATE TRIGGER search_entry_au AFTER UPDATE OF latitude, longitude, category, active ON search_entry BEGIN
          {_deletes('old')}
          {_inserts('new', 'new.active')}
        END""",
    f"""CREATE TRIGGER search_entry_ad AFTER DELETE ON search_entry BEGIN
          {_deletes('old')}
        END""",
]
FILL = [f"INSERT INTO search_rtree SELECT {_ROW.format(p='e')} FROM search_entry e WHERE e.active",
        *(f"INSERT INTO search_rtree_{c} SELECT {_ROW.format(p='e')} FROM search_entry e "
          f"WHERE e.active AND e.category = '{c}'" for c in CATEGORIES)]


def _drop():
    for trigger in ("search_entry_ai", "search_entry_au", "search_entry_ad"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    for tree in TREES:
        op.execute(f"DROP TABLE IF EXISTS {tree}")


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    _drop()
    for tree in TREES:
        op.execute(f"CREATE VIRTUAL TABLE {tree} USING rtree_i32(id, min_lat, max_lat, min_lon, max_lon)")
    for statement in [*TRIGGERS, *FILL]:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    import importlib
    previous = importlib.import_module("directory.migrations.versions.0006_search_rtree_by_category")
    _drop()
    for statement in [previous.CREATE_TREE, *previous.TRIGGERS, previous.FILL]:
        op.execute(statement)
