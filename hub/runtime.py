"""What the hub needs from its host process: a database session and its settings.

The web app and the worker configure it at start-up (``configure``); the hub imports no Flask.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from hub.retry import RetryPolicy


@dataclass(frozen=True)
class HubSettings:
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    lease_seconds: float = 60.0
    max_depth: int = 5
    batch_size: int = 50
    #: Threads of a worker process running deliveries, and how many of them may call the
    #: same destination at once (hub.lanes).
    lanes: int = 8
    lanes_per_destination: int = 2
    sweep_grace_seconds: float = 30.0
    queue_name: str = "hub"
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Runtime:
    session_factory: Callable[[], Session]
    release_session: Callable[[], None]
    settings: HubSettings
    # Entered around each unit of work (the web app's application context).
    context: Callable[[], AbstractContextManager[object]] = nullcontext


_runtime: Runtime | None = None


def configure(runtime: Runtime) -> None:
    global _runtime
    _runtime = runtime


def get() -> Runtime:
    if _runtime is None:
        raise RuntimeError("the hub is not configured; start it through the relaydesk app")
    return _runtime


@contextmanager
def session_scope(rt: Runtime | None = None) -> Iterator[Session]:
    """A session for one unit of hub work; released (not committed) at the end."""
    runtime = rt or get()
    with runtime.context():
        session = runtime.session_factory()
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        finally:
            runtime.release_session()
