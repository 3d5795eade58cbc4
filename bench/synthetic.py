"""Synthetic directories for the benchmarks: N listings at realistic places, deterministic per seed.

Geography: listings sit around real US standard ZIP centroids (the `zipcodes` package) with a
Gaussian jitter of about 1.5 km. The package has no population, so a ZIP's weight is the square
root of the number of ZIP centroids within 10 km of it: cities (many small ZIPs) get most of the
listings and the countryside a few. At 100,000 listings that puts about 700 in Brooklyn, Houston
or Los Angeles (close to their share of the US population) and ~2,000 in Manhattan (4x its share:
a harsher hot spot than reality). Search origins (`query_set`) are drawn with the same weights,
because people search where they live.

Each listing is one organization's service at one physical location, as an import would write
it: organization (one per three listings), service (five categories, bed capacity on sober
living and housing), location, address, phone, a weekly schedule (meetings in the evening,
offices in the day, residences 24/7), languages, attributes, and its `search_entry` row (the
R*Tree is fed by the triggers). `search_entry` is computed here the way directory.catalog.index does;
tests/bench/test_bench_smoke.py checks that the two agree.

Mixes (`MIXES`): `synthetic` (the five categories in the shares of CATEGORY_WEIGHTS, the first
benchmark's data), `realistic` (60% support groups, 20% housing, 10% treatment, 5% sober living, 5%
transportation: meetings dominate a real directory) and `meetings`: a Meeting Guide JSON feed
(`meeting_feed`, written by `cached_meeting_feed`) that the benchmark imports through
`flask --app web directory import-meetings`, as a real meeting directory is filled. Its shapes:
groups meeting on one to seven weekdays at the same place (one record per day, as intergroup
feeds list them), clustered at the same weighted ZIP centroids; 10% hybrid and 4% online-only
(a conference_url, online-only ones at an approximate point), a time zone on every record.

Generated databases are cached under bench/out/ by mix, size and seed (`cached_db`), and so are the
same listings as an HSDS 3.0 CSV datapackage for the import benchmark (`cached_hsds_csv`, in the
columns directory/catalog/importers/hsds_csv.py reads; bed capacity is not part of HSDS 3.0) and
the meeting feeds (`cached_meeting_feed`).
"""
from __future__ import annotations

import csv
import datetime as dt
import math
import random
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Boolean, Date, DateTime, Time
from tqdm import tqdm

from directory import db
from directory.catalog import cards
from directory.catalog.models import Address, Attribute, Language, Location, Organization, Phone, Schedule, SearchEntry, Service, ServiceAtLocation
from directory.catalog.codes import ATTRIBUTE_BITS, CATEGORIES, LANGUAGE_BITS
from directory.catalog.taxonomy import attribute_term_id, category_term_id, ensure_vocabulary

# Generated inputs are cached per version of the generator: a change to what it writes bumps the
# version, so no benchmark reads data made by an older one. 2: no listings at ZIPs the zipcodes package
# gives 0,0 (they had put ~15 listings a million in the Gulf of Guinea).
GENERATOR_VERSION = 2
OUT_DIR = Path(__file__).resolve().parent / "out" / f"generator-{GENERATOR_VERSION}"
CHUNK = 20_000
JITTER_KM = 1.5
NEIGHBOUR_KM = 10.0
KM_PER_DEG = 111.195

CATEGORY_WEIGHTS = {"support_group": 40, "treatment": 20, "sober_living": 15, "housing": 15, "transportation": 10}
assert set(CATEGORY_WEIGHTS) == set(CATEGORIES)
REALISTIC_WEIGHTS = {"support_group": 60, "housing": 20, "treatment": 10, "sober_living": 5, "transportation": 5}
assert set(REALISTIC_WEIGHTS) == set(CATEGORIES)
# mix -> category shares of its listings (and of its searches' categories); `meetings` is a feed.
MIXES = {"synthetic": CATEGORY_WEIGHTS, "realistic": REALISTIC_WEIGHTS, "meetings": {"support_group": 1}}
ATTRIBUTE_CHOICES = {  # what each kind of listing plausibly carries
    "support_group": ["open_meeting", "closed_meeting", "speaker", "step_study", "big_book", "beginners",
                      "discussion", "aa", "na", "smart_recovery", "al_anon", "women", "men", "lgbtq",
                      "in_person", "online", "wheelchair"],
    "treatment": ["mat_friendly", "insurance", "sliding_scale", "free", "walk_in", "youth", "veterans", "wheelchair"],
    "sober_living": ["women", "men", "mat_friendly", "pets_allowed", "veterans", "lgbtq"],
    "housing": ["free", "families_with_children", "veterans", "walk_in", "pets_allowed", "wheelchair", "youth"],
    "transportation": ["free", "wheelchair", "veterans"],
}
OTHER_LANGUAGES = ["vi", "zh", "ko", "tl", "ru", "ar", "fa", "ht", "pt", "asl"]
NOUNS = {"support_group": "Fellowship", "treatment": "Recovery Clinic", "sober_living": "Recovery House",
         "housing": "Shelter", "transportation": "Recovery Rides"}
STREETS = ["Main St", "Oak Ave", "1st St", "Broadway", "Maple Dr", "Park Ave", "Washington Blvd", "Lincoln Way",
           "Central Ave", "Elm St", "Cedar Rd", "Mission St"]
WEEKDAYS = "MO,TU,WE,TH,FR"
ALL_DAYS = "MO,TU,WE,TH,FR,SA,SU"


@dataclass(frozen=True)
class Zip:
    code: str
    lat: float
    lon: float
    city: str
    state: str
    timezone: str | None


@dataclass(frozen=True)
class Query:
    lat: float
    lon: float
    category: str | None
    radius_km: float = 25.0
    limit: int = 10

    def params(self) -> dict:
        p = {"lat": f"{self.lat:.5f}", "lon": f"{self.lon:.5f}", "radius_km": f"{self.radius_km:g}",
             "limit": str(self.limit)}
        if self.category:
            p["category"] = self.category
        return p


_ZIP_CACHE: tuple[list[Zip], list[float]] | None = None


def weighted_zips() -> tuple[list[Zip], list[float]]:
    """US ZIP centroids and their weights (sqrt of the ZIP centroids within NEIGHBOUR_KM: urbanness)."""
    global _ZIP_CACHE
    if _ZIP_CACHE is None:
        import zipcodes
        zips = [Zip(z["zip_code"], float(z["lat"]), float(z["long"]), z["city"].title(), z["state"],
                    z.get("timezone") or None)
                for z in zipcodes.list_all()
                if z.get("lat") and z.get("long") and z["zip_code_type"] == "STANDARD"
                and z["state"] not in ("AA", "AE", "AP") and (float(z["lat"]), float(z["long"])) != (0.0, 0.0)]
        cell = NEIGHBOUR_KM / KM_PER_DEG
        grid: dict[tuple[int, int], list[Zip]] = {}
        for z in zips:
            grid.setdefault((int(z.lat // cell), int(z.lon // cell)), []).append(z)
        weights = []
        for z in zips:
            gx, gy = int(z.lat // cell), int(z.lon // cell)
            kx = math.cos(math.radians(z.lat))
            near = 0
            for dx in (-1, 0, 1):
                for dy in range(-3, 4):  # a longitude degree is shorter away from the equator
                    for o in grid.get((gx + dx, gy + dy), ()):
                        if math.hypot(o.lat - z.lat, (o.lon - z.lon) * kx) * KM_PER_DEG <= NEIGHBOUR_KM:
                            near += 1
            weights.append(math.sqrt(near))
        _ZIP_CACHE = (zips, weights)
    return _ZIP_CACHE


def _jitter(rng: random.Random, z: Zip, km: float) -> tuple[float, float]:
    lat = z.lat + rng.gauss(0, km) / KM_PER_DEG
    lon = z.lon + rng.gauss(0, km) / (KM_PER_DEG * math.cos(math.radians(z.lat)))
    return round(max(-89.9, min(89.9, lat)), 6), round(((lon + 180) % 360) - 180, 6)


def _uid(kind: int, i: int, seed: int) -> str:
    """UUID-shaped ids (as HSDS sources use) that sort in insertion order, so B-trees append."""
    return f"{i:08x}-{kind:04x}-4000-8000-{seed:012x}"


def listings(n: int, seed: int, category_weights: dict[str, int] = CATEGORY_WEIGHTS):
    """Yield one dict of table -> rows per listing (deterministic for n, seed and the category shares)."""
    zips, weights = weighted_zips()
    rng = random.Random(seed)
    categories, cat_weights = list(category_weights), list(category_weights.values())
    today = dt.date(2026, 11, 1)
    now = dt.datetime(2026, 11, 1, 8, 0)
    picks = rng.choices(zips, weights=weights, k=n)
    cats = rng.choices(categories, weights=cat_weights, k=n)
    org_name = ""
    for i in range(n):
        z, category = picks[i], cats[i]
        lat, lon = _jitter(rng, z, JITTER_KM)
        org_i = i // 3
        org_id, service_id, location_id, sal_id = (_uid(1, org_i, seed), _uid(2, i, seed), _uid(3, i, seed),
                                                   _uid(4, i, seed))
        if i % 3 == 0:  # an organization runs three listings, named after its first one's city
            org_name = f"{z.city} Community Services {org_i} (bench)"
        name = f"{z.city} {NOUNS[category]} {i}"
        loc_name = f"{rng.randint(100, 9999)} {rng.choice(STREETS)}"
        active = rng.random() > 0.02
        beds = None
        if category in ("sober_living", "housing"):
            maximum = rng.randint(4, 60)
            beds = (rng.randint(0, min(maximum, 8)), maximum)
        attrs = rng.sample(ATTRIBUTE_CHOICES[category], k=rng.randint(0, 3))
        langs = ["en"] + (["es"] if rng.random() < 0.25 else []) + (
            [rng.choice(OTHER_LANGUAGES)] if rng.random() < 0.08 else [])
        if category == "support_group":
            days = ",".join(sorted(rng.sample(WEEKDAYS.split(",") + ["SA", "SU"], k=rng.randint(1, 3)),
                                   key=ALL_DAYS.split(",").index))
            start = rng.choice([dt.time(7, 0), dt.time(12, 0), dt.time(18, 30), dt.time(19, 0), dt.time(20, 0)])
            slot = (days, start, dt.time(start.hour + 1, start.minute))
        elif category in ("sober_living", "housing") and rng.random() < 0.7:
            slot = (ALL_DAYS, dt.time(0), dt.time(0))
        else:
            slot = (WEEKDAYS, dt.time(8, 0), dt.time(17, 0))
        yield {
            "organization": [dict(id=org_id, name=org_name, alternate_name=None,
                                  description="Synthetic benchmark data.",
                                  email=None, website=None, legal_status=None, year_incorporated=None,
                                  source="bench")] if i % 3 == 0 else [],
            "location": [dict(id=location_id, organization_id=org_id, location_type="physical", url=None,
                              name=loc_name, alternate_name=None, description=None, transportation=None,
                              latitude=lat, longitude=lon, timezone=z.timezone, external_identifier=None,
                              external_identifier_type=None)],
            "address": [dict(id=_uid(5, i, seed), location_id=location_id, attention=None, address_1=loc_name,
                             address_2=None, city=z.city, region=None, state_province=z.state, postal_code=z.code,
                             country="US", address_type="physical")],
            "service": [dict(id=service_id, organization_id=org_id, name=name, alternate_name=None,
                             description=f"{name}: synthetic benchmark listing.", url=None, email=None,
                             status="active" if active else "inactive", category=category,
                             interpretation_services=None, application_process=None, fees_description=None,
                             eligibility_description=None, minimum_age=None, maximum_age=None, alert=None,
                             assured_date=today - dt.timedelta(days=rng.randint(0, 400)),
                             assurer_email="peer@bench.example", last_modified=now,
                             capacity_available=beds[0] if beds else None,
                             capacity_maximum=beds[1] if beds else None,
                             capacity_unit="beds" if beds else None,
                             capacity_updated_at=now if beds else None,
                             capacity_updated_by="peer@bench.example" if beds else None)],
            "service_at_location": [dict(id=sal_id, service_id=service_id, location_id=location_id, description=None)],
            "phone": [dict(id=_uid(6, i, seed), location_id=None, service_id=service_id, organization_id=None,
                           number=f"({rng.randint(201, 989)}) 555-{rng.randint(0, 9999):04d}", extension=None,
                           type="voice", description=None)],
            "schedule": [dict(id=_uid(7, i, seed), service_id=service_id, location_id=None,
                              service_at_location_id=None, valid_from=None, valid_to=None, timezone=z.timezone,
                              freq="WEEKLY", interval=None, byday=slot[0], opens_at=slot[1], closes_at=slot[2],
                              description=None, attending_type="in person", notes=None)],
            "language": [dict(id=_uid(8, i * 4 + k, seed), service_id=service_id, location_id=None, name=None,
                              code=code, note=None) for k, code in enumerate(langs)],
            "attribute": [dict(id=_uid(9, i * 4, seed), link_id=service_id, link_entity="service",
                               link_type="category", taxonomy_term_id=category_term_id(category), value=None)]
            + [dict(id=_uid(9, i * 4 + 1 + k, seed), link_id=service_id, link_entity="service", link_type="signpost",
                    taxonomy_term_id=attribute_term_id(code), value=None) for k, code in enumerate(attrs)],
            "search_entry": [dict(service_at_location_id=sal_id, service_id=service_id, latitude=lat, longitude=lon,
                                  category=category, attribute_bits=sum(ATTRIBUTE_BITS[a] for a in attrs),
                                  language_bits=sum(LANGUAGE_BITS[c] for c in langs),
                                  beds_available=beds[0] if beds else None,
                                  active=active, search_text=" ".join((name, org_name, loc_name)).lower())],
        }


TABLES = {"organization": Organization, "location": Location, "address": Address, "service": Service,
          "service_at_location": ServiceAtLocation, "phone": Phone, "schedule": Schedule, "language": Language,
          "attribute": Attribute, "search_entry": SearchEntry}


def _stored(column):
    """How SQLAlchemy's SQLite dialect stores this column's Python values (None: as they are)."""
    t = column.type
    if isinstance(t, DateTime):
        return lambda v: None if v is None else v.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(t, Date):
        return lambda v: None if v is None else v.isoformat()
    if isinstance(t, Time):
        return lambda v: None if v is None else v.strftime("%H:%M:%S.%f")
    if isinstance(t, Boolean):
        return lambda v: None if v is None else int(v)
    return None


class _TableWriter:
    """Rows (dicts) of one table to SQLite through the driver's executemany: SQLAlchemy's
    per-row parameter processing would take as long as SQLite itself."""

    def __init__(self, table, columns: list[str]):
        self.columns = columns
        self.convert = [_stored(table.c[name]) for name in columns]
        self.sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        self.rows: list[tuple] = []

    def add(self, row: dict) -> None:
        self.rows.append(tuple(row[c] if f is None else f(row[c]) for c, f in zip(self.columns, self.convert)))

    def flush(self, conn) -> int:
        conn.executemany(self.sql, self.rows)
        n, self.rows = len(self.rows), []
        return n


def generate(path: Path, n: int, seed: int, progress: bool = True,
             category_weights: dict[str, int] = CATEGORY_WEIGHTS) -> dict[str, int]:
    """Write a migrated SQLite database with n synthetic listings at `path` (replaced). Returns row counts."""
    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    db.upgrade(url)
    with db.Session.begin() as s:
        ensure_vocabulary(s)
    db.engine().dispose()  # the raw connection below switches the journal off: no other connection open
    conn = sqlite3.connect(path, isolation_level=None)
    # A throw-away file being filled once: no journal, no fsync. The app's pragmas apply later.
    for pragma in ("journal_mode=DELETE", "journal_mode=OFF", "synchronous=OFF", "cache_size=-262144",
                   "foreign_keys=OFF"):
        conn.execute(f"PRAGMA {pragma}")
    counts = dict.fromkeys(TABLES, 0)
    writers: dict[str, _TableWriter] = {}
    conn.execute("BEGIN")
    with tqdm(total=n, desc=f"synthetic {n:,} listings", unit=" listings", disable=not progress,
              mininterval=1.0) as bar:
        for i, listing in enumerate(listings(n, seed, category_weights), 1):
            for table, rows in listing.items():
                for row in rows:
                    if table not in writers:
                        writers[table] = _TableWriter(TABLES[table].__table__, list(row))
                    writers[table].add(row)
            if i % CHUNK == 0 or i == n:
                for table, writer in writers.items():
                    counts[table] += writer.flush(conn)
                bar.update(CHUNK if i % CHUNK == 0 else n % CHUNK)
    conn.execute("COMMIT")
    conn.close()
    _write_cards(n, progress)
    db.engine().dispose()
    return counts


def _write_cards(n: int, progress: bool) -> None:
    """Each search entry's card, built by directory.catalog.cards from the rows just written (as the indexer does).
    Through the app's engine, whose connections also switch the file to WAL."""
    with db.engine().begin() as conn:
        driver = conn.connection.driver_connection
        sal_ids = [r[0] for r in driver.execute("SELECT service_at_location_id FROM search_entry ORDER BY id")]
        with tqdm(total=len(sal_ids), desc=f"synthetic {n:,} cards", unit=" cards", disable=not progress,
                  mininterval=1.0) as bar:
            for i in range(0, len(sal_ids), 2000):
                chunk = sal_ids[i:i + 2000]
                built = cards.build_cards(conn, chunk)
                driver.executemany("UPDATE search_entry SET card = ? WHERE service_at_location_id = ?",
                                   [(cards.dumps(built[sal]), sal) for sal in chunk])
                bar.update(len(chunk))


def db_path(n: int, seed: int, mix: str = "synthetic") -> Path:
    """Where the database of a mix, size and seed is cached (the meetings one is an import's)."""
    return OUT_DIR / f"{mix}-{n}-seed{seed}.db"


def cached_db(n: int, seed: int, regenerate: bool = False, progress: bool = True, mix: str = "synthetic") -> Path:
    """The synthetic database for (n, seed) and a generated mix under bench/out/, generated when
    missing or asked to. (The `meetings` mix is imported from its feed by the benchmark.)"""
    if mix not in MIXES or mix == "meetings":
        raise ValueError(f"no generated database for the mix {mix!r}")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = db_path(n, seed, mix)
    if regenerate or not path.exists():
        partial = path.with_suffix(".partial")
        generate(partial, n, seed, progress, MIXES[mix])
        partial.rename(path)
    return path


def query_set(k: int, seed: int, category_share: float = 0.4, mix: str = "synthetic") -> list[Query]:
    """k search origins near the data (weighted ZIPs, ~1 km off the centroid), 25 km, limit 10; a
    category (in the mix's shares: people search for what there is) `category_share` of the time."""
    zips, weights = weighted_zips()
    rng = random.Random(seed * 7919 + 1)
    categories, cat_weights = list(MIXES[mix]), list(MIXES[mix].values())
    out = []
    for z in rng.choices(zips, weights=weights, k=k):
        lat, lon = _jitter(rng, z, 1.0)
        category = rng.choices(categories, weights=cat_weights)[0] if rng.random() < category_share else None
        out.append(Query(lat, lon, category))
    return out


# HSDS 3.0 CSV files of the datapackage: file -> SELECT of its columns from the synthetic database.
# Times as HH:MM and date-times with a T, as HSDS writes them; bed capacity is not in HSDS 3.0.
HSDS_FILES = {
    "organizations.csv": "SELECT id, name, description FROM organization",
    "locations.csv": "SELECT id, location_type, organization_id, name, latitude, longitude FROM location",
    "services.csv": "SELECT id, organization_id, name, description, status, assured_date, assurer_email, "
                    "replace(substr(last_modified, 1, 19), ' ', 'T') AS last_modified FROM service",
    "service_at_locations.csv": "SELECT id, service_id, location_id FROM service_at_location",
    "addresses.csv": "SELECT id, location_id, address_1, city, state_province, postal_code, country, address_type "
                     "FROM address",
    "phones.csv": "SELECT id, service_id, number, type FROM phone",
    "schedules.csv": "SELECT id, service_id, freq, byday, substr(opens_at, 1, 5) AS opens_at, "
                     "substr(closes_at, 1, 5) AS closes_at, attending_type FROM schedule",
    "languages.csv": "SELECT id, service_id, code FROM language",
    "attributes.csv": "SELECT id, link_id, link_entity, link_type, taxonomy_term_id FROM attribute",
}


def write_hsds_csv(folder: Path, database: Path, progress: bool = True) -> None:
    """A synthetic database's listings as an HSDS 3.0 CSV datapackage (one CSV per table) in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        for name, sql in tqdm(HSDS_FILES.items(), desc="HSDS CSV files", unit=" files", disable=not progress):
            cursor = conn.execute(sql)
            with (folder / name).open("w", newline="", encoding="utf-8") as f:
                writer = csv.writer(f)
                writer.writerow([d[0] for d in cursor.description])
                writer.writerows(cursor)
    finally:
        conn.close()


def cached_hsds_csv(n: int, seed: int, regenerate: bool = False, progress: bool = True,
                    mix: str = "synthetic") -> Path:
    """The HSDS CSV datapackage for (n, seed, mix) under bench/out/, written (from cached_db) when missing."""
    database = cached_db(n, seed, regenerate=regenerate, progress=progress, mix=mix)
    folder = OUT_DIR / (f"hsds-{n}-seed{seed}" if mix == "synthetic" else f"hsds-{mix}-{n}-seed{seed}")
    if regenerate or not folder.is_dir():
        partial = folder.with_name(folder.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        write_hsds_csv(partial, database, progress)
        shutil.rmtree(folder, ignore_errors=True)
        partial.rename(folder)
    return folder


# --- a Meeting Guide feed (the `meetings` mix) --------------------------------------------------
# Fields the importer (directory/catalog/importers/meeting_guide.py) reads, per the code4recovery
# Meeting Guide spec: name, slug, day (0 = Sunday), time, end_time, types, latitude/longitude,
# address/city/state/postal_code/country, formatted_address, location, group, timezone, updated,
# conference_url (hybrid and online meetings), approximate (online-only ones).
MEETING_WORDS = ["Serenity", "Hope", "Freedom", "New Beginnings", "Sunrise", "Happy Hour", "Keep It Simple",
                 "Easy Does It", "Came To Believe", "Into Action", "Promises", "Lunch Bunch", "Night Owls",
                 "Living Sober", "Step Sisters", "Back To Basics"]
MEETING_PLACES = ["St. Mark's Church", "Community Center", "Alano Club", "First Methodist Church", "Public Library",
                  "Fellowship Hall", "Recovery Center", "Grace Lutheran Church", "YMCA", "Senior Center"]
MEETING_TYPES = ["O", "C", "D", "SP", "B", "ST", "BE", "W", "M", "Y", "LGBTQ", "X", "12x12", "MED", "LIT", "CAN"]
MEETING_TIMES = ["06:30", "07:00", "12:00", "12:10", "17:30", "18:00", "18:30", "19:00", "19:30", "20:00", "21:00"]
# How many weekdays a group meets on (one record per day): most once or a few times, some daily.
MEETING_DAY_COUNTS = {1: 35, 2: 15, 3: 15, 4: 8, 5: 12, 6: 5, 7: 10}
_DAY_NAMES = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")


def _slug(value: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in value.lower()).split())


def meeting_feed(n: int, seed: int):
    """Yield n Meeting Guide meetings (dicts), deterministic for n and seed: groups at places
    around the weighted ZIP centroids, each meeting on one or more weekdays (a record per day,
    mostly at the same time), 10% hybrid, 4% online-only (at the ZIP's point, approximate)."""
    zips, weights = weighted_zips()
    cum = list(_accumulate(weights))
    rng = random.Random(seed * 104_729 + 3)
    counts, count_weights = list(MEETING_DAY_COUNTS), list(MEETING_DAY_COUNTS.values())
    made, g = 0, 0
    while made < n:
        z = rng.choices(zips, cum_weights=cum)[0]
        word = rng.choice(MEETING_WORDS)
        group = f"{z.city} {word} Group {g}"
        place = rng.choice(MEETING_PLACES)
        street = f"{rng.randint(100, 9999)} {rng.choice(STREETS)}"
        kind = rng.random()
        online_only, hybrid = kind < 0.04, 0.04 <= kind < 0.14
        lat, lon = (z.lat, z.lon) if online_only else _jitter(rng, z, JITTER_KM)
        types = rng.sample(MEETING_TYPES, k=rng.randint(1, 4))
        if rng.random() < 0.1:
            types.append("S")  # Spanish
        if online_only:
            types.append("ONL")
        days = sorted(rng.sample(range(7), k=rng.choices(counts, weights=count_weights)[0]))
        same_time = rng.random() < 0.8
        start = rng.choice(MEETING_TIMES)
        for d in days:
            if made >= n:
                break
            t = start if same_time else rng.choice(MEETING_TIMES)
            h, m = map(int, t.split(":"))
            minutes = h * 60 + m + rng.choice((60, 60, 60, 90))
            meeting = {
                "name": f"{word} {_DAY_NAMES[d].title()}" if rng.random() < 0.3 else f"{word} Group",
                "slug": f"{_slug(group)}-{_DAY_NAMES[d]}-{t.replace(':', '')}",
                "day": d, "time": t, "end_time": f"{minutes // 60 % 24:02d}:{minutes % 60:02d}",
                "types": types, "group": group,
                "location": None if online_only else place,
                "address": None if online_only else street, "city": z.city, "state": z.state,
                "postal_code": z.code, "country": "US",
                "formatted_address": f"{z.city}, {z.state} {z.code}, USA" if online_only
                else f"{street}, {z.city}, {z.state} {z.code}, USA",
                "latitude": lat, "longitude": lon,
                "updated": "2026-11-01 08:00:00",
            }
            if z.timezone:
                meeting["timezone"] = z.timezone
            if online_only or hybrid:
                meeting["conference_url"] = f"https://zoom.us/j/{rng.randint(10 ** 9, 10 ** 10 - 1)}"
            if online_only:
                meeting["approximate"] = "yes"
            made += 1
            yield meeting
        g += 1


def _accumulate(values):
    total = 0.0
    for v in values:
        total += v
        yield total


def write_meeting_feed(path: Path, n: int, seed: int, progress: bool = True) -> None:
    """The meetings of `meeting_feed` as one JSON list (a Meeting Guide feed), written as it goes."""
    import json
    with path.open("w", encoding="utf-8") as f, tqdm(total=n, desc=f"meeting feed {n:,}", unit=" meetings",
                                                     disable=not progress, mininterval=1.0) as bar:
        f.write("[\n")
        for i, meeting in enumerate(meeting_feed(n, seed)):
            f.write((",\n" if i else "") + json.dumps(meeting, separators=(",", ":")))
            if i % CHUNK == 0:
                bar.update(CHUNK if i else 1)
        f.write("\n]\n")


def cached_meeting_feed(n: int, seed: int, regenerate: bool = False, progress: bool = True) -> Path:
    """The Meeting Guide feed of n meetings for seed under bench/out/, written when missing."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / f"meetings-{n}-seed{seed}.json"
    if regenerate or not path.exists():
        partial = path.with_suffix(".partial")
        write_meeting_feed(partial, n, seed, progress)
        partial.rename(path)
    return path
