"""Which item a mail answers: a Message-ID we sent or received (In-Reply-To, then References
newest first), else a ``[#1234]`` reference in the subject from someone on that item."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from triggers.email.parse import ParsedMail
from webapp.models import Customer, Item, MailMessage

SUBJECT_REF = re.compile(r"\[#(\d{1,9})\]")


@dataclass(frozen=True)
class Thread:
    item: Item
    via: str  # in-reply-to | references | subject
    reference: str


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


def is_participant(session: Session, item: Item, email: str) -> bool:
    """The requester, a follower, or a colleague of the requester (same organization, or
    an address at one of its domains)."""
    email = email.lower()
    requester = item.requester
    if requester is not None and requester.email == email:
        return True
    if any(c.email == email for c in item.follower_customers):
        return True
    if any((u.email or "").lower() == email for u in item.follower_users):
        return True
    organization = requester.organization if requester is not None else None
    if organization is None:
        return False
    if email.rsplit("@", 1)[-1] in {d.domain for d in organization.domains}:
        return True
    sender = session.scalars(select(Customer).where(Customer.email == email)).first()
    return sender is not None and sender.organization_id == organization.id


def find_thread(session: Session, parsed: ParsedMail, sender: str) -> Thread | None:
    ids = parsed.thread_ids
    known = items_of_messages(session, ids)
    for message_id in ids:
        if message_id in known:
            item = session.get(Item, known[message_id])
            if item is not None:
                via = "in-reply-to" if message_id in parsed.in_reply_to else "references"
                return Thread(item, via, message_id)
    # A subject reference alone is easy to make up: it counts from people on the item.
    for ref in subject_refs(parsed.subject):
        item = session.get(Item, ref)
        if item is not None and is_participant(session, item, sender):
            return Thread(item, "subject", f"[#{ref}]")
    return None
