"""RQ's worker classes with a short poll of their command channel.

RQ listens for commands (stop a job, shut down) in a redis-py pub/sub thread that polls
every 60 s. With redis-py 8, once the worker unsubscribes at shutdown the thread waits out
that poll before it notices it was stopped, and RQ joins it without a time limit: a
``relaydesk worker --burst`` could take a minute to exit after its last job, at random.
Polling every second keeps shutdown prompt and costs nothing.
"""

from __future__ import annotations

from rq import SimpleWorker, Worker

POLL_SECONDS = 1.0


class _PromptShutdown:
    def subscribe(self) -> None:
        self.pubsub = self.connection.pubsub()  # type: ignore[attr-defined]
        self.pubsub.subscribe(**{  # type: ignore[attr-defined]
            self.pubsub_channel_name: self.handle_payload})  # type: ignore[attr-defined]
        self.pubsub_thread = self.pubsub.run_in_thread(  # type: ignore[attr-defined]
            sleep_time=POLL_SECONDS, daemon=True,
            exception_handler=self._pubsub_exception_handler)  # type: ignore[attr-defined]


class HubWorker(_PromptShutdown, Worker):
    """RQ's forking worker (``relaydesk worker --fork``)."""


class HubSimpleWorker(_PromptShutdown, SimpleWorker):
    """RQ's in-process worker (the default)."""
