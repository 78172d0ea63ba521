"""The periodic pass: re-enqueue lost events, wake workers for due work, fire timers."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from hub import work
from hub.dispatch import Dispatcher
from hub.runtime import Runtime
from webapp.models import utcnow

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(self, rt: Runtime, dispatcher: Dispatcher,
                 scan_timers: Callable[[Runtime], int], interval: float = 5.0,
                 after_pass: Callable[[], None] | None = None) -> None:
        self.rt = rt
        self.dispatcher = dispatcher
        self.scan_timers = scan_timers
        self.interval = interval
        # Called after each pass that worked (the heartbeat `relaydesk health` reads).
        self.after_pass = after_pass

    def tick(self) -> dict[str, Any]:
        lost = work.sweep_events(self.rt)
        if lost:
            log.info("re-enqueueing unprocessed events", extra={"count": len(lost)})
            self.dispatcher.events_lost(lost)
        due = work.next_due_at(self.rt)
        woke = due is not None and due <= utcnow()
        if woke:
            self.dispatcher.deliveries_due()
        fired = self.scan_timers(self.rt)
        return {"swept": len(lost), "woke_workers": woke, "timers_fired": fired}

    def run_forever(self) -> None:
        while True:
            started = time.monotonic()
            try:
                self.tick()
                if self.after_pass is not None:
                    self.after_pass()
            except Exception:
                log.exception("scheduler pass failed")
            time.sleep(max(0.0, self.interval - (time.monotonic() - started)))
