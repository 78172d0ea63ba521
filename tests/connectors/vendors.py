"""Vendor-like HTTP servers on 127.0.0.1 for the connector and hub tests.

Each server checks EVERY request against the vendor's own OpenAPI document before doing
anything (a request that does not conform is answered 400 and kept in ``invalid``; the
fixtures fail the test when any is left), answers like the vendor (Stripe's example objects
from its fixtures file), and can be told to misbehave: answer 429 with ``Retry-After``, 5xx,
or hold its answer after acting (so a test can kill the client mid-call).

``StripeLike`` keeps Stripe's idempotency rule: a POST repeating an ``Idempotency-Key`` gets
the first answer again (``Idempotent-Replayed: true``) without acting twice; the same key with
other parameters is refused; a key still being processed answers 409.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from tests.connectors.openapi import (
    HUBSPOT_OBJECTS,
    SpecCheck,
    hubspot_checks,
    stripe_check,
    stripe_document,
    stripe_fixtures,
)

_ids = itertools.count(1)


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    form: list[tuple[str, str]]
    json: Any
    at: float
    wall: dt.datetime  # naive UTC, like the ledger's times
    status: int = 0
    replayed: bool = False

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("Idempotency-Key")


@dataclass
class Fault:
    """Answer ``status`` (with ``headers`` and ``body``) to the next ``times`` requests whose
    ``METHOD path`` matches ``pattern``, without acting."""

    pattern: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    times: int = 1


@dataclass
class Hold:
    """After acting on a request matching ``pattern``, wait for ``release`` before answering
    (``reached`` is set when a request gets there)."""

    pattern: str
    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    timeout: float = 60.0


class HttpError(Exception):
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = headers or {}


class FakeVendor:
    """A threaded WSGI server with request checking, recording, faults and holds."""

    token = "secret-token"

    def __init__(self) -> None:
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, self.wsgi, threaded=True,
                                                   request_handler=_QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.seen: list[Seen] = []
        self.invalid: list[str] = []
        self.faults: list[Fault] = []
        self.holds: list[Hold] = []
        #: Called with each request before it is answered (e.g. to look at our database).
        self.on_request: Callable[[Seen], None] | None = None
        self.lock = threading.RLock()
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()

    # -- to be provided by a vendor

    def check(self, request: Request) -> list[str]:
        raise NotImplementedError

    def authorized(self, request: Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.token}"

    def error_body(self, status: int, message: str, kind: str) -> Any:
        raise NotImplementedError

    def handle(self, request: Request, seen: Seen) -> tuple[int, Any, dict[str, str]]:
        raise NotImplementedError

    # -- control

    def fail(self, pattern: str, status: int, times: int = 1,
             headers: dict[str, str] | None = None, body: Any = None) -> Fault:
        fault = Fault(pattern, status, headers or {}, body, times)
        with self.lock:
            self.faults.append(fault)
        return fault

    def hold(self, pattern: str) -> Hold:
        hold = Hold(pattern)
        with self.lock:
            self.holds.append(hold)
        return hold

    def requests(self, pattern: str = ".*") -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if re.fullmatch(pattern, f"{s.method} {s.path}")]

    def stop(self) -> None:
        for hold in self.holds:
            hold.release.set()
        self.server.shutdown()
        self.server.server_close()

    def assert_all_valid(self) -> None:
        assert not self.invalid, "requests that break the vendor's OpenAPI document:\n" + \
            "\n".join(self.invalid)

    # -- serving

    def _fault_for(self, line: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times > 0 and re.fullmatch(fault.pattern, line):
                    fault.times -= 1
                    return fault
        return None

    def _hold_for(self, line: str) -> Hold | None:
        with self.lock:
            for hold in self.holds:
                if not hold.reached.is_set() and re.fullmatch(hold.pattern, line):
                    return hold
        return None

    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        body = request.get_data(cache=True)
        is_form = request.mimetype == "application/x-www-form-urlencoded"
        seen = Seen(
            method=request.method, path=request.path,
            query=request.query_string.decode(), headers=dict(request.headers),
            form=parse_qsl(body.decode(), keep_blank_values=True) if is_form else [],
            json=json.loads(body) if request.mimetype == "application/json" and body else None,
            at=time.monotonic(), wall=dt.datetime.now(dt.UTC).replace(tzinfo=None))
        with self.lock:
            self.seen.append(seen)
        if self.on_request is not None:
            self.on_request(seen)
        line = f"{request.method} {request.path}"
        problems = self.check(request)
        if problems:
            with self.lock:
                self.invalid.append(f"{line}: " + "; ".join(problems))
            status, payload, headers = 400, self.error_body(400, "; ".join(problems),
                                                            "invalid_request_error"), {}
        elif not self.authorized(request):
            status, payload, headers = 401, self.error_body(401, "Invalid API key",
                                                            "authentication_error"), {}
        elif (fault := self._fault_for(line)) is not None:
            status, headers = fault.status, dict(fault.headers)
            payload = fault.body if fault.body is not None else self.error_body(
                fault.status, f"injected {fault.status}", "api_error")
        else:
            try:
                status, payload, headers = self.handle(request, seen)
            except HttpError as exc:
                status, payload, headers = exc.status, exc.body, exc.headers
            hold = self._hold_for(line)
            if hold is not None:
                hold.reached.set()
                hold.release.wait(hold.timeout)
        seen.status = status
        response = Response(json.dumps(payload), status=status, headers=headers,
                            content_type="application/json")
        return response(environ, start_response)


# ---------------------------------------------------------------- Stripe


def _stripe_id(prefix: str) -> str:
    return f"{prefix}_{next(_ids):06d}relaydesk"


def _form_tree(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """The bracket notation read back into nested dicts (lists keep their string indexes)."""
    tree: dict[str, Any] = {}
    for key, value in pairs:
        head, *rest = re.split(r"\[", key)
        parts = [head] + [p.rstrip("]") for p in rest]
        node = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return tree


class StripeLike(FakeVendor):
    token = "sk_test_relaydesk"

    def __init__(self, search_lag: float = 0.0) -> None:
        super().__init__()
        self.spec = stripe_check(self.url + "/")
        self.search_lag = search_lag
        self.customers: dict[str, dict[str, Any]] = {}
        self.invoices: dict[str, dict[str, Any]] = {}
        self.items: dict[str, dict[str, Any]] = {}
        self.created_at: dict[str, float] = {}
        # idempotency key → (request fingerprint, status, body) or None while in flight
        self.idempotent: dict[str, tuple[str, int, Any] | None] = {}
        self._paths = [(re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"), ops)
                       for path, ops in stripe_document()["paths"].items()]

    # -- checking

    def check(self, request: Request) -> list[str]:
        problems = self.spec.problems(request)
        if request.mimetype == "application/x-www-form-urlencoded":
            problems += self._unknown_form_fields(request)
        return problems

    def _unknown_form_fields(self, request: Request) -> list[str]:
        """openapi-core reads only the declared properties of a form; Stripe refuses the rest
        (its request schemas say additionalProperties: false)."""
        for pattern, ops in self._paths:
            if pattern.match(request.path) and request.method.lower() in ops:
                content = ops[request.method.lower()].get("requestBody", {}).get("content", {})
                schema = content.get("application/x-www-form-urlencoded", {}).get("schema", {})
                known = set(schema.get("properties", {}))
                sent = {key.split("[", 1)[0] for key in request.form.keys()}
                return [f"unknown parameter {name!r}" for name in sorted(sent - known)]
        return []

    def error_body(self, status: int, message: str, kind: str) -> Any:
        return {"error": {"type": kind, "message": message}}

    # -- behaviour

    def handle(self, request: Request, seen: Seen) -> tuple[int, Any, dict[str, str]]:
        if request.method != "POST":
            return 200, self._read(request), {}
        key = request.headers.get("Idempotency-Key")
        fingerprint = f"{request.path}?{sorted(seen.form)}"
        if key is not None:
            with self.lock:
                if key in self.idempotent:
                    stored = self.idempotent[key]
                    if stored is None:
                        raise HttpError(409, self.error_body(
                            409, "There is currently another in-progress request using this "
                            "Idempotent Key", "idempotency_error"))
                    if stored[0] != fingerprint:
                        raise HttpError(400, self.error_body(
                            400, "Keys for idempotent requests can only be used with the same "
                            "parameters they were first used with", "idempotency_error"))
                    seen.replayed = True
                    return stored[1], copy.deepcopy(stored[2]), {"Idempotent-Replayed": "true"}
                self.idempotent[key] = None
        try:
            status, payload = self._write(request.path, _form_tree(seen.form))
        except HttpError as exc:
            status, payload = exc.status, exc.body
        if key is not None:
            with self.lock:
                self.idempotent[key] = (fingerprint, status, copy.deepcopy(payload))
        return status, payload, {}

    def _check_amount(self, amount: int, currency: str) -> None:
        """Stripe's documented refusals (docs.stripe.com/currencies#special-cases): amounts
        in three-decimal currencies must end in 0; ISK amounts must be whole krónur."""
        if currency.lower() in ("bhd", "jod", "kwd", "omr", "tnd") and amount % 10:
            raise HttpError(400, self.error_body(
                400, f"Invalid amount: {currency.upper()} amounts must be a multiple of 10.",
                "invalid_request_error"))
        if currency.lower() == "isk" and amount % 100:
            raise HttpError(400, self.error_body(
                400, "Invalid amount. Currency ISK has become effectively zero-decimal and "
                "charged amounts must be evenly divisible by 100.", "invalid_request_error"))

    def _check_metadata(self, metadata: dict[str, Any]) -> None:
        """Stripe's metadata limits: 50 keys, keys up to 40 and values up to 500 characters."""
        too_long = [k for k, v in metadata.items() if len(k) > 40 or len(str(v)) > 500]
        if len(metadata) > 50 or too_long:
            raise HttpError(400, self.error_body(
                400, "Invalid metadata: at most 50 keys, keys up to 40 and values up to 500 "
                "characters.", "invalid_request_error"))

    def _missing(self, kind: str, ident: str) -> HttpError:
        return HttpError(404, {"error": {"type": "invalid_request_error",
                                         "code": "resource_missing",
                                         "message": f"No such {kind}: '{ident}'"}})

    def _read(self, request: Request) -> Any:
        path = request.path
        if path == "/v1/customers/search":
            match = re.fullmatch(r"metadata\['([^']+)'\]:'([^']*)'", request.args["query"])
            if match is None:
                raise HttpError(400, self.error_body(400, "unsupported query", "invalid"))
            key, value = match.groups()
            now = time.monotonic()
            with self.lock:
                found = [copy.deepcopy(c) for c in self.customers.values()
                         if c["metadata"].get(key) == value
                         and now - self.created_at[c["id"]] >= self.search_lag]
            return {"object": "search_result", "data": found, "has_more": False,
                    "next_page": None, "url": "/v1/customers/search"}
        match = re.fullmatch(r"/v1/(customers|invoices)/([^/]+)", path)
        if match:
            store = self.customers if match.group(1) == "customers" else self.invoices
            with self.lock:
                if match.group(2) not in store:
                    raise self._missing(match.group(1)[:-1], match.group(2))
                return copy.deepcopy(store[match.group(2)])
        raise HttpError(404, self.error_body(404, f"Unrecognized request URL ({path})",
                                             "invalid_request_error"))

    def _write(self, path: str, form: dict[str, Any]) -> tuple[int, Any]:
        fixtures = stripe_fixtures()
        now = int(time.time())
        with self.lock:
            if path == "/v1/customers":
                customer = copy.deepcopy(fixtures["customer"])
                customer.update(id=_stripe_id("cus"), name=form.get("name"),
                                email=form.get("email"), metadata=form.get("metadata", {}),
                                created=now, discount=None)
                self.customers[customer["id"]] = customer
                self.created_at[customer["id"]] = time.monotonic()
                return 200, copy.deepcopy(customer)
            if path == "/v1/invoices":
                if form.get("customer") not in self.customers:
                    raise self._missing("customer", str(form.get("customer")))
                invoice = copy.deepcopy(fixtures["invoice"])
                invoice.update(
                    id=_stripe_id("in"), customer=form["customer"], status="draft",
                    number=None, collection_method=form.get("collection_method",
                                                            "charge_automatically"),
                    days_until_due=int(form["days_until_due"]) if "days_until_due" in form
                    else None, auto_advance=form.get("auto_advance") == "true",
                    description=form.get("description"), metadata=form.get("metadata", {}),
                    amount_due=0, amount_remaining=0, subtotal=0, total=0, created=now,
                    hosted_invoice_url=None, last_finalization_error=None,
                    lines={"object": "list", "data": [], "has_more": False,
                           "url": "/v1/invoices/lines", "total_count": 0})
                self.invoices[invoice["id"]] = invoice
                return 200, copy.deepcopy(invoice)
            if path == "/v1/invoiceitems":
                invoice = self.invoices.get(form.get("invoice", ""))
                if invoice is None:
                    raise self._missing("invoice", str(form.get("invoice")))
                if invoice["status"] != "draft":
                    raise HttpError(400, self.error_body(
                        400, "You can only add invoice items to draft invoices.",
                        "invalid_request_error"))
                if form.get("customer") != invoice["customer"]:
                    raise HttpError(400, self.error_body(
                        400, "The invoice belongs to another customer.",
                        "invalid_request_error"))
                item = copy.deepcopy(fixtures["invoiceitem"])
                amount = int(form["amount"])
                self._check_amount(amount, str(form.get("currency", "")))
                self._check_metadata(form.get("metadata") or {})
                item.update(id=_stripe_id("ii"), customer=form["customer"],
                            invoice=invoice["id"], amount=amount, currency=form["currency"],
                            description=form.get("description"),
                            metadata=form.get("metadata", {}), quantity=1, date=now)
                self.items[item["id"]] = item
                invoice["lines"]["data"].append({
                    "id": _stripe_id("il"), "object": "line_item", "amount": amount,
                    "currency": item["currency"], "description": item["description"],
                    "invoice_item": item["id"], "metadata": item["metadata"]})
                invoice["lines"]["total_count"] += 1
                for total in ("amount_due", "amount_remaining", "subtotal", "total"):
                    invoice[total] += amount
                invoice["currency"] = item["currency"]
                return 200, copy.deepcopy(item)
            match = re.fullmatch(r"/v1/invoices/([^/]+)/finalize", path)
            if match:
                invoice = self.invoices.get(match.group(1))
                if invoice is None:
                    raise self._missing("invoice", match.group(1))
                if invoice["status"] != "draft":
                    raise HttpError(400, self.error_body(
                        400, "This invoice is already finalized, you can't re-finalize a "
                        "non-draft invoice.", "invalid_request_error"))
                invoice.update(status="open", number=f"RD-{len(self.invoices):04d}",
                               auto_advance=form.get("auto_advance") == "true",
                               hosted_invoice_url=f"{self.url}/i/{invoice['id']}")
                return 200, copy.deepcopy(invoice)
        raise HttpError(404, self.error_body(404, f"Unrecognized request URL ({path})",
                                             "invalid_request_error"))

    # -- for assertions

    def posts_with_keys(self) -> list[tuple[str, str | None, bool]]:
        return [(s.path, s.idempotency_key, s.replayed) for s in self.requests("POST .*")]


# ---------------------------------------------------------------- HubSpot


class HubSpotLike(FakeVendor):
    token = "pat-na1-relaydesk"

    def __init__(self) -> None:
        super().__init__()
        self.specs: dict[str, SpecCheck] = hubspot_checks(self.url)
        self.objects: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in HUBSPOT_OBJECTS}
        self.associations: list[tuple[str, str, str, str, str]] = []

    def check(self, request: Request) -> list[str]:
        match = re.match(r"^/crm/v3/objects/([a-z]+)", request.path)
        if match is None or match.group(1) not in self.specs:
            return [f"no HubSpot CRM object API at {request.path}"]
        return self.specs[match.group(1)].problems(request)

    def error_body(self, status: int, message: str, kind: str) -> Any:
        return {"status": "error", "message": message, "category": kind.upper(),
                "correlationId": "aeb5f871-7f07-4993-9211-075dc63e7cbf"}

    def _object(self, kind: str, ident: str) -> dict[str, Any]:
        found = self.objects[kind].get(ident)
        if found is None:
            raise HttpError(404, self.error_body(404, "resource not found",
                                                 "object_not_found"))
        return found

    def handle(self, request: Request, seen: Seen) -> tuple[int, Any, dict[str, str]]:
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        parts = request.path.split("/")[4:]  # after /crm/v3/objects
        kind = parts[0]
        body = seen.json or {}
        with self.lock:
            store = self.objects[kind]
            if request.method == "POST" and parts[1:] == ["search"]:
                results = [copy.deepcopy(o) for o in store.values()
                           if self._matches(o, body.get("filterGroups", []))]
                return 200, {"total": len(results), "results": results[:body.get("limit", 10)]}, {}
            if request.method == "POST" and len(parts) == 1:
                props = dict(body["properties"])
                if kind == "contacts" and any(o["properties"].get("email") == props.get("email")
                                              for o in store.values()):
                    raise HttpError(409, self.error_body(409, "Contact already exists",
                                                         "conflict"))
                ident = str(100 + next(_ids))
                store[ident] = {"id": ident, "properties": {**props, "hs_object_id": ident},
                                "createdAt": now, "updatedAt": now, "archived": False}
                return 201, copy.deepcopy(store[ident]), {}
            if request.method == "PATCH" and len(parts) == 2:
                found = self._object(kind, parts[1])
                found["properties"].update(body["properties"])
                found["updatedAt"] = now
                return 200, copy.deepcopy(found), {}
            if request.method == "PUT" and len(parts) == 6 and parts[2] == "associations":
                found = self._object(kind, parts[1])
                self._object(parts[3], parts[4])
                link = (kind, parts[1], parts[3], parts[4], parts[5])
                if link not in self.associations:
                    self.associations.append(link)
                return 200, {**copy.deepcopy(found), "associations": {parts[3]: {"results": [
                    {"id": parts[4], "type": parts[5]}]}}}, {}
        raise HttpError(404, self.error_body(404, f"no route {request.path}", "not_found"))

    @staticmethod
    def _matches(obj: dict[str, Any], groups: list[dict[str, Any]]) -> bool:
        if not groups:
            return True
        for group in groups:
            if all(f["operator"] == "EQ" and str(obj["properties"].get(f["propertyName"], ""))
                   .lower() == str(f.get("value", "")).lower() for f in group["filters"]):
                return True
        return False

    def all(self, kind: str) -> list[dict[str, Any]]:
        with self.lock:
            return [copy.deepcopy(o) for o in self.objects[kind].values()]


V = TypeVar("V", bound=FakeVendor)


def running(vendor: V) -> Iterator[V]:
    """Fixture body: the vendor, stopped afterwards; the test fails on any invalid request."""
    try:
        yield vendor
    finally:
        vendor.stop()
    vendor.assert_all_valid()
