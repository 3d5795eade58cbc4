"""Coordinates, distances and the one place radius and coordinates are validated.

Distances are great-circle kilometres with geopy's Earth radius; `distance_km` is the fast
formula search uses on every candidate, and tests check it against geopy.distance.great_circle.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from geopy.distance import EARTH_RADIUS  # km, the mean radius geopy's great_circle uses

MAX_RADIUS_KM = 500.0
DEFAULT_RADIUS_KM = 25.0


class InvalidQuery(ValueError):
    """A search argument a person or a program got wrong; the message says how to fix it."""

    def __init__(self, message: str, code: str = "bad_request", field: str | None = None):
        super().__init__(message)
        self.code = code
        self.field = field


# ASCII digits only: Python's float() and int() also take '1_0', Arabic-Indic digits and 'nan'.
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?")
_WHOLE = re.compile(r"[+-]?[0-9]{1,18}")


def strict_float(value) -> float:
    """A decimal number written the plain way (ValueError otherwise)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip() if isinstance(value, str) else None
    if text is None or not _DECIMAL.fullmatch(text):
        raise ValueError(f"not a plain decimal number: {value!r}")
    return float(text)


def strict_int(value) -> int:
    """A whole number written in ASCII digits, at most 18 of them (ValueError otherwise)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = value.strip() if isinstance(value, str) else None
    if text is None or not _WHOLE.fullmatch(text):
        raise ValueError(f"not a plain whole number: {value!r}")
    return int(text)


@dataclass(frozen=True)
class Point:
    lat: float
    lon: float


def validate_point(lat, lon) -> Point:
    try:
        lat_f, lon_f = strict_float(lat), strict_float(lon)
    except (TypeError, ValueError):
        raise InvalidQuery("lat and lon must be numbers, e.g. lat=33.75&lon=-117.86.", field="lat") from None
    if not (math.isfinite(lat_f) and -90.0 <= lat_f <= 90.0):
        raise InvalidQuery("lat must be between -90 and 90.", field="lat")
    if not (math.isfinite(lon_f) and -180.0 <= lon_f <= 180.0):
        raise InvalidQuery("lon must be between -180 and 180.", field="lon")
    return Point(lat_f, lon_f)


def validate_radius(radius_km, default: float = DEFAULT_RADIUS_KM) -> float:
    if radius_km in (None, ""):
        return default
    try:
        r = strict_float(radius_km)
    except (TypeError, ValueError):
        raise InvalidQuery("radius_km must be a number of kilometres, e.g. 25.", field="radius_km") from None
    if not math.isfinite(r) or r <= 0 or r > MAX_RADIUS_KM:
        raise InvalidQuery(f"radius_km must be more than 0 and at most {MAX_RADIUS_KM:g}.", field="radius_km")
    return r


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), the same model as geopy's great_circle."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dphi = p2 - p1
    dlmb = math.radians(lon2 - lon1)
    s_phi, s_lmb = math.sin(dphi / 2), math.sin(dlmb / 2)  # squared by x * x (exact rounding; ** calls pow)
    a = s_phi * s_phi + math.cos(p1) * math.cos(p2) * (s_lmb * s_lmb)
    return 2 * EARTH_RADIUS * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(origin: Point, radius_km: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) of a box that contains the whole circle.

    Padded slightly so that float rounding never cuts off a point that is exactly on the circle.
    """
    pad = 1.000001
    dlat = math.degrees(radius_km * pad / EARTH_RADIUS)
    min_lat, max_lat = origin.lat - dlat, origin.lat + dlat
    if min_lat <= -90 or max_lat >= 90:  # the circle holds a pole: every longitude is in range
        return max(min_lat, -90.0), min(max_lat, 90.0), -180.0, 180.0
    # The widest longitude span of the circle is at the latitude where it touches the meridian.
    ratio = math.sin(radius_km * pad / EARTH_RADIUS) / math.cos(math.radians(origin.lat))
    if ratio >= 1:
        return min_lat, max_lat, -180.0, 180.0
    dlon = math.degrees(math.asin(ratio))
    return min_lat, max_lat, origin.lon - dlon, origin.lon + dlon


def split_antimeridian(box):
    """A box may cross ±180°; return one or two boxes inside [-180, 180]."""
    min_lat, max_lat, min_lon, max_lon = box
    if min_lon < -180:
        return [(min_lat, max_lat, min_lon + 360, 180.0), (min_lat, max_lat, -180.0, max_lon)]
    if max_lon > 180:
        return [(min_lat, max_lat, min_lon, 180.0), (min_lat, max_lat, -180.0, max_lon - 360)]
    return [box]
