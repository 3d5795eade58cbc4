"""HSDS `proximity` on /service_at_locations counts every match, however many (a real feed)."""
from __future__ import annotations

from sqlalchemy import select

from directory import db
from directory.catalog.geo import Point, distance_km
from directory.catalog.geocode import zip_place
from directory.catalog.models import SearchEntry
from tests.catalog.test_import_meeting_guide import import_feed


def test_proximity_counts_every_match_nearest_first(client, shared_data):
    import_feed(shared_data / "meeting-guide" / "oc.json")
    place = zip_place("92701")
    centre = Point(place.lat, place.lon)
    with db.Session() as s:  # the truth, by a full scan (the index keeps positions to ~1 cm: a margin at the edge)
        rows = s.execute(select(SearchEntry.service_at_location_id, SearchEntry.latitude, SearchEntry.longitude)
                         .where(SearchEntry.active)).all()
    distance = {sal: distance_km(centre.lat, centre.lon, lat, lon) for sal, lat, lon in rows}
    inside = {sal for sal, d in distance.items() if d <= 59.999}
    edge = {sal for sal, d in distance.items() if 59.999 < d <= 60.001}
    assert len(inside) > 1100  # more than the search endpoint's paging limit
    first = client.get("/api/v1/service_at_locations?postcode=92701&proximity=60000&per_page=100").get_json()
    assert len(inside) <= first["total_items"] <= len(inside) + len(edge)
    assert first["total_pages"] == -(-first["total_items"] // 100)
    last = client.get(f"/api/v1/service_at_locations?postcode=92701&proximity=60000&per_page=100"
                      f"&page={first['total_pages']}").get_json()
    seen = []
    for page in range(1, first["total_pages"] + 1):
        body = client.get(f"/api/v1/service_at_locations?postcode=92701&proximity=60000&per_page=100&page={page}").get_json()
        seen.extend(item["id"] for item in body["contents"])
    assert len(seen) == len(set(seen)) == first["total_items"] and inside <= set(seen) <= inside | edge
    assert [distance[i] for i in seen] == sorted(distance[i] for i in seen)  # nearest first
    assert last["size"] == first["total_items"] - 100 * (first["total_pages"] - 1)
