"""Vendor-like servers for the connector tests (each test gets a fresh one)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.connectors.vendors import HubSpotLike, StripeLike, running


@pytest.fixture
def stripe_vendor() -> Iterator[StripeLike]:
    yield from running(StripeLike())


@pytest.fixture
def hubspot_vendor() -> Iterator[HubSpotLike]:
    yield from running(HubSpotLike())
