"""Mapp test fixtures: two tenants' worth of accounts and users.

The clock is frozen, so the documented limit (5 requests per 10 s per login) would trip in
almost every test: the limits are relaxed here, and test_limits.py restores them.
"""

import pytest

from polytrack.mapp import admin as mapp_admin
from polytrack.mapp.client import MappClient
from tests.mapp.helpers import BLOG, OTHER, PATH, RELAXED_LIMITS, SHOP


@pytest.fixture
def settings(settings):
    settings.api.update(RELAXED_LIMITS)
    return settings


@pytest.fixture
def world(services):
    """alice may use the shop and blog accounts (profile language en); bob only the other
    company's account (profile language de, a password with blanks)."""
    mapp_admin.create_account(services, title="Shop", customer_id=SHOP)
    mapp_admin.create_account(services, title="Blog", customer_id=BLOG)
    mapp_admin.create_account(services, title="Other corp", customer_id=OTHER)
    mapp_admin.create_user(services, login="alice", password="alice-pass", customer_ids=[BLOG, SHOP])
    mapp_admin.create_user(services, login="bob", password=" bob pass ", customer_ids=[OTHER], language="de")
    return {"alice": ("alice", "alice-pass"), "bob": ("bob", " bob pass ")}


@pytest.fixture
def client(http):
    return MappClient(PATH, http=http)
