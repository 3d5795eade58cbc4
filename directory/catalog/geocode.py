"""Turning what people type ("92701", "Santa Ana, CA", an address) into a point.

Offline by default: ZIP codes and "City, ST" come from the `zipcodes` package, indexed once per
process. Inside the service area (SERVICE_AREA, state codes; by default the states where the
directory's places cluster, `data_area`) a bare city, neighbourhood or county name is enough
("santa ana", "miami", "orange county"), and a misspelt city name is corrected when one spelling
is clearly meant ("Maimi", "Santa Anna, CA"); otherwise the error suggests the nearest spellings.
Street addresses go to an online geocoder through geopy (Nominatim, or a self-hosted one) only
when GEOCODER=nominatim is configured; without one, an address that carries a ZIP
code falls back to that ZIP's centroid and says so (precision "zip").
"""
from __future__ import annotations

import hashlib
import importlib.util
import logging
import marshal
import os
import re
import tempfile
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

logger = logging.getLogger(__name__)

US_STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon",
    "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia",
    "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    "PR": "Puerto Rico", "GU": "Guam", "VI": "Virgin Islands",
}
STATE_BY_NAME = {name.lower(): code for code, name in US_STATES.items()}

ZIP_RE = re.compile(r"^\s*(\d{5})(?:-\d{4})?\s*$")
ZIP_IN_TEXT_RE = re.compile(r"\b(\d{5})(?:-\d{4})?\b")


class PlaceNotFound(LookupError):
    """Nothing matched; the message is for a person and says what to try."""

    def __init__(self, text: str, message: str | None = None, suggestions: list[str] | tuple = ()):
        self.text = text
        self.suggestions = list(suggestions)  # "Santa Ana, CA": the nearest spellings we know
        if message is None and self.suggestions:
            message = f"I couldn't find '{text.strip()}'. Did you mean {_or(self.suggestions)}? Or try a ZIP code."
        super().__init__(message or f"I couldn't find '{text.strip()}'. Try a ZIP code.")


def _or(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


@dataclass(frozen=True)
class Place:
    lat: float
    lon: float
    label: str  # "Santa Ana, CA 92701"
    postal_code: str | None = None
    timezone: str | None = None
    precision: str = "zip"  # zip, city, address


class _ZipIndex:
    """The zipcodes package scans a list per lookup (ms each); index it once per process.

    Building the index takes ~0.7 s (the package's compressed JSON, then ~42,000 ZIPs): every
    command and server start paid it. So the finished index is kept in a cache file
    (`zip_index_cache_file`), marshal (data only, no code runs on reading it), read in ~0.2 s;
    its name changes when the package's data or the building code does."""

    def __init__(self):
        self._lock = threading.Lock()
        self.by_zip: dict[str, Place] = {}
        self.by_city: dict[tuple[str, str], Place] = {}
        self.by_county: dict[tuple[str, str], Place] = {}  # ("orange county", "CA")
        self.zip_count: dict[tuple[str, str], int] = {}  # ZIPs of a city or county: the bigger of two namesakes wins

    def load(self):
        if self.by_zip:
            return self
        with self._lock:
            if self.by_zip:
                return self
            cache = zip_index_cache_file()
            tables = _read_zip_cache(cache) if cache else None
            if tables is None:
                tables = _build_zip_tables()
                if cache:
                    _write_zip_cache(cache, tables)
            by_zip, by_city, by_county, zip_count = tables
            self.by_city = {key: Place(*p) for key, p in by_city.items()}
            self.by_county = {key: Place(*p) for key, p in by_county.items()}
            self.zip_count = zip_count
            self.by_zip = {code: Place(*p) for code, p in by_zip.items()}  # last: it says "loaded"
        return self


def _build_zip_tables() -> tuple[dict, dict, dict, dict]:
    """(by_zip, by_city, by_county, zip_count) from the zipcodes package, places as plain tuples
    of Place's fields."""
    import zipcodes
    sums: dict[tuple[str, str], list] = {}
    counties: dict[tuple[str, str], list] = {}
    by_zip = {}
    unplaced = []  # ZIPs the package gives 0,0: no coordinates (APO/FPO, PO boxes, a few standard ones)
    for z in zipcodes.list_all():
        if not z.get("lat") or not z.get("long"):
            continue
        lat, lon = float(z["lat"]), float(z["long"])
        if lat == 0.0 and lon == 0.0:
            unplaced.append(z)  # counted in no city or county average, or it drags them out to sea
            continue
        city = z["city"].title()
        by_zip[z["zip_code"]] = (lat, lon, f"{city}, {z['state']} {z['zip_code']}", z["zip_code"],
                                 z.get("timezone") or None, "zip")
        if z.get("zip_code_type") == "STANDARD" and z.get("county"):
            acc = counties.setdefault((z["county"].lower(), z["state"]), [0.0, 0.0, 0, z["county"], z.get("timezone")])
            acc[0] += lat
            acc[1] += lon
            acc[2] += 1
        if z.get("zip_code_type") in ("STANDARD", "UNIQUE", "PO BOX") and z.get("active", True):
            for name in [z["city"]] + list(z.get("acceptable_cities") or []):
                key = (name.lower(), z["state"])
                acc = sums.setdefault(key, [0.0, 0.0, 0, name.title(), z.get("timezone"), z["zip_code"]])
                if z.get("zip_code_type") == "STANDARD" or acc[2] == 0:
                    acc[0] += lat
                    acc[1] += lon
                    acc[2] += 1
    by_city = {key: (a[0] / a[2], a[1] / a[2], f"{a[3]}, {key[1]}", None, a[4] or None, "city")
               for key, a in sums.items() if a[2]}
    by_county = {key: (a[0] / a[2], a[1] / a[2], f"{a[3]}, {key[1]}", None, a[4] or None, "county")
                 for key, a in counties.items()}
    zip_count = {**{key: a[2] for key, a in sums.items()}, **{key: a[2] for key, a in counties.items()}}
    for z in unplaced:  # such a ZIP stands for its city's centre, said as such ("city")
        town = by_city.get((z["city"].lower(), z["state"]))
        if town is not None and z["zip_code"] not in by_zip:
            by_zip[z["zip_code"]] = (town[0], town[1], f"{z['city'].title()}, {z['state']} {z['zip_code']}",
                                     z["zip_code"], z.get("timezone") or town[4], "city")
    return by_zip, by_city, by_county, zip_count


def zip_index_cache_file() -> Path | None:
    """Where the built ZIP index is kept: SIGNPOST_CACHE_DIR, else $XDG_CACHE_HOME/signpost or
    ~/.cache/signpost. Named by the package's data file (size, time) and a digest of the building
    code, so an upgrade or a change to _build_zip_tables never reads an old index. None: the
    package's data cannot be found, or SIGNPOST_CACHE_DIR is "off" (build every time)."""
    folder = os.environ.get("SIGNPOST_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "signpost")
    if folder == "off":
        return None
    try:
        spec = importlib.util.find_spec("zipcodes")  # found, not imported: importing it reads the data
        data = os.stat(os.path.join(os.path.dirname(spec.origin), "zips.json.bz2"))
    except (ImportError, AttributeError, TypeError, OSError):
        return None
    code = hashlib.blake2b(marshal.dumps(_build_zip_tables.__code__), digest_size=8).hexdigest()
    return Path(folder) / f"zip-index-{data.st_size}-{int(data.st_mtime)}-{code}.marshal"


def _read_zip_cache(path: Path):
    try:
        tables = marshal.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError, EOFError, TypeError) as exc:  # unreadable or damaged: built again
        logger.warning("ZIP index cache %s unreadable (%s): building the index again", path, exc)
        return None
    if not (isinstance(tables, tuple) and len(tables) == 4 and all(isinstance(t, dict) for t in tables) and tables[0]):
        logger.warning("ZIP index cache %s is not an index: building it again", path)
        return None
    return tables


def _write_zip_cache(path: Path, tables) -> None:
    """Written whole or not at all (a temporary file renamed), so a reader never sees half of one."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=path.name, suffix=".tmp", delete=False) as f:
            f.write(marshal.dumps(tables))
        os.replace(f.name, path)
        for old in path.parent.glob("zip-index-*.marshal"):  # an earlier package's or code's: never read again
            if old != path:
                old.unlink(missing_ok=True)
    except OSError as exc:  # a read-only home: the index is built in every process instead
        logger.info("ZIP index not cached (%s): it will be built at each start", exc)


ZIPS = _ZipIndex()


def zip_place(code: str) -> Place | None:
    return ZIPS.load().by_zip.get(code)


def city_place(city: str, state: str) -> Place | None:
    st = state.strip()
    st = st.upper() if len(st) == 2 else STATE_BY_NAME.get(st.lower(), "")
    return ZIPS.load().by_city.get((city.strip().lower(), st))


def _squeeze(text: str) -> str:
    """'Lee's Summit', 'lees  summit.' -> 'lees summit': how place names are compared."""
    return " ".join(re.sub(r"[^a-z0-9 ]+", "", text.lower().replace("-", " ").replace(".", " ")).split())


# Short names people text for places in many service areas: the name they stand for.
ALIASES = {"hb": "huntington beach", "kc": "kansas city", "kcmo": "kansas city", "kck": "kansas city ks",
           "oc": "orange county", "nyc": "new york", "okc": "oklahoma city", "stl": "saint louis"}


def parse_area(value: str | None) -> tuple[str, ...]:
    """'CA,MO, ks' or 'California; Kansas' -> ('CA', 'MO', 'KS'); unknown parts are ignored."""
    out = []
    for part in re.split(r"[,;]+", value or ""):
        part = part.strip().rstrip(".")
        code = part.upper() if part.upper() in US_STATES else STATE_BY_NAME.get(part.lower())
        codes = [code] if code else [w.upper() for w in part.split() if w.upper() in US_STATES]
        out += [c for c in codes if c not in out]
    return tuple(out)


AREA_TTL_SECONDS = 3600.0
EMPTY_AREA_TTL_SECONDS = 30.0  # an empty directory may be filled in a minute: ask again soon
AREA_MIN_PLACES = 20  # places in a half-degree cell that make it part of the service area (fewer in a small directory)
_area_cache: dict[str, tuple[float, tuple[str, ...]]] = {}


def data_area(bind=None) -> tuple[str, ...]:
    """The directory's own states: those of the ZIP codes in the half-degree cells (about 50 km)
    where its places cluster, read once every AREA_TTL_SECONDS per database (one grouped scan).
    A cell counts with AREA_MIN_PLACES places (or a tenth of a small directory's): a 211 export's
    few national offices in other states do not make their cities bare names, while the states
    around a metro do (a Kansas City feed's addresses are all in Missouri; Overland Park, Kansas,
    shares their cell)."""
    from directory import db
    from directory.sql import fetch_rows
    try:
        engine = bind or db.engine()
    except Exception:  # no database configured (a script, a unit test): no area
        return ()
    key = str(getattr(engine, "url", id(engine)))
    cached = _area_cache.get(key)
    if cached and time.monotonic() - cached[0] < (AREA_TTL_SECONDS if cached[1] else EMPTY_AREA_TTL_SECONDS):
        return cached[1]
    try:
        with engine.connect() as conn:
            # Half degrees truncated toward zero, like Python's int(): SQLite's CAST does that, PostgreSQL's rounds.
            cell = "CAST({} * 2 AS INTEGER)" if conn.dialect.name == "sqlite" else "CAST(TRUNC({} * 2) AS INTEGER)"
            cells = fetch_rows(conn, f"SELECT {cell.format('latitude')}, {cell.format('longitude')}, COUNT(*) "
                                     "FROM location WHERE latitude IS NOT NULL AND longitude IS NOT NULL "
                                     "GROUP BY 1, 2", {})
    except Exception:  # no schema yet, or the file is busy with an import: no area this time
        cells = []
    enough = min(AREA_MIN_PLACES, max(2, 0.1 * sum(n for *_cell, n in cells)))
    counts: dict[str, int] = {}
    by_cell = _zip_states_by_cell()
    for lat2, lon2, n in cells:
        if n >= enough:
            for code in by_cell.get((lat2, lon2), ()):
                counts[code] = counts.get(code, 0) + n
    area = tuple(sorted(counts, key=lambda c: -counts[c]))
    _area_cache[key] = (time.monotonic(), area)
    return area


_cells: dict[tuple[int, int], set[str]] | None = None


def _zip_states_by_cell() -> dict[tuple[int, int], set[str]]:
    """The states of the ZIP centroids in each half-degree cell (truncated like SQL's CAST)."""
    global _cells
    if _cells is None:
        cells: dict[tuple[int, int], set[str]] = {}
        for code, place in ZIPS.load().by_zip.items():
            state = place.label.rsplit(", ", 1)[-1][:2]
            cells.setdefault((int(place.lat * 2), int(place.lon * 2)), set()).add(state)
        _cells = cells
    return _cells


@lru_cache(maxsize=64)
def _names_in(states: tuple[str, ...]) -> dict[str, list[tuple[str, str, str]]]:
    """Squeezed city, neighbourhood and county names of these states -> their (kind, state, name) keys."""
    index = ZIPS.load()
    wanted = set(states)
    out: dict[str, list[tuple[str, str]]] = {}
    for (name, state) in index.by_city:
        if state in wanted:
            out.setdefault(_squeeze(name), []).append(("city", state, name))
    for (name, state) in index.by_county:
        if state in wanted:
            out.setdefault(_squeeze(name), []).append(("county", state, name))
    return out


def _place_of(kind: str, state: str, name: str) -> Place:
    index = ZIPS.load()
    return (index.by_city if kind == "city" else index.by_county)[(name, state)]


def _biggest(keys) -> tuple[str, str, str]:
    """Of namesakes (Kansas City MO and KS), the one with the most ZIP codes."""
    return max(keys, key=_size)


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance, or limit + 1 once it must exceed limit:
    'maimi' -> 'miami' is one swap, where difflib's ratio sees little in common."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2, prev = None, list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if prev2 is not None and i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def typo_allowance(name: str) -> int:
    """Edits a spelling may be away from a name and still be corrected to it without asking."""
    letters = len(name.replace(" ", ""))
    return 0 if letters < 4 else 1 if letters < 8 else 2


@lru_cache(maxsize=4096)
def close_names(text: str, states: tuple[str, ...], limit: int = 3) -> tuple[tuple[int, str], ...]:
    """(edit distance, squeezed name) of the names in these states nearest to `text`, nearest first,
    within a third of its length; ties go to the bigger place."""
    text = _squeeze(text)
    if len(text) < 3:
        return ()
    most = max(1, min(3, len(text) // 3))
    found = []
    for name, keys in _names_in(states).items():
        if name[0] not in text[:2] and text[0] not in name[:2]:  # a first-letter typo is rare; this skips most names
            continue
        d = _edit_distance(text, name, most)
        if d <= most:
            size = max(ZIPS.load().zip_count.get((k[2], k[1]), 0) for k in keys)
            found.append((d, -size, name))
    found.sort()
    return tuple((d, name) for d, _size, name in found[:limit])


def in_area(text: str, states: tuple[str, ...]) -> Place | None:
    """A bare name ('santa ana', 'orange county', 'hb') in the service area, exactly or with a typo."""
    if not states:
        return None
    name = _squeeze(text)
    name = ALIASES.get(name, name)
    if name in ALIASES.values() and " " in name and name.split()[-1].upper() in US_STATES:  # 'kansas city ks'
        city, state = name.rsplit(" ", 1)
        return city_place(city, state)
    names = _names_in(states)
    keys = names.get(name) or names.get(name + " county")
    if keys:
        return _place_of(*_biggest(keys))
    near = close_names(name, states)
    if near and near[0][0] <= typo_allowance(name):
        best = _biggest(names[near[0][1]])
        rivals = [n for d, n in near[1:] if d == near[0][0]]
        # A tie goes to a place much bigger than its rivals ('irvin': Irvine, CA, not Irwin, MO).
        if all(_size(best) >= TIE_SIZE_RATIO * _size(_biggest(names[n])) for n in rivals):
            return _place_of(*best)
    return None


TIE_SIZE_RATIO = 3


def _size(key: tuple[str, str, str]) -> int:
    return ZIPS.load().zip_count.get((key[2], key[1]), 0)


def suggestions(text: str, states: tuple[str, ...], limit: int = 3) -> list[str]:
    """'Santa Ana, CA'-style labels of the names nearest to `text` in these states."""
    if not states:
        return []
    names = _names_in(states)
    out = []
    for _d, name in close_names(_squeeze(text), states, limit):
        place = _place_of(*_biggest(names[name]))
        if place.label not in out:
            out.append(place.label)
    return out


def timezone_for(lat: float, lon: float, postal_code: str | None = None) -> str | None:
    """The IANA zone of a place: from its ZIP when known, else the nearest ZIP centroid's."""
    if postal_code:
        p = zip_place(postal_code[:5])
        if p and p.timezone:
            return p.timezone
    return nearest_zip(lat, lon).timezone if ZIPS.load().by_zip else None


_GRID: dict[tuple[int, int], list[Place]] | None = None


def nearest_zip(lat: float, lon: float) -> Place:
    """Nearest ZIP centroid (1-degree grid, then the 3x3 neighbourhood)."""
    from directory.catalog.geo import distance_km
    global _GRID
    if _GRID is None:
        grid: dict[tuple[int, int], list[Place]] = {}
        for p in ZIPS.load().by_zip.values():
            grid.setdefault((int(p.lat // 1), int(p.lon // 1)), []).append(p)
        _GRID = grid
    gx, gy = int(lat // 1), int(lon // 1)
    for ring in range(0, 30):
        cands = [p for dx in range(-ring, ring + 1) for dy in range(-ring, ring + 1)
                 if max(abs(dx), abs(dy)) == ring or ring == 0
                 for p in _GRID.get((gx + dx, gy + dy), [])]
        if cands:
            return min(cands, key=lambda p: distance_km(lat, lon, p.lat, p.lon))
    raise PlaceNotFound(f"{lat},{lon}")


class Geocoder:
    """Resolves place text; online only for street addresses and only when configured."""

    def __init__(self, online=None, area=None):
        self.online = online  # a callable(text) -> (lat, lon, label) | None, e.g. geopy Nominatim
        # The service area: state codes, or a callable giving them (default: the directory's own states).
        self.area = area

    def area_states(self) -> tuple[str, ...]:
        area = self.area() if callable(self.area) else self.area
        return tuple(area or ())

    @classmethod
    def from_env(cls, env=os.environ) -> "Geocoder":
        area = parse_area(env.get("SERVICE_AREA")) or data_area
        if env.get("GEOCODER", "offline").lower() != "nominatim":
            return cls(area=area)
        from geopy.extra.rate_limiter import RateLimiter
        from geopy.geocoders import Nominatim
        nominatim = Nominatim(
            user_agent=env.get("GEOCODER_USER_AGENT", "signpost-directory"),
            domain=env.get("GEOCODER_DOMAIN", "nominatim.openstreetmap.org"),
            scheme=env.get("GEOCODER_SCHEME", "https"),
            timeout=float(env.get("GEOCODER_TIMEOUT", "5")),
        )
        # Nominatim's public policy is one request a second; a self-hosted one may allow more.
        limited = RateLimiter(nominatim.geocode, min_delay_seconds=float(env.get("GEOCODER_MIN_DELAY", "1")),
                              max_retries=1, swallow_exceptions=False)

        def lookup(text):
            loc = limited(text, country_codes="us", exactly_one=True)
            return None if loc is None else (loc.latitude, loc.longitude, loc.address)
        return cls(online=lookup, area=area)

    @staticmethod
    def _split_state(text: str) -> list[tuple[str, str]]:
        """The (city, state code) readings of 'Santa Ana, CA', 'santa ana ca', 'Kansas City Missouri'."""
        if "," in text:
            city, _, state = text.rpartition(",")
            state = state.strip().rstrip(".")
            code = state.upper() if state.upper() in US_STATES else STATE_BY_NAME.get(state.lower())
            return [(city, code)] if city.strip() and code else []
        words = text.replace(".", " ").split()
        out = []
        for n in (1, 2, 3):  # the state is the last one to three words
            if len(words) > n:
                state = " ".join(words[-n:])
                code = state.upper() if n == 1 and state.upper() in US_STATES else STATE_BY_NAME.get(state.lower())
                if code:
                    out.append((" ".join(words[:-n]), code))
        return out

    @classmethod
    def _city_state(cls, text: str) -> Place | None:
        """'Santa Ana, CA', 'santa ana ca', 'Kansas City Missouri' -> the city's centroid."""
        for city, state in cls._split_state(text):
            place = city_place(city, state) or ZIPS.load().by_county.get((_squeeze(city), state))
            if place:
                return place
        return None

    @classmethod
    def _near_spelling(cls, text: str) -> tuple[Place | None, list[str]]:
        """'Maimi, FL' -> Miami, FL when one spelling is clearly meant; else the nearest spellings."""
        hints: list[str] = []
        for city, state in cls._split_state(text):
            place = in_area(city, (state,))
            if place:
                return place, []
            hints += [h for h in suggestions(city, (state,)) if h not in hints]
        return None, hints

    def resolve(self, text: str, area: tuple[str, ...] | None = None) -> Place:
        """The place `text` names. `area`: the service area's states (default: this geocoder's)."""
        if text is None or not str(text).strip():
            raise PlaceNotFound("", "Tell me a ZIP code, a city and state (e.g. 'Santa Ana, CA') or an address.")
        text = str(text).strip()
        if len(text) > 200:
            raise PlaceNotFound(text[:40] + "...", "That place is too long. Try a ZIP code.")
        m = ZIP_RE.match(text)
        if m:
            place = zip_place(m.group(1))
            if place is None:
                raise PlaceNotFound(text, f"I couldn't find the ZIP code {m.group(1)}. Check it, or try a city and state.")
            return place
        hints: list[str] = []
        if not any(ch.isdigit() for ch in text):
            place = self._city_state(text)
            if place:
                return place
            if self._split_state(text):  # a state is named: its own cities, whatever the area
                place, hints = self._near_spelling(text)
                if place:
                    return place
            else:
                states = self.area_states() if area is None else tuple(area)
                place = in_area(text, states)
                if place:
                    return place
                hints = suggestions(text, states)
        if self.online is not None:
            try:
                found = self.online(text)
            except Exception as exc:  # network, rate limit, service down: fall back below
                found = None
                self._last_error = exc
            if found:
                lat, lon, label = found
                return Place(lat, lon, label, None, timezone_for(lat, lon), "address")
        zm = ZIP_IN_TEXT_RE.search(text)
        if zm and zip_place(zm.group(1)):
            return zip_place(zm.group(1))  # its precision: "zip", or "city" for a ZIP without coordinates
        raise PlaceNotFound(text, suggestions=hints)


_default: Geocoder | None = None


def default_geocoder() -> Geocoder:
    global _default
    if _default is None:
        _default = Geocoder.from_env()
    return _default
