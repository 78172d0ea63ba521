"""The SMTP intake server (aiosmtpd): refuses recipients that are not ours, stores every
accepted message through ``deliver`` before answering, and answers 451 (try later) when it
could not be stored, so the sending server keeps it and retries.

The database work runs in a small thread pool, off the event loop. The server knows no
Flask: the web app hands it ``deliver`` and ``accepts`` (see ``webapp.mail``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Receipt:
    inbound_mail_id: int
    status: str
    reason: str | None = None


Deliver = Callable[[bytes, str | None, list[str], str | None], Receipt]
Accepts = Callable[[str], bool]


class IntakeHandler:
    def __init__(self, deliver: Deliver, accepts: Accepts, workers: int = 4) -> None:
        self.deliver = deliver
        self.accepts = accepts
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="relaydesk-smtpd")

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        loop = asyncio.get_running_loop()
        try:
            ours = await loop.run_in_executor(self.pool, self.accepts, address)
        except Exception:
            log.exception("could not check a recipient", extra={"address": address})
            return "451 4.3.0 Temporary failure checking the recipient; try again later"
        if not ours:
            return f"550 5.1.1 <{address}>: not a support address of this helpdesk"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        mail_from = envelope.mail_from
        mail_from = "" if mail_from in ("<>", None) else str(mail_from)
        peer = session.peer[0] if isinstance(session.peer, tuple) else session.peer
        loop = asyncio.get_running_loop()
        try:
            receipt = await loop.run_in_executor(
                self.pool, self.deliver, raw, mail_from, list(envelope.rcpt_tos),
                str(peer) if peer else None)
        except Exception:
            log.exception("could not store an inbound mail")
            return "451 4.3.0 The message could not be stored; try again later"
        return f"250 2.0.0 Stored as inbound mail {receipt.inbound_mail_id} ({receipt.status})"

    def close(self) -> None:
        self.pool.shutdown(wait=True)


class IntakeServer:
    """The server in a thread of its own (``start``/``stop``), for the CLI and tests."""

    def __init__(self, handler: IntakeHandler, host: str, port: int, max_bytes: int,
                 hostname: str | None = None) -> None:
        import socket

        from aiosmtpd.controller import Controller

        self.handler = handler
        # Looked up once: aiosmtpd would ask (DNS) on every connection otherwise.
        self.controller = Controller(
            handler, hostname=host, port=port, data_size_limit=max_bytes,
            server_hostname=hostname or socket.getfqdn(), decode_data=False,
            ready_timeout=10.0)

    @property
    def port(self) -> int:
        return int(self.controller.port)

    def start(self) -> IntakeServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
        self.handler.close()
