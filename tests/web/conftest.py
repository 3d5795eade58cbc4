"""Fixtures for the web pages: the demo users in the seeded test database, signed-in clients."""
from __future__ import annotations

import pytest

from directory import db
from directory.staff import accounts
from directory.staff.accounts import DEMO_PASSWORD
from directory.catalog.taxonomy import stable_id

EMAILS = {"admin": "admin.demo@signpost.example", "case_manager": "case.demo@signpost.example",
          "peer_worker": "peer.demo@signpost.example"}
# Kept by the demo peer worker (directory.staff.accounts.DEMO_KEPT_ORGANIZATIONS) / not kept.
KEPT_SERVICE = stable_id("demo-service", "Harbor House Women's Sober Living")
OTHER_SERVICE = stable_id("demo-service", "Cornerstone Men's Recovery Residence")


@pytest.fixture
def users(app):
    with db.Session.begin() as s:
        accounts.ensure_demo_users(s)
    return EMAILS


def login(client, email, password=DEMO_PASSWORD, **extra):
    return client.post("/login", data={"email": email, "password": password, **extra})


@pytest.fixture
def signed_in(app, users):
    """signed_in('peer_worker') -> a test client signed in with that role."""
    def make(role):
        client = app.test_client()
        response = login(client, users[role])
        assert response.status_code == 302, response.get_data(as_text=True)
        return client
    return make


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing():
    """argon2's production cost (64 MiB, ~0.1-0.5 s per hash) would dominate these tests; the
    algorithm and code paths are the same. test_passwords checks the production parameters."""
    from argon2 import PasswordHasher
    from argon2.profiles import CHEAPEST
    production = accounts._hasher
    accounts.use_hasher(PasswordHasher.from_parameters(CHEAPEST))
    yield
    accounts.use_hasher(production)
