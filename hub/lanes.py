"""Lanes: the threads of a worker process that run deliveries, one claimed delivery each.

Why lanes: a worker that ran a claimed batch in order let one slow receiver (8 s per answer)
hold every delivery behind it, for unrelated endpoints and internal actions alike. Now a
worker process keeps ``HubSettings.lanes`` threads. Each lane claims one due delivery when it
is free (``DeliveryLedger.claim_one``, so the lease covers that call only), runs it, and
claims the next. Claims are placed so that nothing waits on a slow destination:

* a *destination* is where an outbound call goes: a webhook endpoint, or a recipe step that
  calls a vendor or the SMTP relay. At most ``lanes_per_destination`` lanes of a process call
  the same destination at once (up to half the lanes while fewer than half are in outbound
  calls: one busy endpoint may use an otherwise idle worker); its further deliveries wait in
  the ledger while the other destinations' deliveries are claimed past them;
* outbound calls never take the last lane: internal actions (assign, attach_sla, …) always
  find one free, so they wait for at most the claim of a free lane, never for a vendor.

So a destination that answers slowly or times out delays the others by nothing as long as
fewer than ``(lanes - 1) // lanes_per_destination`` destinations are slow at once (3 with the
defaults 8 and 2); beyond that, by at most one call's timeout per lane.

While calls are in flight a renewer thread extends their leases (every third of the lease),
so a call longer than the lease is not taken over by another worker while this one lives.

Stopping (SIGTERM): lanes claim nothing more, finish the call in flight (bounded by its own
timeout) and exit; a delivery claimed after the stop was asked is handed back unstarted.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from hub import runtime
from hub.actions import get_action
from hub.executor import run_delivery
from hub.ledger import Claim, DeliveryLedger
from hub.runtime import Runtime
from webapp.models import utcnow

log = logging.getLogger(__name__)

#: The longest an idle lane sleeps before it looks at the ledger's next due time again.
IDLE_POLL_SECONDS = 5.0


def destination(claim: Claim) -> tuple[str, int] | None:
    """Where the delivery's call goes (None: an internal action, no outside call)."""
    if claim.webhook_endpoint_id is not None:
        return ("endpoint", claim.webhook_endpoint_id)
    spec = get_action(claim.action_type)
    if spec is not None and spec.outbound:
        return ("step", claim.recipe_action_id or 0)
    return None


def outbound_action_types() -> list[str]:
    from hub.actions import REGISTRY

    return sorted(name for name, spec in REGISTRY.items() if spec.outbound)


@dataclass
class _InFlight:
    attempt: int
    destination: tuple[str, int] | None


@dataclass
class LanePool:
    rt: Runtime
    size: int
    per_destination: int
    finished: int = 0
    _claim_lock: threading.Lock = field(default_factory=threading.Lock)
    _running: dict[int, _InFlight] = field(default_factory=dict)
    _hint: int = 0
    _idle: dict[int, int] = field(default_factory=dict)  # lane → the kick it last looked at
    _stopping: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def __post_init__(self) -> None:
        lock = threading.Lock()
        # Lanes wait on ``_cond`` for work; ``wait_idle`` waits on ``_changed`` for lanes going
        # idle. Two conditions, or idle lanes would wake each other without end.
        self._cond = threading.Condition(lock)
        self._changed = threading.Condition(lock)
        self.size = max(1, self.size)
        self.per_destination = max(1, self.per_destination)
        # One lane stays for internal actions, unless there is only one.
        self.outbound_limit = max(1, self.size - 1)

    # -- control

    def start(self) -> LanePool:
        with self._cond:
            if self._threads or self._stopping.is_set():
                return self
            for number in range(self.size):
                thread = threading.Thread(target=self._lane, args=(number,), daemon=True,
                                          name=f"relaydesk-lane-{number}")
                self._threads.append(thread)
            renewer = threading.Thread(target=self._renew_leases, daemon=True,
                                       name="relaydesk-lease-renewer")
            self._threads.append(renewer)
        for thread in self._threads:
            thread.start()
        return self

    def kick(self) -> None:
        """Deliveries may be due: idle lanes look at the ledger again."""
        self.start()
        with self._cond:
            self._hint += 1
            self._cond.notify_all()

    def wait_idle(self, timeout: float | None = None) -> int:
        """Kick, then wait until every lane has looked at the ledger since, found nothing it
        may claim, and no call is in flight. Returns the deliveries finished meanwhile."""
        self.kick()
        with self._cond:
            since, finished = self._hint, self.finished
            done = self._changed.wait_for(
                lambda: self._stopping.is_set() or (
                    not self._running and len(self._idle) == self.size
                    and all(seen >= since for seen in self._idle.values())), timeout)
            if not done:
                log.warning("lanes still busy after the wait", extra={"timeout": timeout})
            return self.finished - finished

    def request_stop(self) -> None:
        """Claim nothing more (lanes finish their call and exit)."""
        self._stopping.set()
        # Not under the condition's lock: a signal handler may run while this thread holds it.
        threading.Thread(target=self._wake_all, daemon=True).start()

    def _wake_all(self) -> None:
        with self._cond:
            self._cond.notify_all()
            self._changed.notify_all()

    def stop(self, timeout: float) -> bool:
        """Claim nothing more; wait (up to ``timeout``) for the calls in flight to end.
        True when every lane exited."""
        self._stopping.set()
        self._wake_all()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        alive = [t.name for t in self._threads if t.is_alive()]
        if alive:
            log.warning("lanes still in a call at shutdown; their leases will run out",
                        extra={"lanes": alive})
        return not alive

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    # -- the lanes

    def _restrictions(self) -> dict[str, object]:
        """What a claim may not take now (the caller holds ``_cond``)."""
        counts: dict[tuple[str, int], int] = {}
        outbound = 0
        for flight in self._running.values():
            if flight.destination is not None:
                outbound += 1
                counts[flight.destination] = counts.get(flight.destination, 0) + 1
        # A destination's own share, or up to half the lanes while half of them are free: one
        # busy endpoint may use an idle worker, and never crowds the others out.
        half = self.size // 2
        roomy = outbound < half
        full = [d for d, n in counts.items()
                if n >= self.per_destination and not (roomy and n < half)]
        return {
            "busy_endpoints": [i for kind, i in full if kind == "endpoint"],
            "busy_steps": [i for kind, i in full if kind == "step"],
            "outbound_types": (outbound_action_types() if outbound >= self.outbound_limit
                               else None),
        }

    def _claim(self, ledger: DeliveryLedger) -> Claim | None:
        # One claim at a time per process: the limits it applies stay exact.
        with self._claim_lock:
            with self._cond:
                limits = self._restrictions()
            claim = ledger.claim_one(**limits)  # type: ignore[arg-type]
            if claim is not None:
                with self._cond:
                    self._running[claim.id] = _InFlight(claim.attempt, destination(claim))
            return claim

    def _lane(self, number: int) -> None:
        while not self._stopping.is_set():
            with self._cond:
                seen = self._hint
                self._idle.pop(number, None)
            claim = None
            try:
                with runtime.session_scope(self.rt) as session:
                    ledger = DeliveryLedger(session, self.rt.settings.retry,
                                            self.rt.settings.lease_seconds)
                    claim = self._claim(ledger)
                    if claim is not None:
                        if self._stopping.is_set():
                            ledger.release(claim.id, claim.attempt)  # not started: hand back
                        else:
                            run_delivery(session, ledger, claim.id, self.rt.settings)
            except Exception:
                log.exception("lane pass failed", extra={"lane": number})
                time.sleep(1.0)  # a database outage: do not spin
            finally:
                with self._cond:
                    if claim is not None:
                        self._running.pop(claim.id, None)
                        self.finished += 1
                        self._changed.notify_all()
            if claim is not None:
                continue
            sleep = self._sleep_for(number)
            with self._cond:
                if self._hint != seen or self._stopping.is_set():
                    continue
                self._idle[number] = seen
                self._changed.notify_all()
                self._cond.wait(sleep)

    def _sleep_for(self, number: int) -> float | None:
        """Lane 0 wakes for the next retry or expiring lease; the others wait for a kick."""
        if number != 0:
            return None
        try:
            from hub.work import next_due_at

            due = next_due_at(self.rt)
        except Exception:
            log.exception("lane could not read the ledger's next due time")
            return IDLE_POLL_SECONDS
        if due is None:
            return IDLE_POLL_SECONDS
        return max(0.05, min(IDLE_POLL_SECONDS, (due - utcnow()).total_seconds()))

    def _renew_leases(self) -> None:
        interval = max(0.2, self.rt.settings.lease_seconds / 3)
        due = time.monotonic() + interval
        while True:
            # Short steps once stopping: the thread ends as soon as the last call does.
            self._stopping.wait(max(0.0, due - time.monotonic()))
            if self._stopping.is_set():
                time.sleep(0.1)
            with self._cond:
                running = {i: f.attempt for i, f in self._running.items()}
            if not running and self._stopping.is_set():
                return
            if time.monotonic() < due:
                continue
            due = time.monotonic() + interval
            if not running:
                continue
            try:
                with runtime.session_scope(self.rt) as session:
                    DeliveryLedger(session, self.rt.settings.retry,
                                   self.rt.settings.lease_seconds).renew(running)
            except Exception:
                log.exception("could not renew leases")


_pools: dict[int, LanePool] = {}
_pools_lock = threading.Lock()


def pool(rt: Runtime) -> LanePool:
    """This process's long-lived lanes for ``rt`` (a running worker's; started on first use)."""
    with _pools_lock:
        found = _pools.get(id(rt))
        if found is None or found.stopping or found.rt is not rt:
            found = LanePool(rt, rt.settings.lanes, rt.settings.lanes_per_destination)
            _pools[id(rt)] = found
        return found


def run_until_idle(rt: Runtime) -> int:
    """Run what is due in lanes started for the purpose, until nothing more is due and no
    call is in flight; then the lanes end (a burst worker's job, a test, a CLI pass).
    Returns how many deliveries finished."""
    lanes = LanePool(rt, rt.settings.lanes, rt.settings.lanes_per_destination)
    with _pools_lock:
        _pools[-id(lanes)] = lanes  # a stop signal reaches it too
    try:
        return lanes.start().wait_idle()
    finally:
        lanes.stop(timeout=60.0)
        with _pools_lock:
            _pools.pop(-id(lanes), None)


def stop_all(timeout: float) -> bool:
    with _pools_lock:
        pools = list(_pools.values())
        _pools.clear()
    results = [p.stop(timeout) for p in pools]
    return all(results)


def request_stop_all() -> None:
    """Ask every pool to claim nothing more (from a signal handler: does not wait)."""
    for found in list(_pools.values()):
        found.request_stop()
