"""The ticket page's timeline: public messages, private notes and system events in one list,
oldest first, each with who and when in words (names, never ids).

System entries come from the item's ``Event`` rows (the outbox): one entry per ``*.updated``
event (its diff says what changed; the ``status_changed`` / ``assigned`` / ``converted``
events written beside it carry the same diff, so they are not shown twice), plus the events
that are not model changes (SLA warnings and breaches, ratings, idle timers, merges, splits).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import format_decimal, lazy_gettext
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from webapp.access.scope import Viewer, visibility_clause
from webapp.content.sizes import size_text
from webapp.models import (
    Attachment,
    Customer,
    Event,
    Folder,
    Item,
    Message,
    Project,
    Recipe,
    Team,
    Timesheet,
    User,
)
from webapp.views.threads import Post, load_conversation, post_of
from webapp.workspace.present import customer_name, full_time, person_name

# Events shown besides the model changes (the changes are read from ``*.updated``).
_OTHER_EVENTS = ("sla.warning", "sla.breached", "ticket.rated", "ticket.idle", "task.idle",
                 "ticket.merged", "ticket.split", "ticket.merged_into")
_CHANGE_EVENTS = ("ticket.created", "task.created", "ticket.updated", "task.updated")
# How each type a browser may show in place is previewed; any other type is downloaded (no
# stored XSS through HTML or SVG). The inline route serves exactly these.
PREVIEWS = {"image/png": "image", "image/jpeg": "image", "image/gif": "image",
            "image/webp": "image", "application/pdf": "pdf", "text/plain": "text"}
_SLA_TARGETS = {"first_response": lazy_gettext("first response"),
                "resolution": lazy_gettext("resolution")}
_FIELD_LABELS = {
    "title": lazy_gettext("title"), "description": lazy_gettext("description"),
    "requester_id": lazy_gettext("requester"), "percent_complete": lazy_gettext("progress"),
    "planned_start": lazy_gettext("planned start"),
    "planned_finish": lazy_gettext("planned finish"),
    "actual_start": lazy_gettext("actual start"), "actual_finish": lazy_gettext("actual finish"),
    "points": lazy_gettext("points"), "predecessors_ids": lazy_gettext("predecessors"),
}


@dataclass(frozen=True)
class FileView:
    """An attachment as the timeline shows it: previewed in place when safe, else a link."""

    id: int
    filename: str
    size: str
    preview: str  # "image", "pdf", "text" or "" (download only)


@dataclass
class Entry:
    kind: str  # "public", "private" or "system"
    at: dt.datetime
    who: str
    by_customer: bool = False
    body: Markup | None = None
    files: list[FileView] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    icon: str = "fa-circle"
    message_id: int | None = None


def file_view(attachment: Attachment) -> FileView:
    return FileView(attachment.id, attachment.filename, size_text(attachment.size),
                    PREVIEWS.get(attachment.content_type, ""))


class _Names:
    """Names of the rows an event diff refers to by id, loaded in one query per model."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.wanted: dict[type, set[int]] = {}
        self.names: dict[type, dict[int, str]] = {}

    def want(self, model: type, ids: Iterable[Any]) -> None:
        self.wanted.setdefault(model, set()).update(i for i in ids if isinstance(i, int))

    def load(self) -> None:
        for model, ids in self.wanted.items():
            if not ids:
                continue
            rows = self.session.scalars(select(model).where(model.id.in_(ids))).all()
            self.names[model] = {row.id: _row_name(row) for row in rows}

    def of(self, model: type, ident: Any) -> str:
        if ident is None:
            return str(lazy_gettext("nobody")) if model in (User, Team) else "—"
        return self.names.get(model, {}).get(ident) or str(lazy_gettext("(deleted)"))

    def many(self, model: type, ids: Iterable[Any]) -> str:
        return ", ".join(self.of(model, i) for i in ids)


def _row_name(row: Any) -> str:
    if isinstance(row, User):
        return person_name(row)
    if isinstance(row, Customer):
        return customer_name(row)
    return str(getattr(row, "name", "") or getattr(row, "title", ""))


_ID_MODELS = {"project_id": Project, "folder_id": Folder, "requester_id": Customer}
_LIST_MODELS = {"assignee_users_ids": User, "assignee_teams_ids": Team,
                "follower_users_ids": User, "follower_customers_ids": Customer}


def _collect(names: _Names, event: Event) -> None:
    for key, model in _ID_MODELS.items():
        if key in event.diff:
            names.want(model, [event.diff[key]["before"], event.diff[key]["after"]])
    for key, model in _LIST_MODELS.items():
        if key in event.diff:
            names.want(model, [*event.diff[key]["before"], *event.diff[key]["after"]])
    if event.actor_recipe_id is not None:
        names.want(Recipe, [event.actor_recipe_id])


def _list_change(names: _Names, key: str, before: list[int], after: list[int]) -> list[str]:
    model = _LIST_MODELS[key]
    added = [i for i in after if i not in before]
    removed = [i for i in before if i not in after]
    texts = {
        "assignee_users_ids": (lazy_gettext("assigned %(names)s"),
                               lazy_gettext("unassigned %(names)s")),
        "assignee_teams_ids": (lazy_gettext("assigned the team %(names)s"),
                               lazy_gettext("removed the team %(names)s")),
        "follower_users_ids": (lazy_gettext("added %(names)s as follower"),
                               lazy_gettext("removed %(names)s as follower")),
        "follower_customers_ids": (lazy_gettext("added %(names)s as follower"),
                                   lazy_gettext("removed %(names)s as follower")),
    }[key]
    out = []
    if added:
        out.append(str(texts[0]).replace("%(names)s", names.many(model, added)))
    if removed:
        out.append(str(texts[1]).replace("%(names)s", names.many(model, removed)))
    return out


def _when(value: Any) -> str:
    if not value:
        return str(lazy_gettext("none"))
    try:
        return full_time(dt.datetime.fromisoformat(str(value)).replace(tzinfo=None))
    except ValueError:
        return str(value)


def describe_change(names: _Names, diff: dict[str, Any]) -> list[str]:
    """What one ``*.updated`` diff changed, as short sentences."""
    out: list[str] = []
    if "kind" in diff:
        out.append(str(lazy_gettext("converted the ticket to a task")
                       if diff["kind"]["after"] == "task"
                       else lazy_gettext("converted the task to a ticket")))
    if "status" in diff:
        out.append(str(lazy_gettext("changed the status from %(before)s to %(after)s",
                                    before=diff["status"]["before"] or "—",
                                    after=diff["status"]["after"] or "—")))
    if "item_type" in diff:
        out.append(str(lazy_gettext("changed the type from %(before)s to %(after)s",
                                    before=diff["item_type"]["before"] or "—",
                                    after=diff["item_type"]["after"] or "—")))
    if "priority" in diff:
        out.append(str(lazy_gettext("changed the priority from %(before)s to %(after)s stars",
                                    before=diff["priority"]["before"] or 0,
                                    after=diff["priority"]["after"] or 0)))
    for key, model in _ID_MODELS.items():
        if key in diff:
            label = {"project_id": lazy_gettext("moved it from %(before)s to %(after)s"),
                     "folder_id": lazy_gettext("changed the folder from %(before)s to "
                                               "%(after)s"),
                     "requester_id": lazy_gettext("changed the requester from %(before)s to "
                                                  "%(after)s")}[key]
            out.append(str(label).replace("%(before)s", names.of(model, diff[key]["before"]))
                       .replace("%(after)s", names.of(model, diff[key]["after"])))
    for key in _LIST_MODELS:
        if key in diff:
            out.extend(_list_change(names, key, diff[key]["before"], diff[key]["after"]))
    if "due_at" in diff:
        out.append(str(lazy_gettext("changed the due date to %(when)s",
                                    when=_when(diff["due_at"]["after"]))))
    if "custom_values" in diff:
        before = diff["custom_values"]["before"] or {}
        after = diff["custom_values"]["after"] or {}
        keys = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        if keys:
            out.append(str(lazy_gettext("changed the fields %(names)s", names=", ".join(keys))))
    for key, label in _FIELD_LABELS.items():
        if key in diff:
            out.append(str(lazy_gettext("changed the %(field)s", field=label)))
    return out


def _other_event(names: _Names, event: Event) -> tuple[list[str], str]:
    data = event.data or {}
    if event.type in ("sla.warning", "sla.breached"):
        target = _SLA_TARGETS.get(data.get("target", ""), data.get("target", ""))
        text = (lazy_gettext("SLA warning: %(target)s due %(when)s", target=target,
                             when=_when(data.get("due_at")))
                if event.type == "sla.warning"
                else lazy_gettext("SLA breached: %(target)s was due %(when)s", target=target,
                                  when=_when(data.get("due_at"))))
        return [str(text)], "fa-exclamation-triangle"
    if event.type == "ticket.rated":
        return [str(lazy_gettext("rated the ticket %(score)s of 5",
                                 score=data.get("score", "?")))], "fa-star"
    if event.type.endswith(".idle"):
        return [str(lazy_gettext("the item stayed idle in its status"))], "fa-clock-o"
    if event.type == "ticket.merged":
        return [str(lazy_gettext("merged #%(source)s into this ticket",
                                 source=data.get("source_id", "?")))], "fa-compress"
    if event.type == "ticket.merged_into":
        return [str(lazy_gettext("merged this ticket into #%(target)s",
                                 target=data.get("target_id", "?")))], "fa-compress"
    return [str(lazy_gettext("split a message into #%(new)s",
                             new=data.get("new_item_id", "?")))], "fa-scissors"


def _actor(names: _Names, event: Event) -> str:
    if event.actor_recipe_id is not None:
        return str(lazy_gettext("Automation “%(name)s”",
                                name=names.of(Recipe, event.actor_recipe_id)))
    if event.actor_user is not None:
        return person_name(event.actor_user)
    if event.actor_customer is not None:
        return customer_name(event.actor_customer)
    return str(lazy_gettext("System"))


def _message_entry(post: Post) -> Entry:
    return Entry(kind="public" if post.is_public else "private", at=post.created_at,
                 who=post.author, by_customer=post.by_customer, body=post.body,
                 files=[file_view(a) for a in post.attachments], message_id=post.id,
                 icon="fa-comment" if post.is_public else "fa-lock")


def _messages(session: Session, viewer: Viewer, item: Item) -> list[Entry]:
    """Every message the viewer may see with its files, and the item's loose files."""
    conversation = load_conversation(session, viewer, item)
    posts = sorted(conversation.public + conversation.private,
                   key=lambda post: (post.created_at, post.id))
    entries = [_message_entry(post) for post in posts]
    if conversation.loose_files:  # on the item itself (or on a message the viewer may not see)
        entries.append(Entry(kind="system", at=item.created_at, who="",
                             files=[file_view(a) for a in conversation.loose_files],
                             changes=[str(lazy_gettext("Files of the ticket"))],
                             icon="fa-paperclip"))
    return entries


def build_timeline(session: Session, viewer: Viewer, item: Item) -> list[Entry]:
    """Every entry of ``item`` the viewer may see, oldest first."""
    entries = _messages(session, viewer, item)
    events = session.scalars(
        select(Event).where(Event.subject_type == "item", Event.subject_id == item.id,
                            Event.type.in_(_CHANGE_EVENTS + _OTHER_EVENTS))
        .options(joinedload(Event.actor_user), joinedload(Event.actor_customer))
        .order_by(Event.created_at, Event.id)).all()
    names = _Names(session)
    for event in events:
        _collect(names, event)
    names.load()
    for event in events:
        if event.type.endswith(".created"):
            changes, icon = [str(lazy_gettext("created it"))], "fa-plus"
        elif event.type.endswith(".updated"):
            changes, icon = describe_change(names, event.diff or {}), "fa-pencil"
        else:
            changes, icon = _other_event(names, event)
        if changes:
            entries.append(Entry(kind="system", at=event.created_at, who=_actor(names, event),
                                 changes=changes, icon=icon))
    for sheet in session.scalars(
            select(Timesheet).where(Timesheet.item_id == item.id,
                                    visibility_clause(Timesheet, viewer))
            .options(joinedload(Timesheet.user))):
        entries.append(Entry(kind="system", at=sheet.created_at, who=person_name(sheet.user),
                             changes=[str(lazy_gettext("logged %(hours)s h",
                                                       hours=format_decimal(sheet.hours)))],
                             icon="fa-clock-o"))
    entries.sort(key=lambda e: (e.at, e.kind == "system"))
    return entries


def last_messages(session: Session, viewer: Viewer, item: Item, count: int = 3) -> list[Entry]:
    """The newest ``count`` messages the viewer may see, oldest of them first (previews)."""
    newest = session.scalars(
        select(Message).where(Message.item_id == item.id, visibility_clause(Message, viewer))
        .options(joinedload(Message.author_user), joinedload(Message.author_customer))
        .order_by(Message.created_at.desc(), Message.id.desc()).limit(count)).all()
    return [_message_entry(post_of(message, [])) for message in reversed(newest)]
