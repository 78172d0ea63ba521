"""A webhook receiver for tests: a real HTTP server on 127.0.0.1 (or another local address)
that records every request and answers from a script (status, headers, body, delay)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


@dataclass
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    delay: float = 0.0


class Receiver:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.requests: list[Received] = []
        self.script: deque[Answer] = deque()
        self.default = Answer()
        self._lock = threading.Lock()
        self.server: BaseWSGIServer = make_server(host, 0, self._app, threaded=True,
                                                  request_handler=_Quiet)
        self.host = host
        self.port = self.server.server_port
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def answer(self, status: int = 200, headers: dict[str, str] | None = None,
               body: bytes = b"ok", delay: float = 0.0, times: int = 1) -> None:
        """The next ``times`` requests get this answer (then the default: 200)."""
        for _ in range(times):
            self.script.append(Answer(status, headers or {}, body, delay))

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        with self._lock:
            self.requests.append(Received(request.method, request.path, dict(request.headers),
                                          request.get_data(), time.time()))
            answer = self.script.popleft() if self.script else self.default
        if answer.delay:
            time.sleep(answer.delay)
        return Response(answer.body, status=answer.status, headers=answer.headers)(
            environ, start_response)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def running(host: str = "127.0.0.1") -> Iterator[Receiver]:
    receiver = Receiver(host)
    try:
        yield receiver
    finally:
        receiver.close()
