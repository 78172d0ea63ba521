"""Checking requests against the vendors' own OpenAPI documents (openapi-core).

The documents are the vendors' (see ../shared/data/SOURCES.md), with one change: their server
is the local test server. Stripe describes its form-encoded bodies with ``deepObject`` encoding
(``metadata[key]=…``, ``expand[0]=…``, nested ``anyOf`` objects), which openapi-core only knows
for plain objects; ``stripe_deep_object`` reads the bracket notation Stripe documents.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Mapping
from typing import Any

import yaml
from openapi_core import Config, OpenAPI
from openapi_core.casting.schemas import oas30_write_schema_casters_factory
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest
from openapi_core.deserializing.styles import StyleDeserializersFactory, style_deserializers
from werkzeug.wrappers import Request

from tests.conftest import SHARED_DATA

OPENAPI_DIR = SHARED_DATA / "openapi"
HUBSPOT_OBJECTS = ("contacts", "companies", "tickets", "deals")
_HUBSPOT_FILES = {"contacts": "contact", "companies": "company", "tickets": "ticket",
                  "deals": "deal"}
_BRACKETS = re.compile(r"\[([^\]]*)\]")


def _insert(tree: dict[str, Any], keys: list[str], value: str) -> None:
    node = tree
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    last = keys[-1]
    if last == "":
        last = str(len([k for k in node if k.isdigit()]))
    node[last] = value


def _listify(node: Any) -> Any:
    if isinstance(node, dict):
        if node and all(k.isdigit() for k in node):
            return [_listify(node[k]) for k in sorted(node, key=int)]
        return {k: _listify(v) for k, v in node.items()}
    return node


def stripe_deep_object(explode: bool, name: str, schema_type: str,
                       location: Mapping[str, Any]) -> Any:
    """``name[a][b]=v`` pairs of a form → nested dicts; all-digit keys → lists."""
    prefix = f"{name}["
    keys = [k for k in location.keys() if k.startswith(prefix)]
    if not keys:
        if name in location:  # e.g. metadata= (an empty string unsets it)
            return location[name]
        raise KeyError(name)
    tree: dict[str, Any] = {}
    for key in keys:
        parts = _BRACKETS.findall(key[len(name):])
        values = location.getlist(key) if hasattr(location, "getlist") else [location[key]]
        for value in values:
            _insert(tree, parts, value)
    return _listify(tree)


class SpecCheck:
    """One vendor document; ``problems(request)`` lists what is wrong with a request."""

    def __init__(self, document: dict[str, Any], base_url: str, *,
                 forbid_additional: bool = False) -> None:
        document = copy.deepcopy(document)
        document["servers"] = [{"url": base_url}]
        styles = dict(style_deserializers, deepObject=stripe_deep_object)
        config = Config(
            spec_validator_cls=None,
            style_deserializers_factory=StyleDeserializersFactory(
                oas30_write_schema_casters_factory, style_deserializers=styles),
            additional_properties_default_policy="forbid" if forbid_additional else "allow",
        )
        self.api = OpenAPI.from_dict(document, config=config)

    def problems(self, request: Request) -> list[str]:
        result = self.api.unmarshal_request(WerkzeugOpenAPIRequest(request))
        return [_explain(error) for error in result.errors]


def _explain(error: Exception) -> str:
    parts = [f"{type(error).__name__}: {error}"]
    cause = error.__cause__
    while cause is not None:
        detail = getattr(cause, "schema_errors", None)
        parts.append(f"{type(cause).__name__}: {cause}" + (
            f" {[e.message for e in detail]}" if detail else ""))
        cause = cause.__cause__
    return " <- ".join(parts)


@functools.cache
def stripe_document() -> dict[str, Any]:
    return json.loads((OPENAPI_DIR / "stripe.spec3.json").read_text())


@functools.cache
def _hubspot_document(object_type: str) -> dict[str, Any]:
    path = OPENAPI_DIR / "hubspot" / f"crm.{_HUBSPOT_FILES[object_type]}.v3.yaml"
    return yaml.safe_load(path.read_text())


def stripe_check(base_url: str) -> SpecCheck:
    return SpecCheck(stripe_document(), base_url)


def hubspot_checks(base_url: str) -> dict[str, SpecCheck]:
    """One check per CRM object type (HubSpot publishes one document per object)."""
    return {kind: SpecCheck(_hubspot_document(kind), base_url, forbid_additional=True)
            for kind in HUBSPOT_OBJECTS}


@functools.cache
def stripe_fixtures() -> dict[str, Any]:
    """Stripe's example objects, one per resource ("customer", "invoice", …)."""
    data = json.loads((OPENAPI_DIR / "stripe.fixtures3.json").read_text())
    return data["resources"]
