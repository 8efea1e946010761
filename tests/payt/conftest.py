"""Fixtures the PAYT operation tests share: two fleets of two clients (tests/payt/opsdata.py)."""

import pytest

from tests.payt.opsdata import two_fleets


@pytest.fixture
def fleets(services):
    return two_fleets(services)


@pytest.fixture
def acme(fleets):
    """The first fleet. (test_client and test_launch build a lone acme fleet of their own.)"""
    return fleets[0]
