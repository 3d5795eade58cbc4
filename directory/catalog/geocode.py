"""Turning what people type ("92701", "Santa Ana, CA", an address) into a point.

Offline by default: ZIP codes and "City, ST" come from the `zipcodes` package, indexed once per
process. Street addresses go to an online geocoder through geopy (Nominatim, or a self-hosted
one) only when GEOCODER=nominatim is configured; without one, an address that carries a ZIP
code falls back to that ZIP's centroid and says so (precision "zip").
"""
from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass

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

    def __init__(self, text: str, message: str | None = None):
        self.text = text
        super().__init__(message or f"I couldn't find '{text.strip()}'. Try a ZIP code.")


@dataclass(frozen=True)
class Place:
    lat: float
    lon: float
    label: str  # "Santa Ana, CA 92701"
    postal_code: str | None = None
    timezone: str | None = None
    precision: str = "zip"  # zip, city, address


class _ZipIndex:
    """The zipcodes package scans a list per lookup (ms each); index it once per process."""

    def __init__(self):
        self._lock = threading.Lock()
        self.by_zip: dict[str, Place] = {}
        self.by_city: dict[tuple[str, str], Place] = {}

    def load(self):
        if self.by_zip:
            return self
        with self._lock:
            if self.by_zip:
                return self
            import zipcodes
            sums: dict[tuple[str, str], list] = {}
            by_zip = {}
            for z in zipcodes.list_all():
                if not z.get("lat") or not z.get("long"):
                    continue
                lat, lon = float(z["lat"]), float(z["long"])
                city = z["city"].title()
                by_zip[z["zip_code"]] = Place(lat, lon, f"{city}, {z['state']} {z['zip_code']}",
                                              z["zip_code"], z.get("timezone") or None, "zip")
                if z.get("zip_code_type") in ("STANDARD", "UNIQUE", "PO BOX") and z.get("active", True):
                    for name in [z["city"]] + list(z.get("acceptable_cities") or []):
                        key = (name.lower(), z["state"])
                        acc = sums.setdefault(key, [0.0, 0.0, 0, name.title(), z.get("timezone"), z["zip_code"]])
                        if z.get("zip_code_type") == "STANDARD" or acc[2] == 0:
                            acc[0] += lat
                            acc[1] += lon
                            acc[2] += 1
            self.by_city = {
                key: Place(a[0] / a[2], a[1] / a[2], f"{a[3]}, {key[1]}", None, a[4] or None, "city")
                for key, a in sums.items() if a[2]
            }
            self.by_zip = by_zip
        return self


ZIPS = _ZipIndex()


def zip_place(code: str) -> Place | None:
    return ZIPS.load().by_zip.get(code)


def city_place(city: str, state: str) -> Place | None:
    st = state.strip()
    st = st.upper() if len(st) == 2 else STATE_BY_NAME.get(st.lower(), "")
    return ZIPS.load().by_city.get((city.strip().lower(), st))


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

    def __init__(self, online=None):
        self.online = online  # a callable(text) -> (lat, lon, label) | None, e.g. geopy Nominatim

    @classmethod
    def from_env(cls, env=os.environ) -> "Geocoder":
        if env.get("GEOCODER", "offline").lower() != "nominatim":
            return cls()
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
        return cls(online=lookup)

    @staticmethod
    def _city_state(text: str) -> Place | None:
        """'Santa Ana, CA', 'santa ana ca', 'Kansas City Missouri' -> the city's centroid."""
        if "," in text:
            city, _, state = text.rpartition(",")
            return city_place(city, state) if city.strip() else None
        words = text.replace(".", " ").split()
        for n in (1, 2, 3):  # the state is the last one to three words
            if len(words) > n:
                place = city_place(" ".join(words[:-n]), " ".join(words[-n:]))
                if place:
                    return place
        return None

    def resolve(self, text: str) -> Place:
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
        if not any(ch.isdigit() for ch in text):
            place = self._city_state(text)
            if place:
                return place
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
            z = zip_place(zm.group(1))
            return Place(z.lat, z.lon, z.label, z.postal_code, z.timezone, "zip")
        raise PlaceNotFound(text)


_default: Geocoder | None = None


def default_geocoder() -> Geocoder:
    global _default
    if _default is None:
        _default = Geocoder.from_env()
    return _default
