"""One listing's detail (directory/catalog/views.service_detail) and its HSDS document (the read API's
/services/{id}) on the real data as it comes: the service's collections are loaded lazily (cheap
statements, views.load_service) instead of through nested loader options, and a service at several
places has its places loaded together. The same detail and document, bounded statements."""
from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import selectinload

from directory import db
from directory.catalog import views
from directory.catalog.models import Location, Service, ServiceAtLocation

NOW = dt.datetime(2026, 12, 6, 18, 0, tzinfo=dt.timezone.utc)


def _eagerly_loaded(session, service_id):
    """How the detail and the document used to load their service: every collection through nested
    selectin options."""
    place = selectinload(Service.service_at_locations).selectinload(ServiceAtLocation.location)
    return session.scalars(select(Service).where(Service.id == service_id).options(
        selectinload(Service.organization), selectinload(Service.phones), selectinload(Service.languages),
        selectinload(Service.schedules), place.selectinload(Location.addresses), place.selectinload(Location.phones),
        place.selectinload(Location.accessibility))).first()


@pytest.fixture
def services(real_db_url):
    """A sample of the real services: some at one place, every kind of source, and ones at several places."""
    with db.Session() as s:
        several = list(s.scalars(select(ServiceAtLocation.service_id).group_by(ServiceAtLocation.service_id)
                                 .having(func.count() > 1).order_by(ServiceAtLocation.service_id)))
        ids = list(s.scalars(select(Service.id).order_by(Service.id)))
    assert len(several) > 50  # Miami 211 lists about 200 services at two places
    return several, random.Random(7).sample(ids, 150)


def test_the_detail_is_what_the_eagerly_loaded_service_gives(services):
    several, sample = services
    for service_id in several[:60] + sample:
        with db.Session() as s:
            expected = views.service_detail(s, service_id, NOW, svc=_eagerly_loaded(s, service_id))
        with db.Session() as s:
            assert views.service_detail(s, service_id, NOW) == expected, service_id


def test_the_hsds_document_is_what_the_eagerly_loaded_service_gives(services):
    from web.hsds_api import render_services
    several, sample = services
    for service_id in several[:60] + sample:
        with db.Session() as s:
            expected = render_services(s, [_eagerly_loaded(s, service_id)])
        with db.Session() as s:
            assert render_services(s, [views.load_service(s, service_id)]) == expected, service_id


def _statements(service_id) -> tuple[int, int]:
    """(places, statements run) for one detail in a fresh session."""
    count = 0

    def counted(*args):
        nonlocal count
        count += 1

    engine = db.engine()
    event.listen(engine, "before_cursor_execute", counted)
    try:
        with db.Session() as s:
            detail = views.service_detail(s, service_id, NOW)
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    return len(detail["locations"]), count


def test_places_are_loaded_together_not_one_by_one(services):
    """A service at two places, then at eight: the same statements (the service, its collections, its
    places with their addresses and accessibility, schedules and attributes), and the same detail as
    the eager load."""
    service_id = services[0][0]
    two, before = _statements(service_id)
    assert two == 2
    with db.Session.begin() as s:
        taken = set(s.scalars(select(ServiceAtLocation.location_id).where(ServiceAtLocation.service_id == service_id)))
        more = s.scalars(select(Location.id).where(Location.id.not_in(taken), Location.addresses.any())
                         .order_by(Location.id).limit(6)).all()
        s.add_all(ServiceAtLocation(id=f"test-sal-{n}", service_id=service_id, location_id=loc)
                  for n, loc in enumerate(more))
    eight, after = _statements(service_id)
    assert eight == 8
    assert after == before <= 15
    with db.Session() as s:
        expected = views.service_detail(s, service_id, NOW, svc=_eagerly_loaded(s, service_id))
    with db.Session() as s:
        assert views.service_detail(s, service_id, NOW) == expected
