"""Which item a mail answers: a Message-ID we sent or received (In-Reply-To, then References
newest first), else a ``[#1234]`` reference in the subject — and on every path only an item
the sender may see. Message-IDs travel in every reply, forward and quoted copy, so knowing
one proves nothing: without that check anyone holding one could post into another
organization's ticket, become its follower and read its thread in the portal."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from triggers.email.parse import ParsedMail
from webapp.access.customers import customer_sees
from webapp.access.scope import Viewer, is_visible
from webapp.models import Customer, Item, MailMessage, User

SUBJECT_REF = re.compile(r"\[#(\d{1,9})\]")


@dataclass(frozen=True)
class Thread:
    item: Item
    via: str  # in-reply-to | references | subject
    reference: str


@dataclass
class ThreadSearch:
    """The item the mail threads into, if any, and the items it named but may not enter
    (one line each, for the inbound mail's notes)."""

    thread: Thread | None = None
    refused: list[str] = field(default_factory=list)


def subject_refs(subject: str) -> list[int]:
    return [int(n) for n in dict.fromkeys(SUBJECT_REF.findall(subject or ""))]


def known_message(session: Session, message_id: str | None) -> MailMessage | None:
    if not message_id:
        return None
    return session.scalars(select(MailMessage).where(
        MailMessage.rfc_message_id == message_id)).first()


def items_of_messages(session: Session, message_ids: list[str]) -> dict[str, int]:
    if not message_ids:
        return {}
    rows = session.execute(select(MailMessage.rfc_message_id, MailMessage.item_id).where(
        MailMessage.rfc_message_id.in_(message_ids[:200])))
    return {mid: item_id for mid, item_id in rows}


def sender_may_see(session: Session, item: Item, email: str) -> bool:
    """Whether mail from ``email`` may thread into ``item``: its requester, a follower
    (customer or staff), a staff member who may see it (the staff visibility rule), or a
    customer who sees it in the portal serving it (its own rule: colleagues of the
    requester only where that portal shows the organization's requests)."""
    email = email.lower()
    if item.requester is not None and item.requester.email == email:  # stored lower-case
        return True
    if any(c.email == email for c in item.follower_customers):
        return True
    if any((u.email or "").lower() == email for u in item.follower_users):
        return True
    staff = session.scalars(select(User).where(func.lower(User.email) == email,
                                               User.active.is_(True)))
    if any(is_visible(session, item, Viewer.for_user(user)) for user in staff):
        return True
    customer = session.scalars(select(Customer).where(Customer.email == email)).first()
    return customer is not None and customer_sees(session, customer, item)


def find_thread(session: Session, parsed: ParsedMail, sender: str) -> ThreadSearch:
    """The first item the mail refers to that ``sender`` may see; the others are noted."""
    search = ThreadSearch()
    checked: set[int] = set()

    def allowed(item: Item, how: str) -> bool:
        if item.id in checked:
            return False  # refused already (noted once)
        checked.add(item.id)
        if sender_may_see(session, item, sender):
            return True
        search.refused.append(f"not threaded into item #{item.id} ({how}): the sender "
                              f"{sender} may not see that item")
        return False

    ids = parsed.thread_ids
    known = items_of_messages(session, ids)
    for message_id in ids:
        if message_id not in known:
            continue
        item = session.get(Item, known[message_id])
        via = "in-reply-to" if message_id in parsed.in_reply_to else "references"
        if item is not None and allowed(item, f"{via} <{message_id}>"):
            search.thread = Thread(item, via, message_id)
            return search
    for ref in subject_refs(parsed.subject):
        item = session.get(Item, ref)
        if item is not None and allowed(item, f"subject [#{ref}]"):
            search.thread = Thread(item, "subject", f"[#{ref}]")
            return search
    return search
