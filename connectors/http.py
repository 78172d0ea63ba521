"""A generic HTTP request: method, URL, headers and a JSON body, all from templates."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from marshmallow import fields, validate

from connectors.base import JSON, Action, AuthField, Connector, Credentials, Http, Inputs
from connectors.errors import Permanent

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
#: The most of an answer's body kept in the result (characters, when it is text).
MAX_TEXT = 10_000


class RequestInput(Inputs):
    method = fields.String(load_default="POST", validate=validate.OneOf(METHODS),
                           metadata={"label": "Method"})
    url = fields.String(required=True, validate=validate.Length(min=1, max=2000), metadata={
        "label": "URL", "help": "absolute, or a path below the connection's base URL"})
    headers = fields.Dict(keys=fields.String(validate=validate.Regexp(r"^[A-Za-z0-9-]+$")),
                          values=fields.String(), load_default=dict,
                          metadata={"label": "Headers"})
    body = fields.Raw(load_default=None, allow_none=True, metadata={
        "label": "JSON body", "help": "an object, or text holding JSON (e.g. "
        "{{ item | tojson }}); left out for GET and DELETE"})
    timeout = fields.Float(load_default=30.0, validate=validate.Range(min=1, max=120),
                           metadata={"label": "Timeout (seconds)"})


def _body(value: Any) -> JSON:
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in ("{", "["):
            try:
                return json.loads(text)
            except ValueError as exc:
                raise Permanent(f"the body is not valid JSON: {exc}") from exc
    return value


def request(inputs: Mapping[str, Any], credentials: Credentials, http: Http) -> JSON:
    method = inputs["method"]
    body = _body(inputs.get("body")) if method not in ("GET", "DELETE") else None
    reply = http.request(method, inputs["url"], json=body, headers=inputs.get("headers") or {},
                         timeout=(5.0, float(inputs["timeout"])))
    answer = reply.body
    if isinstance(answer, str) and len(answer) > MAX_TEXT:
        answer = answer[:MAX_TEXT] + "…"
    content_type = next((v for k, v in reply.headers.items() if k.lower() == "content-type"),
                        None)
    return {"status": reply.status, "content_type": content_type, "body": answer}


def _auth(credentials: Credentials) -> dict[str, str]:
    headers: dict[str, str] = {}
    if credentials.get("bearer_token"):
        headers["Authorization"] = f"Bearer {credentials['bearer_token']}"
    if credentials.get("header_name") and credentials.get("header_value"):
        headers[credentials["header_name"]] = credentials["header_value"]
    return headers


CONNECTOR = Connector(
    name="http",
    label="HTTP request",
    help="Any JSON API: a request built from templates, with the connection's credentials.",
    base_url="",
    auth_fields=(
        AuthField("bearer_token", "Bearer token", required=False,
                  help="sent as Authorization: Bearer …"),
        AuthField("header_name", "Header name", secret=False, required=False,
                  help="a header of your own, e.g. X-Api-Key"),
        AuthField("header_value", "Header value", required=False),
    ),
    actions=(Action("request", "Send HTTP request", RequestInput, request),),
    auth_headers=_auth,
    user_urls=True,
)
