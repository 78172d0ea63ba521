"""Failed staff sign-ins, counted per account and per client address (the screen's form and
``POST /api/v1/security/login`` alike).

Failures are counted, not attempts: a user who signs in often is never slowed down, while
guessing stops after ``LOGIN_RATE_LIMIT`` wrong passwords for one account (by username or
e-mail, which FAB both accept) or ``LOGIN_ADDRESS_RATE_LIMIT`` from one address. Until that
window ends every attempt is refused before the password is looked at, the right one too.
The counts live in Flask-Limiter's storage (Redis when configured), shared by every process.
Reaching a limit writes one ``security.login_failed`` event (recipes can alert admins).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import current_app, request
from limits import RateLimitItem, parse

SCOPE = "staff-sign-in"
EVENT = "security.login_failed"
_ACCOUNT = "relaydesk.sign_in_account"


@dataclass(frozen=True)
class _Counter:
    kind: str  # "account" or "address": what the event says was locked
    value: str
    setting: str

    @property
    def item(self) -> RateLimitItem:
        return parse(current_app.config[self.setting])

    @property
    def ids(self) -> tuple[str, ...]:
        # RATELIMIT_KEY_PREFIX (Flask-Limiter's) keeps installations sharing a Redis apart.
        prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
        return *([prefix] if prefix else []), SCOPE, self.kind, self.value


def seconds_locked(username: str | None) -> int:
    """0 when a sign-in as ``username`` may be tried now, else the seconds to wait."""
    limiter = current_app.appbuilder.sm.limiter
    if not limiter.enabled:
        return 0
    waits = [_seconds_left(counter) for counter in _counters(username)
             if not limiter.limiter.test(counter.item, *counter.ids)]
    return max(waits, default=0)


def record_failure(username: str | None) -> None:
    """Count a wrong password (or unknown account); the failure that reaches a limit writes
    the event, exactly once per lockout."""
    limiter = current_app.appbuilder.sm.limiter
    if not limiter.enabled:
        return
    storage = limiter.limiter.storage
    for counter in _counters(username):
        item = counter.item
        # The fixed window's counter (what limits' FixedWindowRateLimiter.hit increments):
        # its new value says which failure locked, even when several arrive at once.
        if storage.incr(item.key_for(*counter.ids), item.get_expiry()) == item.amount:
            _report(counter, username)


def _counters(username: str | None) -> list[_Counter]:
    return [_Counter("account", _account(username), "LOGIN_RATE_LIMIT"),
            _Counter("address", request.remote_addr or "", "LOGIN_ADDRESS_RATE_LIMIT")]


def _account(username: str | None) -> str:
    """One key per account whether it is named by username or e-mail; unknown names count
    too (under the name), so probing reveals nothing."""
    if _ACCOUNT not in request.environ:
        request.environ[_ACCOUNT] = _user_key(_user(username), username)
    return str(request.environ[_ACCOUNT])


def _user(username: str | None) -> Any | None:
    name = (username or "").strip()
    if not name:
        return None
    sm = current_app.appbuilder.sm
    return sm.find_user(username=name) or sm.find_user(email=name)


def _user_key(user: Any | None, username: str | None) -> str:
    if user is not None:
        return f"user:{user.id}"
    return "name:" + (username or "").strip().lower()[:254]


def _seconds_left(counter: _Counter) -> int:
    limiter = current_app.appbuilder.sm.limiter
    reset_at = limiter.limiter.get_window_stats(counter.item, *counter.ids).reset_time
    return max(1, int(reset_at - dt.datetime.now(dt.UTC).timestamp()) + 1)


def _report(counter: _Counter, username: str | None) -> None:
    from triggers.outbox import Actor, acting_as, emit
    from webapp.extensions import db

    user = _user(username)
    with acting_as(Actor()):  # nobody is signed in
        emit(db.session, EVENT, "user", user.id if user is not None else 0, data={
            "username": (username or "")[:254], "address": request.remote_addr or "",
            "locked": counter.kind, "failures": counter.item.amount,
            "retry_after": _seconds_left(counter)})
    db.session.commit()
