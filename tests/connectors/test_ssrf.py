"""The SSRF guard: private, loopback, link-local, shared and multicast targets are refused
(every address a name resolves to, and again on connect), unless allow-listed; redirects are
never followed; the generic HTTP action refuses them too."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.errors import Permanent
from connectors.http import CONNECTOR
from connectors.ssrf import Blocked, UrlGuard, guarded_session, parse_networks
from tests.receiver import Receiver, running


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from running()


@pytest.mark.parametrize("url", [
    "http://10.1.2.3/hook", "http://172.16.0.9/", "http://192.168.1.1/", "http://127.0.0.1:8080/",
    "http://127.0.0.2/", "http://169.254.169.254/latest/meta-data", "http://[::1]/",
    "http://[fe80::1]/", "http://[fd00::1]/", "http://224.0.0.1/", "http://100.64.0.1/",
    "http://0.0.0.0/", "http://[::ffff:10.0.0.1]/", "http://localhost:9/",
])
def test_private_targets_are_refused(url: str) -> None:
    with pytest.raises(Blocked, match="refused"):
        UrlGuard().check_url(url)


@pytest.mark.parametrize("url", ["ftp://example.com/", "http:///nohost", "javascript:alert(1)",
                                 "http://user:pw@203.0.113.5/"])
def test_non_http_targets_are_refused(url: str) -> None:
    with pytest.raises(Blocked):
        UrlGuard().check_url(url)


def test_public_addresses_and_allow_listed_networks_pass() -> None:
    assert UrlGuard().check_url("https://8.8.8.8/hook") == "https://8.8.8.8/hook"
    guard = UrlGuard(parse_networks("127.0.0.1, 10.20.0.0/16"))
    guard.check_url("http://127.0.0.1:5000/x")
    guard.check_url("http://10.20.3.4/x")
    for refused in ("http://127.0.0.2/", "http://10.21.0.1/", "http://[::1]/"):
        with pytest.raises(Blocked):
            guard.check_url(refused)
    with pytest.raises(ValueError, match="not an IP address"):
        parse_networks("127.0.0.1, intranet")


def test_the_address_reached_is_checked_on_connect(receiver: Receiver) -> None:
    """Even a URL that slipped past the name check (DNS rebinding) cannot reach a refused
    address: the connection's peer is checked before a byte is sent."""
    with guarded_session(UrlGuard()) as session, pytest.raises(Blocked):
        session.get(receiver.url(), timeout=5)
    assert receiver.requests == []
    with guarded_session(UrlGuard(parse_networks("127.0.0.1"))) as session:
        assert session.get(receiver.url(), timeout=5).status_code == 200
    assert len(receiver.requests) == 1


def test_http_action_with_the_guard(receiver: Receiver) -> None:
    action = CONNECTOR.action("request")
    refused = CONNECTOR.http({}, base_url=receiver.url("/"), guard=UrlGuard())
    with pytest.raises(Permanent, match="loopback"):
        action.run({"method": "POST", "url": "hook", "body": {"a": 1}}, {}, refused)
    with pytest.raises(Permanent, match="private"):
        action.run({"method": "GET", "url": "http://192.168.0.10/"}, {}, refused)
    assert receiver.requests == []
    allowed = CONNECTOR.http({}, base_url=receiver.url("/"),
                             guard=UrlGuard(parse_networks("127.0.0.1/32")))
    assert action.run({"method": "POST", "url": "hook", "body": {"a": 1}}, {}, allowed)[
        "status"] == 200
    receiver.answer(302, {"Location": "http://169.254.169.254/"})
    with pytest.raises(Permanent, match="redirected"):
        action.run({"method": "GET", "url": "hook"}, {}, allowed)
    assert [r.path for r in receiver.requests] == ["/hook", "/hook"]
