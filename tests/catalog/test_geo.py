import math

import pytest
from geopy.distance import great_circle
from hypothesis import given, settings, strategies as st

from directory.catalog import geo
from directory.catalog.geo import InvalidQuery, Point

lats = st.floats(min_value=-85, max_value=85, allow_nan=False)
lons = st.floats(min_value=-180, max_value=180, allow_nan=False)


@given(lats, lons, lats, lons)
def test_distance_matches_geopy_great_circle(a, b, c, d):
    expected = great_circle((a, b), (c, d)).km
    # Near the antipode the haversine's asin(sqrt(h)) has h ~ 1, where it keeps only ~sqrt(machine
    # epsilon) of precision (~1e-4 km on Earth); no search reaches that far (MAX_RADIUS_KM).
    tolerance = 1e-6 if expected < 15_000 else 1e-3
    assert geo.distance_km(a, b, c, d) == pytest.approx(expected, abs=tolerance)


@settings(max_examples=300)
@given(lats, lons, st.floats(min_value=0.01, max_value=geo.MAX_RADIUS_KM),
       st.floats(min_value=0, max_value=2 * math.pi), st.floats(min_value=0, max_value=1))
def test_bounding_box_holds_every_point_of_the_circle(lat, lon, radius, bearing, fraction):
    """Any point within the radius lies in one of the (antimeridian-split) boxes."""
    origin = Point(lat, lon)
    target = great_circle(kilometers=radius * fraction).destination((lat, lon), math.degrees(bearing))
    boxes = geo.split_antimeridian(geo.bounding_box(origin, radius))
    assert any(a <= target.latitude <= b and c <= target.longitude <= d for a, b, c, d in boxes)


@pytest.mark.parametrize("lat,lon,message", [
    ("abc", "1", "must be numbers"), ("91", "0", "between -90 and 90"), ("0", "-181", "between -180 and 180"),
    ("nan", "0", "must be numbers"), (None, "0", "must be numbers"),
])
def test_validate_point_rejects(lat, lon, message):
    with pytest.raises(InvalidQuery, match=message):
        geo.validate_point(lat, lon)


@pytest.mark.parametrize("radius", ["0", "-1", "501", "inf", "x"])
def test_validate_radius_rejects(radius):
    with pytest.raises(InvalidQuery):
        geo.validate_radius(radius)


def test_validate_radius_default_and_value():
    assert geo.validate_radius(None) == geo.DEFAULT_RADIUS_KM
    assert geo.validate_radius("12.5") == 12.5
