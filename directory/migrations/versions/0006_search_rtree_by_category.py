"""SQLite: the search R*Tree holds active entries only, in whole 1e-7 degrees, with the category as a
third dimension, so the common searches (near a point, one category or none) read the R*Tree alone.

rtree_i32 stores 32-bit integers exactly: latitude and longitude in 1e-7 degrees (about 1 cm),
rounded half away from zero as SQLite's round() does (directory.catalog.search.nearby.to_e7 is the same in
Python); the category as its number in CATEGORY_CODES (0: none). The triggers keep it in step with
search_entry, as before. PostgreSQL is untouched (it searches an indexed box on search_entry).

Revision ID: 0006
Revises: 0005
"""
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Frozen here (a migration must not change when the code does); directory.catalog.codes.CATEGORY_CODES
# must match it (tests/catalog/test_search.py checks).
CATEGORY_CODES = {"support_group": 1, "sober_living": 2, "housing": 3, "transportation": 4, "treatment": 5}
_CODE = "CASE {col} " + " ".join(f"WHEN '{k}' THEN {v}" for k, v in CATEGORY_CODES.items()) + " ELSE 0 END"
_ROW = ("{p}.id, CAST(round({p}.latitude * 10000000.0) AS INTEGER), CAST(round({p}.latitude * 10000000.0) AS INTEGER), "
        "CAST(round({p}.longitude * 10000000.0) AS INTEGER), CAST(round({p}.longitude * 10000000.0) AS INTEGER), "
        + _CODE.format(col="{p}.category") + ", " + _CODE.format(col="{p}.category"))

CREATE_TREE = ("CREATE VIRTUAL TABLE search_rtree USING rtree_i32(id, min_lat, max_lat, min_lon, max_lon, "
               "min_cat, max_cat)")
TRIGGERS = [
    f"""CREATE TRIGGER search_entry_ai AFTER INSERT ON search_entry WHEN new.active BEGIN
          INSERT INTO search_rtree SELECT {_ROW.format(p='new')};
        END""",
    f"""CREATE TRIGGER search_entry_au AFTER UPDATE OF latitude, longitude, category, active ON search_entry BEGIN
          DELETE FROM search_rtree WHERE id = old.id;
          INSERT INTO search_rtree SELECT {_ROW.format(p='new')} WHERE new.active;
        END""",
    """CREATE TRIGGER search_entry_ad AFTER DELETE ON search_entry BEGIN
          DELETE FROM search_rtree WHERE id = old.id;
        END""",
]
FILL = f"INSERT INTO search_rtree SELECT {_ROW.format(p='e')} FROM search_entry e WHERE e.active"

OLD = [
    "CREATE VIRTUAL TABLE search_rtree USING rtree(id, min_lat, max_lat, min_lon, max_lon)",
    """CREATE TRIGGER search_entry_ai AFTER INSERT ON search_entry BEGIN
         INSERT INTO search_rtree VALUES (new.id, new.latitude, new.latitude, new.longitude, new.longitude);
       END""",
    """CREATE TRIGGER search_entry_au AFTER UPDATE OF latitude, longitude ON search_entry BEGIN
         UPDATE search_rtree SET min_lat = new.latitude, max_lat = new.latitude,
                                 min_lon = new.longitude, max_lon = new.longitude WHERE id = new.id;
       END""",
    """CREATE TRIGGER search_entry_ad AFTER DELETE ON search_entry BEGIN
         DELETE FROM search_rtree WHERE id = old.id;
       END""",
    "INSERT INTO search_rtree SELECT id, latitude, latitude, longitude, longitude FROM search_entry",
]


def _drop():
    for trigger in ("search_entry_ai", "search_entry_au", "search_entry_ad"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS search_rtree")


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    _drop()
    for statement in [CREATE_TREE, *TRIGGERS, FILL]:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    _drop()
    for statement in OLD:
        op.execute(statement)
