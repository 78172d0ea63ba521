"""Every connector the product knows, by name.

Adding a connector is one module (``connectors/<name>.py`` defining ``CONNECTOR``) and one
line here; the hub registers its actions for recipes and the API lists it.
"""

from __future__ import annotations

from connectors import http, hubspot, stripe
from connectors.base import Connector

CONNECTORS: dict[str, Connector] = {}


def register(connector: Connector) -> Connector:
    if connector.name in CONNECTORS:
        raise ValueError(f"connector {connector.name!r} is registered twice")
    if not connector.name.isidentifier():
        raise ValueError(f"connector name {connector.name!r} must be an identifier")
    CONNECTORS[connector.name] = connector
    return connector


def get_connector(name: str) -> Connector | None:
    return CONNECTORS.get(name)


for _connector in (stripe.CONNECTOR, hubspot.CONNECTOR, http.CONNECTOR):
    register(_connector)
