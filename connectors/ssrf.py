"""The SSRF guard: requests to URLs that users type (webhook endpoints, REST hook targets, the
generic HTTP action) must not reach the machine itself or the private network around it.

A :class:`UrlGuard` refuses a URL whose host is, or resolves to, any address that is not
globally routable (private, loopback, link-local, shared, reserved, unspecified) or that is
multicast, unless the address is inside one of the allow-listed networks. Every address a name
resolves to is checked, not only the first. :func:`guarded_session` gives a ``requests``
session that checks again the address each connection actually reached (a name that resolved
to a public address a moment ago may resolve to a private one now), never follows redirects on
its own, and ignores proxy settings from the environment.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from connectors.errors import Permanent

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Blocked(Permanent):
    """The URL's host is (or resolves to) an address the guard refuses."""


def parse_networks(text: str | Iterable[str] | None) -> tuple[Network, ...]:
    """Networks from config text such as ``"127.0.0.1, 10.20.0.0/16"`` (a bare address is a
    network of one); ``ValueError`` naming the bad item."""
    if text is None:
        return ()
    items = text.split(",") if isinstance(text, str) else list(text)
    networks: list[Network] = []
    for item in items:
        token = item.strip()
        if not token:
            continue
        try:
            networks.append(ipaddress.ip_network(token, strict=False))
        except ValueError as exc:
            raise ValueError(f"{token!r} is not an IP address or network (CIDR)") from exc
    return tuple(networks)


def _plain(address: Address) -> Address:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class UrlGuard:
    def __init__(self, allowed: Sequence[Network] = (), *,
                 schemes: frozenset[str] = frozenset({"http", "https"})) -> None:
        self.allowed = tuple(allowed)
        self.schemes = schemes

    @classmethod
    def from_config(cls, text: str | None) -> UrlGuard:
        return cls(parse_networks(text))

    def refusal(self, address: Address) -> str | None:
        """Why ``address`` may not be reached (None: it may)."""
        plain = _plain(address)
        if any(plain in network for network in self.allowed):
            return None
        if plain.is_multicast:
            return f"{plain} is a multicast address"
        if plain.is_loopback:
            return f"{plain} is a loopback address"
        if plain.is_link_local:
            return f"{plain} is a link-local address"
        if plain.is_private:
            return f"{plain} is a private address"
        if not plain.is_global:
            return f"{plain} is not a public address"
        return None

    def check_address(self, address: str, host: str | None = None) -> None:
        try:
            parsed = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError as exc:
            raise Blocked(f"cannot tell where {address!r} is") from exc
        reason = self.refusal(parsed)
        if reason is not None:
            shown = f"{host} → {reason}" if host and host != address else reason
            raise Blocked(f"refused: {shown} (private, loopback, link-local and multicast "
                          "targets are not allowed unless WEBHOOK_ALLOWED_NETWORKS lists them)")

    def resolve(self, host: str, port: int) -> list[str]:
        try:
            infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
        except (socket.gaierror, UnicodeError) as exc:
            raise Blocked(f"cannot resolve {host!r}: {exc}") from exc
        return sorted({str(info[4][0]) for info in infos})

    def check_url(self, url: str) -> str:
        """``url`` if every address its host resolves to may be reached; ``Blocked`` if not."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise Blocked(f"{url!r} is not a valid URL: {exc}") from exc
        if parts.scheme not in self.schemes or not parts.hostname:
            raise Blocked(f"{url!r} is not an absolute {' or '.join(sorted(self.schemes))} URL")
        if parts.username or parts.password:
            raise Blocked("URLs with a user name or password are not allowed")
        host = parts.hostname
        port = port or (443 if parts.scheme == "https" else 80)
        try:
            ipaddress.ip_address(host.split("%", 1)[0])
            addresses = [host]
        except ValueError:
            addresses = self.resolve(host, port)
        if not addresses:
            raise Blocked(f"{host!r} resolves to no address")
        for address in addresses:
            self.check_address(address, host)
        return url


def _check_peer(guard: UrlGuard, sock: socket.socket, host: str) -> None:
    try:
        peer = str(sock.getpeername()[0])
        guard.check_address(peer, host)
    except BaseException:
        sock.close()
        raise


class GuardedAdapter(HTTPAdapter):
    """An adapter whose connections verify the address they reached before sending a byte."""

    def __init__(self, guard: UrlGuard) -> None:
        self.guard = guard
        super().__init__(max_retries=0)

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False,
                         **pool_kwargs: Any) -> None:
        super().init_poolmanager(connections, maxsize, block=block, **pool_kwargs)
        guard = self.guard

        class _Http(HTTPConnection):
            def _new_conn(self) -> socket.socket:
                sock = super()._new_conn()
                _check_peer(guard, sock, self.host)
                return sock

        class _Https(HTTPSConnection):
            def _new_conn(self) -> socket.socket:
                sock = super()._new_conn()
                _check_peer(guard, sock, self.host)
                return sock

        class _HttpPool(HTTPConnectionPool):
            ConnectionCls = _Http

        class _HttpsPool(HTTPSConnectionPool):
            ConnectionCls = _Https

        self.poolmanager.pool_classes_by_scheme = {
            "http": _HttpPool, "https": _HttpsPool}


def guarded_session(guard: UrlGuard) -> requests.Session:
    """A session that only connects to addresses ``guard`` allows (checked on connect).
    Callers pass ``allow_redirects=False``: a redirect is an answer, never followed."""
    session = requests.Session()
    session.trust_env = False  # a proxy from the environment would hide the real target
    adapter = GuardedAdapter(guard)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


__all__ = ["Blocked", "GuardedAdapter", "UrlGuard", "guarded_session", "parse_networks"]
