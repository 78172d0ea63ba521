"""The in-process runner: the embedded default's worker, a thread in the web process.

It works the same ledger the RQ workers do: committed events wake it, due retries and
expired leases are found by its periodic pass, and so are events a crash left unprocessed.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from hub import work
from hub.runtime import Runtime
from webapp.models import utcnow

log = logging.getLogger(__name__)


class InProcessRunner:
    def __init__(self, rt: Runtime, interval: float = 5.0,
                 on_tick: Callable[[], None] | None = None) -> None:
        self.rt = rt
        self.interval = interval
        self.on_tick = on_tick
        self._last_tick = 0.0
        self._events: queue.SimpleQueue[list[int] | None] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # Dispatcher protocol
    def events_committed(self, event_ids: list[int]) -> None:
        self.start()
        self._events.put(list(event_ids))

    def events_lost(self, event_ids: list[int]) -> None:
        self.events_committed(event_ids)

    def deliveries_due(self) -> None:
        self.start()
        self._events.put([])

    def start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self._loop, name="relaydesk-runner",
                                                daemon=True)
                self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._events.put(None)
        if self._thread is not None:
            self._thread.join(timeout)

    def _wait(self) -> list[int] | None:
        due = None
        try:
            due = work.next_due_at(self.rt)
        except Exception:
            log.exception("runner could not read the ledger")
        timeout = self.interval
        if due is not None:
            timeout = max(0.0, min(timeout, (due - utcnow()).total_seconds()))
        try:
            return self._events.get(timeout=timeout)
        except queue.Empty:
            return []

    def _loop(self) -> None:
        pending: list[int] = work.sweep_events(self.rt)
        while not self._stop.is_set():
            try:
                if pending:
                    work.process_events(pending, self.rt)
                work.run_due_deliveries(self.rt, wait=False)
                if self.on_tick is not None and time.monotonic() - self._last_tick >= self.interval:
                    self._last_tick = time.monotonic()
                    self.on_tick()
            except Exception:
                log.exception("in-process runner pass failed")
            batch = self._wait()
            if batch is None:
                break
            pending = batch
            while True:  # drain whatever else arrived meanwhile
                try:
                    more = self._events.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    return
                pending += more
            if not pending:
                pending = work.sweep_events(self.rt)
