"""The generic HTTP request action, and the client every connector calls through: typed
errors (Retryable with Retry-After, Permanent), timeouts, the journal and the rate gate."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
from collections.abc import Iterator
from email.utils import format_datetime
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Response

from connectors.base import Http, MemoryJournal, encode_form
from connectors.errors import Permanent, RateLimited, Retryable
from connectors.http import CONNECTOR
from connectors.registry import CONNECTORS, get_connector, register
from connectors.retry_after import parse_retry_after


@pytest.fixture
def httpserver() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.clear()
    server.stop()


def _request(server: HTTPServer, inputs: dict[str, Any],
             credentials: dict[str, str] | None = None) -> Any:
    creds = credentials or {}
    return CONNECTOR.action("request").run(inputs, creds,
                                          CONNECTOR.http(creds, base_url=server.url_for("/")))


def test_request_renders_method_url_headers_and_json_body(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request(
        "/hooks/deploy", method="POST", json={"ticket": 12, "title": "Printer"},
        headers={"X-Api-Key": "k-123", "X-Trace": "t1", "Authorization": "Bearer tok"},
    ).respond_with_json({"ok": True}, status=201)
    result = _request(httpserver, {
        "method": "POST", "url": "hooks/deploy", "headers": {"X-Trace": "t1"},
        "body": '{"ticket": 12, "title": "Printer"}'},
        {"bearer_token": "tok", "header_name": "X-Api-Key", "header_value": "k-123"})
    assert result == {"status": 201, "content_type": "application/json", "body": {"ok": True}}
    httpserver.check_assertions()

    httpserver.expect_oneshot_request("/status", method="GET").respond_with_data(
        "fine", content_type="text/plain")
    result = _request(httpserver, {"method": "GET", "url": httpserver.url_for("/status"),
                                   "body": {"ignored": True}})
    assert result["body"] == "fine" and result["status"] == 200
    request, _ = httpserver.log[-1]
    assert request.get_data() == b""  # no body on GET


def test_answers_map_to_typed_errors(httpserver: HTTPServer) -> None:
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=120)
    httpserver.expect_oneshot_request("/a").respond_with_response(
        Response("slow down", status=429, headers={"Retry-After": format_datetime(later, True)}))
    with pytest.raises(RateLimited) as limited:
        _request(httpserver, {"url": "a"})
    assert 115 <= limited.value.after <= 120

    httpserver.expect_oneshot_request("/b").respond_with_json({"message": "down"}, status=503)
    with pytest.raises(Retryable, match="503.*down"):
        _request(httpserver, {"url": "b"})
    httpserver.expect_oneshot_request("/c").respond_with_json({"message": "nope"}, status=422)
    with pytest.raises(Permanent, match="422.*nope"):
        _request(httpserver, {"url": "c"})
    httpserver.expect_oneshot_request("/d").respond_with_response(
        Response("", status=302, headers={"Location": "https://elsewhere.example/"}))
    with pytest.raises(Permanent, match="redirected"):
        _request(httpserver, {"url": "d"})
    httpserver.expect_oneshot_request("/e").respond_with_data("x", status=408)
    with pytest.raises(Retryable, match="408"):
        _request(httpserver, {"url": "e"})
    for bad in ({"url": "ftp://127.0.0.1/x"}, {"url": "x", "method": "BREW"},
                {"url": "x", "body": "{not json"}):
        with pytest.raises(Permanent):
            _request(httpserver, bad)
    with pytest.raises(Permanent, match="no base URL"):
        CONNECTOR.action("request").run({"url": "relative"}, {}, CONNECTOR.http({}))


def test_timeouts_and_refused_connections_are_retryable() -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(silent.accept()[0]), daemon=True).start()
    port = silent.getsockname()[1]
    try:
        with pytest.raises(Retryable, match="did not answer in time"):
            Http(f"http://127.0.0.1:{port}", timeout=(1.0, 0.3)).get("/x")
    finally:
        for conn in accepted:
            conn.close()
        silent.close()
    with pytest.raises(Retryable, match="unreachable"):
        Http(f"http://127.0.0.1:{port}", timeout=(1.0, 1.0)).get("/x")


def test_journal_keys_and_replays_and_the_rate_gate(httpserver: HTTPServer) -> None:
    seen: list[str | None] = []

    def answer(request: Any) -> Response:
        seen.append(request.headers.get("Idempotency-Key"))
        return Response(json.dumps({"n": len(seen)}), content_type="application/json")

    httpserver.expect_request("/charge").respond_with_handler(answer)
    journal = MemoryJournal("d7")
    http = Http(httpserver.url_for("/"), journal=journal)
    assert http.post("/charge", json={}, step="one") == {"n": 1}
    assert http.post("/charge", json={}, step="one") == {"n": 1}  # recorded: not sent again
    assert http.post("/charge", json={}, step="two") == {"n": 2}
    assert http.post("/charge", json={}) == {"n": 3}  # no step, no key
    assert seen == ["d7-one", "d7-two", None]

    class Paused:
        def wait_seconds(self) -> float:
            return 4.5

    with pytest.raises(RateLimited) as waited:
        Http(httpserver.url_for("/"), gate=Paused()).post("/charge", json={})
    assert waited.value.after == 4.5 and not waited.value.from_vendor
    assert len(seen) == 3  # the vendor was not called


def test_an_oversized_answer_is_refused(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/big").respond_with_data(b"x" * (2 * 1024 * 1024 + 10))
    with pytest.raises(Permanent, match="larger than"):
        Http(httpserver.url_for("/")).get("/big")


def test_form_encoding_retry_after_and_credentials() -> None:
    assert encode_form({"a": 1, "m": {"k": "v", "n": None}, "l": ["x", {"y": True}],
                        "skip": None}) == [("a", "1"), ("m[k]", "v"), ("l[0]", "x"),
                                           ("l[1][y]", "true")]
    now = dt.datetime(2026, 11, 23, 12, 0, 0)
    assert parse_retry_after("30", now) == 30.0
    assert parse_retry_after("Mon, 23 Nov 2026 12:01:00 GMT", now) == 60.0
    assert parse_retry_after("soon", now) is None
    stripe = get_connector("stripe")
    assert stripe is not None
    assert stripe.credential_errors({}) == {"api_key": ["is required"]}
    assert stripe.credential_errors({"api_key": "sk", "pin": "1"}) == {
        "pin": ["unknown field; stripe takes api_key, api_version"]}
    assert stripe.credential_errors({"api_version": "2020-08-27"}, partial=True) == {}
    assert set(CONNECTORS) >= {"stripe", "hubspot", "http"}
    with pytest.raises(ValueError, match="twice"):
        register(CONNECTOR)
