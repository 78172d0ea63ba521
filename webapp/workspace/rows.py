"""One inbox row per item: what an agent scans a queue by (unread, priority, SLA, requester,
last message, assignees, last activity), loaded for a whole page in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.content.html import html_to_text
from webapp.models import Item, ItemSla, Message, utcnow
from webapp.work_views.board import sla_states
from webapp.workspace.present import (
    customer_name,
    full_time,
    initials,
    iso_utc,
    person_name,
    relative_time,
    stars,
)
from webapp.workspace.seen import unread_ids

PREVIEW_CHARS = 140


def _last_messages(session: Session, ids: Sequence[int]) -> dict[int, Message]:
    latest = select(func.max(Message.id)).where(Message.item_id.in_(ids)) \
        .group_by(Message.item_id)
    return {m.item_id: m for m in session.scalars(select(Message).where(Message.id.in_(latest)))}


def _sla_due(session: Session, ids: Sequence[int]) -> dict[int, dt.datetime]:
    """The next SLA target each item has still to meet (first response, then resolution)."""
    due: dict[int, dt.datetime] = {}
    for sla in session.scalars(select(ItemSla).where(ItemSla.item_id.in_(ids))):
        targets = [sla.first_response_due_at if sla.first_responded_at is None else None,
                   sla.resolution_due_at if sla.resolved_at is None else None]
        for target in targets:
            if target is not None and (sla.item_id not in due or target < due[sla.item_id]):
                due[sla.item_id] = target
    return due


def _sla(state: str, due_at: dt.datetime | None, now: dt.datetime) -> dict[str, Any] | None:
    if state == "none" or due_at is None:
        return None
    if due_at < now:
        text = lazy_gettext("SLA breached %(when)s", when=relative_time(due_at, now))
    else:
        text = lazy_gettext("SLA due %(when)s", when=relative_time(due_at, now))
    return {"state": state, "text": str(text), "due_at": iso_utc(due_at),
            "exact": full_time(due_at)}


def _preview(message: Message | None) -> dict[str, Any] | None:
    if message is None:
        return None
    text = " ".join(html_to_text(message.body_html).split())
    if len(text) > PREVIEW_CHARS:
        text = text[:PREVIEW_CHARS - 1].rstrip() + "…"
    author = person_name(message.author_user) if message.author_user \
        else customer_name(message.author_customer)
    return {"text": text, "author": author, "private": not message.is_public}


def inbox_rows(session: Session, items: Sequence[Item], user_id: int | None,
               queue_key: str | None = None) -> list[dict[str, Any]]:
    """The rows of one page, in ``items``' order."""
    ids = [item.id for item in items]
    now = utcnow()
    unread = unread_ids(session, user_id, ids)
    states = sla_states(session, ids)
    due = _sla_due(session, ids)
    last = _last_messages(session, ids)
    page_args: dict[str, Any] = {"queue": queue_key} if queue_key else {}
    rows = []
    for item in items:
        requester = item.requester
        organization = (requester.organization if requester else None) \
            or item.project.organization
        people = [person_name(u) for u in item.assignee_users]
        activity = max(item.updated_at, last[item.id].created_at) if item.id in last \
            else item.updated_at
        rows.append({
            "id": item.id, "title": item.title, "kind": item.kind.value,
            "url": url_for("WorkspaceTicketView.page", pk=item.id, **page_args),
            "preview_url": url_for("WorkspaceTicketView.preview", pk=item.id),
            "unread": item.id in unread,
            "stars": stars(item.priority),
            "status": item.status.name, "status_colour": item.status.colour,
            "requester": customer_name(requester),
            "organization": organization.name if organization else "",
            "last_message": _preview(last.get(item.id)),
            "assignees": [{"name": name, "initials": initials(name)} for name in people],
            "teams": [team.name for team in item.assignee_teams],
            "sla": _sla(states.get(item.id, "none"), due.get(item.id), now),
            "activity": relative_time(activity, now), "activity_exact": full_time(activity),
            "activity_at": iso_utc(activity),
        })
    return rows
