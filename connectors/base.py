"""What a connector is, and the HTTP client its actions call vendors through.

A :class:`Connector` declares the credentials it needs (:class:`AuthField`) and its actions
(:class:`Action`): a name, a label, a marshmallow schema for the inputs (which the recipe editor
shows as a form) and ``call(inputs, credentials, http)`` returning the vendor's object.

Connectors are pure: no Flask, no database. What they need from their host comes through two
small protocols the :class:`Http` client uses:

- a :class:`Journal` gives each POST that must happen once an idempotency key, persisted by the
  host *before* the request goes out, and remembers the vendor's answer, so a retry or a replay
  of the same work sends the same key (or does not call at all);
- a :class:`RateGate` says whether the connection is paused (a vendor answered 429 to someone).

Every failure comes out typed: :class:`~connectors.errors.Retryable` (timeouts, 5xx, 429 with
``after`` from ``Retry-After``) or :class:`~connectors.errors.Permanent` (other 4xx, bad input).
"""

from __future__ import annotations

import json as jsonlib
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
from marshmallow import Schema, ValidationError, pre_load

from connectors.errors import Permanent, RateLimited, Retryable
from connectors.retry_after import parse_retry_after
from connectors.ssrf import UrlGuard, guarded_session

JSON = Any
"""A decoded JSON value (what vendors answer)."""
Credentials = Mapping[str, str]

#: (connect, read) seconds.
DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 30.0)
#: Statuses worth retrying besides every 5xx (429 is handled on its own).
DEFAULT_RETRY_STATUSES: frozenset[int] = frozenset({408, 425})
#: The most of a vendor's answer that is read (bytes).
MAX_BODY = 2 * 1024 * 1024
USER_AGENT = "Relaydesk/0.1 (+connectors)"


# ---------------------------------------------------------------- declarations


@dataclass(frozen=True)
class AuthField:
    """One credential or setting a connection of this connector holds."""

    name: str
    label: str
    secret: bool = True
    required: bool = True
    help: str | None = None

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "secret": self.secret,
                "required": self.required, "help": self.help}


class Inputs(Schema):
    """Base of action input schemas: empty strings (a template that rendered nothing) count
    as left out."""

    @pre_load
    def _blanks_are_missing(self, data: Any, **_: Any) -> Any:
        if isinstance(data, Mapping):
            return {key: value for key, value in data.items()
                    if not (isinstance(value, str) and not value.strip())}
        return data


ActionCall = Callable[[Mapping[str, Any], Credentials, "Http"], JSON]


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    schema: type[Schema]
    call: ActionCall
    help: str = ""

    def load(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """The validated inputs; ``Permanent`` naming each bad field."""
        try:
            loaded: dict[str, Any] = self.schema().load(dict(inputs))
        except ValidationError as exc:
            raise Permanent(f"invalid input for {self.name}: {exc.messages}") from exc
        return loaded

    def run(self, inputs: Mapping[str, Any], credentials: Credentials, http: Http) -> JSON:
        """Validate ``inputs``, then call the vendor."""
        return self.call(self.load(inputs), credentials, http)


def default_error_message(body: JSON) -> str | None:
    """The vendor's own words from an error body (Stripe's ``error.message``, ``message``)."""
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, Mapping) and error.get("message"):
            return str(error["message"])
        if isinstance(error, str):
            return error
        if body.get("message"):
            return str(body["message"])
    return None


def _no_headers(credentials: Credentials) -> dict[str, str]:
    return {}


@dataclass(frozen=True)
class Connector:
    name: str
    label: str
    base_url: str
    auth_fields: tuple[AuthField, ...]
    actions: tuple[Action, ...]
    auth_headers: Callable[[Credentials], dict[str, str]] = _no_headers
    retry_statuses: frozenset[int] = DEFAULT_RETRY_STATUSES
    #: Wait after a 429 that carries no Retry-After (seconds).
    default_retry_after: float = 1.0
    error_message: Callable[[JSON], str | None] = default_error_message
    help: str = ""
    #: Its actions call URLs that users type: the host's SSRF guard applies to them.
    user_urls: bool = False

    def __post_init__(self) -> None:
        names = [a.name for a in self.actions]
        if len(set(names)) != len(names):
            raise ValueError(f"connector {self.name!r} declares an action twice: {names}")

    def action(self, name: str) -> Action:
        for action in self.actions:
            if action.name == name:
                return action
        raise KeyError(f"connector {self.name!r} has no action {name!r}")

    def credential_errors(self, values: Mapping[str, Any], *,
                          partial: bool = False) -> dict[str, list[str]]:
        """Field errors of a set of credentials (``partial``: only the fields given)."""
        known = {f.name: f for f in self.auth_fields}
        errors: dict[str, list[str]] = {}
        for key, value in values.items():
            if key not in known:
                errors[key] = [f"unknown field; {self.name} takes "
                               f"{', '.join(sorted(known)) or 'no credentials'}"]
            elif value is not None and not isinstance(value, str):
                errors[key] = ["must be a string"]
        if not partial:
            for f in self.auth_fields:
                if f.required and not values.get(f.name):
                    errors.setdefault(f.name, []).append("is required")
        return errors

    def http(self, credentials: Credentials, *, base_url: str | None = None,
             journal: Journal | None = None, gate: RateGate | None = None,
             timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
             session: requests.Session | None = None, guard: UrlGuard | None = None) -> Http:
        """An HTTP client for this connector's vendor, authenticated with ``credentials``;
        with ``guard``, every request's target is checked by it (see ``connectors.ssrf``)."""
        return Http(base_url or self.base_url, vendor=self.label,
                    headers=self.auth_headers(credentials), timeout=timeout, journal=journal,
                    gate=gate, retry_statuses=self.retry_statuses,
                    default_retry_after=self.default_retry_after,
                    error_message=self.error_message, session=session, guard=guard)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "help": self.help,
                "base_url": self.base_url,
                "auth_fields": [f.describe() for f in self.auth_fields],
                "actions": [{"name": a.name, "label": a.label, "help": a.help}
                            for a in self.actions]}


# ---------------------------------------------------------------- host protocols


class Journal(Protocol):
    """Where the host keeps idempotency keys and the answers of calls made once."""

    def recorded(self, step: str) -> JSON | None:
        """The vendor's answer to ``step`` if it was recorded by an earlier attempt."""

    def key(self, step: str) -> str:
        """The idempotency key of ``step``: the same on every attempt, and persisted before
        this returns."""

    def record(self, step: str, result: JSON) -> None:
        """Remember the vendor's answer to ``step``."""


class RateGate(Protocol):
    def wait_seconds(self) -> float:
        """How long every call to the connection must still wait (0: go ahead)."""


class MemoryJournal:
    """A journal that lives as long as the object (for use without a host, and tests)."""

    def __init__(self, prefix: str | None = None) -> None:
        self.prefix = prefix or uuid.uuid4().hex
        self.keys: dict[str, str] = {}
        self.results: dict[str, JSON] = {}

    def recorded(self, step: str) -> JSON | None:
        return self.results.get(step)

    def key(self, step: str) -> str:
        return self.keys.setdefault(step, f"{self.prefix}-{step}")

    def record(self, step: str, result: JSON) -> None:
        self.results[step] = result


# ---------------------------------------------------------------- the HTTP client


class Refused(Permanent):
    """The vendor refused the request (a 4xx other than 408/409/425/429); ``status`` is its
    HTTP status."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.status = status


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    body: JSON
    replayed: bool = False
    """True when the answer came from the journal (no request was made)."""


def encode_form(data: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Nested data in the bracket notation of form-encoded APIs (Stripe's):
    ``{"metadata": {"a": 1}, "expand": ["x"]}`` → ``metadata[a]=1&expand[0]=x``.
    ``None`` values are left out; booleans are ``true``/``false``."""
    pairs: list[tuple[str, str]] = []
    for key, value in data.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        pairs.extend(_encode_value(name, value))
    return pairs


def _encode_value(name: str, value: Any) -> list[tuple[str, str]]:
    if value is None:
        return []
    if isinstance(value, Mapping):
        return encode_form(value, name)
    if isinstance(value, list | tuple):
        pairs: list[tuple[str, str]] = []
        for index, element in enumerate(value):
            pairs.extend(_encode_value(f"{name}[{index}]", element))
        return pairs
    if isinstance(value, bool):
        return [(name, "true" if value else "false")]
    if isinstance(value, Decimal):
        return [(name, format(value, "f"))]
    return [(name, str(value))]


class Http:
    """``requests`` with timeouts, the vendor's credentials, idempotency keys, the connection's
    rate gate, and vendor answers mapped to typed errors."""

    def __init__(self, base_url: str, *, vendor: str = "the vendor",
                 headers: Mapping[str, str] | None = None,
                 timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
                 journal: Journal | None = None, gate: RateGate | None = None,
                 retry_statuses: frozenset[int] = DEFAULT_RETRY_STATUSES,
                 default_retry_after: float = 1.0,
                 error_message: Callable[[JSON], str | None] = default_error_message,
                 session: requests.Session | None = None,
                 idempotency_header: str = "Idempotency-Key",
                 guard: UrlGuard | None = None) -> None:
        self.base_url = base_url
        self.vendor = vendor
        self.headers = dict(headers or {})
        self.timeout = timeout
        self.journal: Journal = journal if journal is not None else MemoryJournal()
        self.gate = gate
        self.retry_statuses = retry_statuses
        self.default_retry_after = default_retry_after
        self.error_message = error_message
        self.guard = guard
        self.session = session or (guarded_session(guard) if guard is not None
                                   else requests.Session())
        self.idempotency_header = idempotency_header

    def url(self, path: str) -> str:
        if urlsplit(path).scheme:
            url = path
        elif not self.base_url:
            raise Permanent(f"{path!r} is not an absolute URL and the connection has no "
                            "base URL")
        else:
            url = f"{self.base_url.rstrip('/')}/{path.lstrip('/')}"
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Permanent(f"{url!r} is not an http(s) URL")
        if self.guard is not None:
            self.guard.check_url(url)
        return url

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                form: Mapping[str, Any] | None = None, json: JSON = None,
                headers: Mapping[str, str] | None = None, step: str | None = None,
                timeout: float | tuple[float, float] | None = None) -> Reply:
        """Make one request. With ``step``, the request is made once per journal: it carries
        the step's idempotency key, and a step answered before is not sent again."""
        url = self.url(path)
        sent_headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **self.headers}
        sent_headers.update(headers or {})
        if step is not None:
            done = self.journal.recorded(step)
            if done is not None:
                return Reply(200, {}, done, replayed=True)
            sent_headers[self.idempotency_header] = self.journal.key(step)
        if self.gate is not None:
            wait = self.gate.wait_seconds()
            if wait > 0:
                raise RateLimited(f"calls to {self.vendor} are paused for {wait:.1f}s more "
                                  "(the vendor's rate limit)", after=wait, from_vendor=False)
        data = encode_form(form) if form is not None else None
        try:
            response = self.session.request(
                method, url, params=params, data=data,
                json=json if json is not None else None, headers=sent_headers,
                timeout=timeout if timeout is not None else self.timeout,
                allow_redirects=False, stream=True)
            raw = _read_limited(response)
        except requests.Timeout as exc:
            raise Retryable(f"{self.vendor} did not answer in time ({method} {url})") from exc
        except requests.RequestException as exc:
            raise Retryable(f"{self.vendor} unreachable ({method} {url}): {exc}") from exc
        reply = Reply(response.status_code, dict(response.headers),
                      _decode(raw, response.headers.get("Content-Type", "")))
        self._raise_for_status(method, url, reply)
        if step is not None:
            self.journal.record(step, reply.body)
        return reply

    def _raise_for_status(self, method: str, url: str, reply: Reply) -> None:
        status = reply.status
        if 200 <= status < 300:
            return
        said = self.error_message(reply.body) or _excerpt(reply.body)
        what = f"{self.vendor} answered {status} to {method} {url}: {said}"
        retry_after = parse_retry_after(_header(reply.headers, "Retry-After"))
        if status == 429:
            wait = retry_after if retry_after is not None else self.default_retry_after
            raise RateLimited(what, after=wait, from_vendor=True)
        if status >= 500 or status in self.retry_statuses:
            raise Retryable(what, after=retry_after)
        if 300 <= status < 400:
            location = _header(reply.headers, "Location")
            raise Refused(f"{self.vendor} redirected {method} {url} to {location!r}; "
                          "use the final URL", status)
        raise Refused(what, status)

    def get(self, path: str, **kw: Any) -> JSON:
        return self.request("GET", path, **kw).body

    def post(self, path: str, **kw: Any) -> JSON:
        return self.request("POST", path, **kw).body

    def put(self, path: str, **kw: Any) -> JSON:
        return self.request("PUT", path, **kw).body

    def patch(self, path: str, **kw: Any) -> JSON:
        return self.request("PATCH", path, **kw).body


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def _read_limited(response: requests.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(64 * 1024):
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_BODY:
            response.close()
            raise Permanent(f"the answer from {response.url} is larger than {MAX_BODY} bytes")
    return b"".join(chunks)


def _decode(raw: bytes, content_type: str) -> JSON:
    text = raw.decode("utf-8", errors="replace")
    if not text.strip():
        return {}
    if "json" in content_type.lower() or text.lstrip()[:1] in ("{", "["):
        try:
            return jsonlib.loads(text)
        except ValueError:
            return text
    return text


def _excerpt(body: JSON, limit: int = 300) -> str:
    text = body if isinstance(body, str) else jsonlib.dumps(body, default=str)
    return text if len(text) <= limit else text[:limit] + "…"


def strings(values: Mapping[str, Any]) -> dict[str, str]:
    """Non-empty values as strings (what CRM property maps take)."""
    return {key: str(value) for key, value in values.items()
            if value is not None and str(value) != ""}


def first(items: Sequence[JSON]) -> JSON | None:
    return items[0] if items else None


__all__ = [
    "JSON", "Action", "AuthField", "Connector", "Credentials", "Http", "Inputs", "Journal",
    "MemoryJournal", "RateGate", "Refused", "Reply", "encode_form", "first", "strings",
]
