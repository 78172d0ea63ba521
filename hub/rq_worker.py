"""RQ's worker classes, with the hub's lanes, heartbeat and a prompt, clean shutdown.

* The command channel: RQ listens for commands (stop a job, shut down) in a redis-py pub/sub
  thread that polls every 60 s. With redis-py 8, once the worker unsubscribes at shutdown the
  thread waits out that poll before it notices it was stopped: a ``relaydesk worker --burst``
  could take a minute to exit after its last job, at random, more often on a loaded machine.
  It polls every second here, and the teardown that stops it is bounded as well.
* Shutdown: the first SIGTERM/SIGINT stops the lanes from claiming; an idle worker exits at
  once, a busy one lets the calls in flight finish (each bounded by its own timeout, the wait
  by ``stop_timeout``) and hands back what it claimed but did not start. A second signal exits
  at once (RQ ignored a second signal within a second of the first; not here): the deliveries
  then in flight keep their leases and are taken over when those run out, as after a crash.
* Heartbeat: a thread beats into Redis every ``heartbeat_interval`` seconds (hub.heartbeat),
  which ``/health`` reads.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from rq import SimpleWorker, Worker

from hub import lanes
from hub.heartbeat import Heartbeat

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
#: The longest teardown waits for RQ's own clean-up (unsubscribing, deregistering).
TEARDOWN_SECONDS = 3.0


class _HubWorkerMixin:
    heartbeat_queue: str = "hub"
    heartbeat_interval: float = 10.0
    #: How long a stopping worker waits for the calls in flight (their timeout and a margin).
    stop_timeout: float = 35.0

    def subscribe(self) -> None:
        self.pubsub = self.connection.pubsub()  # type: ignore[attr-defined]
        self.pubsub.subscribe(**{  # type: ignore[attr-defined]
            self.pubsub_channel_name: self.handle_payload})  # type: ignore[attr-defined]
        self.pubsub_thread = self.pubsub.run_in_thread(  # type: ignore[attr-defined]
            sleep_time=POLL_SECONDS, daemon=True,
            exception_handler=self._pubsub_exception_handler)  # type: ignore[attr-defined]

    _heartbeat: Heartbeat | None = None

    def _install_signal_handlers(self) -> None:
        super()._install_signal_handlers()  # type: ignore[misc]
        # RQ installs them once the worker is registered: from the first beat on, the worker
        # is ready and a SIGTERM is a clean shutdown.
        self._heartbeat = Heartbeat(self.connection, self.heartbeat_queue,  # type: ignore[attr-defined]
                                    self.name, self.heartbeat_interval).start()  # type: ignore[attr-defined]

    def work(self, *args: Any, **kwargs: Any) -> bool:
        try:
            return bool(super().work(*args, **kwargs))  # type: ignore[misc]
        finally:
            if self._heartbeat is not None:
                self._heartbeat.stop()

    def request_stop(self, signum: int, frame: Any) -> None:
        lanes.request_stop_all()  # claim nothing more; in-flight calls finish
        super().request_stop(signum, frame)  # type: ignore[misc]

    def request_force_stop(self, signum: int, frame: Any) -> None:
        log.warning("second stop signal: exiting at once; calls in flight are taken over "
                    "by other workers when their leases run out")
        logging.shutdown()
        os._exit(1)

    def teardown(self) -> None:
        lanes.stop_all(self.stop_timeout)
        done = threading.Thread(target=super().teardown, daemon=True,  # type: ignore[misc]
                                name="relaydesk-rq-teardown")
        done.start()
        done.join(TEARDOWN_SECONDS)
        if done.is_alive():
            log.warning("RQ's teardown did not finish; exiting without it")


class HubWorker(_HubWorkerMixin, Worker):
    """RQ's forking worker (``relaydesk worker --fork``)."""


class HubSimpleWorker(_HubWorkerMixin, SimpleWorker):
    """RQ's in-process worker (the default)."""
