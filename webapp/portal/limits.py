"""Rate limits of the public routes (sign-in, links, forms, widget chats), counted in
Flask-Limiter's storage (Redis when configured) so every worker shares the counts."""

from __future__ import annotations

import datetime as dt

from flask import current_app
from limits import parse


def over_limit(setting: str, scope: str, *key: str) -> bool:
    """Count one attempt; True once the limit named by config ``setting`` is passed."""
    limiter = current_app.appbuilder.sm.limiter
    if not limiter.enabled:
        return False
    return not limiter.limiter.hit(parse(current_app.config[setting]), scope, *key)


def seconds_to_wait(setting: str, scope: str, *key: str) -> int:
    """Until the limit's window resets (for Retry-After)."""
    limiter = current_app.appbuilder.sm.limiter
    reset_at = limiter.limiter.get_window_stats(
        parse(current_app.config[setting]), scope, *key).reset_time
    return max(1, int(reset_at - dt.datetime.now(dt.UTC).timestamp()))
