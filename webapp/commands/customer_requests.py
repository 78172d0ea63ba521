"""What customers do to items from the portal, web forms and the widget: open a request,
reply to one, follow it. One path for all three, through the shared write check."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, BinaryIO

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from triggers.email.intake import reopen_status
from triggers.outbox import Actor, acting_as
from webapp.access.scope import SYSTEM
from webapp.commands.attach_file import attachment_store
from webapp.commands.errors import Invalid
from webapp.commands.write_check import check_write
from webapp.content.files import safe_filename
from webapp.content.html import plain_text_html
from webapp.models import (
    Attachment,
    Customer,
    Item,
    ItemKind,
    ItemType,
    Message,
    StatusCategory,
)

# The item's own fields a customer's request may fill (through a web form's item fields).
REQUEST_COLUMNS = frozenset({"due_at", "priority", "planned_start", "planned_finish"})


@dataclass(frozen=True)
class Upload:
    """A file a customer sent (a form field's stream and the name it came with)."""

    stream: BinaryIO
    filename: str | None


@contextmanager
def _written_files() -> Iterator[list[str]]:
    """Keys of files stored during the block; removed again if the block fails."""
    keys: list[str] = []
    try:
        yield keys
    except BaseException:
        store = attachment_store()
        for key in keys:
            store.delete(key)
        raise


def _attach(session: Session, item: Item, message: Message, uploads: Iterable[Upload],
            keys: list[str]) -> None:
    store = attachment_store()
    for upload in uploads:
        name = safe_filename(upload.filename)
        try:
            stored = store.save(upload.stream, name)
        except Invalid as exc:
            raise Invalid({"files": [f"{name}: {m}" for ms in exc.messages.values()
                                     for m in (ms if isinstance(ms, list) else [ms])]}) from exc
        keys.append(stored.storage_key)
        check_write(session, Attachment(
            item_id=item.id, message_id=message.id, filename=name,
            content_type=stored.content_type, size=stored.size, sha256=stored.sha256,
            storage_key=stored.storage_key), SYSTEM, is_new=True)


def _message(session: Session, customer: Customer, item: Item, text: str,
             uploads: list[Upload]) -> Message:
    body = plain_text_html(text)
    if not body and not uploads:
        raise Invalid({"body": [_("Write a message or attach a file.")]})
    message = Message(item_id=item.id, is_public=True, author_customer_id=customer.id,
                      body_html=body or "<p><em>(" + _("files only") + ")</em></p>")
    check_write(session, message, SYSTEM, is_new=True)
    return message


def submit_request(session: Session, customer: Customer, *, project_id: int,
                   item_type: ItemType, title: str, text: str = "",
                   custom_values: dict[str, Any] | None = None,
                   uploads: list[Upload] | None = None,
                   columns: dict[str, Any] | None = None,
                   record: Callable[[Item], Any] | None = None) -> Item:
    """A new ticket (or task) requested by ``customer``, with its first public message.
    ``columns`` sets the item's own fields a form may fill (``REQUEST_COLUMNS``).
    ``record`` writes more rows in the same transaction (a web form's submission).
    Committed as a whole, or nothing is kept (files included)."""
    uploads = uploads or []
    columns = dict(columns or {})
    unknown = set(columns) - REQUEST_COLUMNS
    if unknown:  # a programming error, not the customer's: name it
        raise ValueError(f"a request cannot set {', '.join(sorted(unknown))}")
    title = " ".join((title or "").split())
    if not title:
        raise Invalid({"title": [_("This field is required.")]})
    with _written_files() as keys, acting_as(Actor(customer_id=customer.id)):
        try:
            item = Item(kind=item_type.kind, title=title[:300], item_type_id=item_type.id,
                        project_id=project_id, requester_id=customer.id,
                        custom_values=dict(custom_values or {}), assignee_users=[],
                        assignee_teams=[], follower_users=[], follower_customers=[],
                        predecessors=[], **columns)
            check_write(session, item, SYSTEM, is_new=True)
            if text.strip() or uploads:
                message = _message(session, customer, item, text, uploads)
                _attach(session, item, message, uploads, keys)
            if record is not None:
                record(item)
            session.commit()
        except BaseException:
            session.rollback()
            raise
    return item


def add_reply(session: Session, customer: Customer, item: Item, text: str,
              uploads: list[Upload] | None = None,
              record: Callable[[Message], Any] | None = None) -> Message:
    """A public reply by ``customer`` on an item they may see; a done ticket reopens.
    ``record`` writes more rows in the same transaction (the chat line it came from)."""
    uploads = uploads or []
    with _written_files() as keys, acting_as(Actor(customer_id=customer.id)):
        try:
            if item.kind == ItemKind.TICKET and item.status.category == StatusCategory.DONE:
                reopened = reopen_status(session, item)
                if reopened is not None:
                    item.status = reopened
                    check_write(session, item, SYSTEM, is_new=False)
            message = _message(session, customer, item, text, uploads)
            _attach(session, item, message, uploads, keys)
            if record is not None:
                record(message)
            session.commit()
        except BaseException:
            session.rollback()
            raise
    return message


def set_following(session: Session, customer: Customer, item: Item, follow: bool) -> None:
    """Follow (get notified of) or stop following an item the customer may see."""
    with acting_as(Actor(customer_id=customer.id)):
        followers = item.follower_customers
        if follow and customer not in followers:
            followers.append(customer)
        elif not follow and customer in followers:
            followers.remove(customer)
        else:
            return
        check_write(session, item, SYSTEM, is_new=False)
        session.commit()
