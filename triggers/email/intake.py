"""The intake: raw mail is stored first (one ``inbound_mail`` row, committed), then parsed
and placed — a new item, a reply on an existing one, or kept as ignored/rejected mail with
the reason. Placing is one transaction: the item, message, attachments, people, the
Message-ID index row and the events commit together or not at all (files written for a
refused mail are removed again). Nothing is ever dropped.

Writes go through the shared write check (``check_write``) as the system, and are made
as the sending customer (``acting_as``), so the outbox records who did what.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from triggers.email import loops
from triggers.email.decode import storable_text
from triggers.email.errors import Ignored, MailRefused, Rejected
from triggers.email.parse import ParsedAttachment, ParsedMail, parse_message, text_to_html
from triggers.email.people import People
from triggers.email.quotes import trim_html, trim_text
from triggers.email.settings import IntakeSettings
from triggers.email.threads import Thread, find_thread, known_message
from triggers.outbox import Actor, acting_as, emit
from webapp.access.scope import SYSTEM
from webapp.commands.errors import Invalid
from webapp.commands.write_check import check_write
from webapp.content.files import AttachmentStore, limit_text, safe_filename, size_text
from webapp.content.html import html_to_text, sanitize_html
from webapp.models import (
    Attachment,
    Customer,
    InboundMail,
    InboundStatus,
    Item,
    ItemKind,
    MailDirection,
    MailMessage,
    Message,
    Status,
    StatusCategory,
    SupportAddress,
    User,
    utcnow,
)

log = logging.getLogger(__name__)

_RETRIES = 3  # a concurrent mail may create the same customer or organization first
AUTOMATION_USERNAME = "automation"


# ---------------------------------------------------------------- storing


def store_raw(session: Session, raw: bytes, *, source: str, envelope_from: str | None = None,
              envelope_to: Sequence[str] = (), peer: str | None = None) -> InboundMail:
    """Keep the bytes exactly as received (committed) before anything looks at them."""
    row = InboundMail(
        source=source, peer=(peer or None) and str(peer)[:100],
        envelope_from=None if envelope_from is None else envelope_from[:320],
        envelope_to=[str(a)[:320].lower() for a in envelope_to][:100], raw=raw,
        size=len(raw), sha256=hashlib.sha256(raw).hexdigest(), status=InboundStatus.RECEIVED,
        notes=[], recipients=[],
    )
    session.add(row)
    session.commit()
    return row


def receive(session: Session, raw: bytes, settings: IntakeSettings, *, source: str,
            envelope_from: str | None = None, envelope_to: Sequence[str] = (),
            peer: str | None = None) -> InboundMail:
    """Store, then process one message; returns its row with the outcome."""
    row = store_raw(session, raw, source=source, envelope_from=envelope_from,
                    envelope_to=envelope_to, peer=peer)
    return process(session, row.id, settings)


def process_pending(session: Session, settings: IntakeSettings, limit: int = 500) -> int:
    """Process mail stored but never processed (the process stopped in between)."""
    ids = list(session.scalars(select(InboundMail.id).where(
        InboundMail.status == InboundStatus.RECEIVED).order_by(InboundMail.id).limit(limit)))
    session.rollback()
    for inbound_id in ids:
        process(session, inbound_id, settings)
    return len(ids)


# ---------------------------------------------------------------- processing


def _claim(session: Session, inbound_id: int, again: bool) -> InboundMail | None:
    query = select(InboundMail).where(InboundMail.id == inbound_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row = session.scalars(query.execution_options(populate_existing=True)).first()
    if row is None:
        raise LookupError(f"no inbound mail {inbound_id}")
    allowed = {InboundStatus.RECEIVED}
    if again:
        allowed |= {InboundStatus.REJECTED, InboundStatus.IGNORED}
    return row if row.status in allowed else None


def process(session: Session, inbound_id: int, settings: IntakeSettings, *,
            again: bool = False) -> InboundMail:
    """Parse and place stored mail ``inbound_id``. ``again``: also mail rejected or ignored
    before (after an admin added the missing support address, say)."""
    row = _claim(session, inbound_id, again)
    if row is None:
        session.rollback()
        return session.get(InboundMail, inbound_id)  # type: ignore[return-value]
    try:
        parsed = parse_message(row.raw)
    except MailRefused as exc:
        return _finish(session, inbound_id, None, InboundStatus.REJECTED, exc.reason)
    except Exception as exc:  # a parser bug must not lose the mail: keep it, say why
        log.exception("inbound mail could not be parsed", extra={"inbound_mail_id": inbound_id})
        return _finish(session, inbound_id, None, InboundStatus.REJECTED,
                       f"could not be parsed: {type(exc).__name__}: {exc}")
    for attempt in range(1, _RETRIES + 1):
        placement = _Placement(session, row, parsed, settings)
        try:
            placement.run()
            session.commit()
            return row
        except Ignored as exc:
            placement.abandon()
            return _finish(session, inbound_id, parsed, InboundStatus.IGNORED, exc.reason,
                           item_id=exc.item_id, auto_reason=placement.auto_reason,
                           notes=placement.refused)
        except Rejected as exc:
            placement.abandon()
            return _finish(session, inbound_id, parsed, InboundStatus.REJECTED, exc.reason,
                           support_address_id=placement.support_address_id,
                           notes=placement.refused)
        except (Invalid, IntegrityError) as exc:
            placement.abandon()
            if attempt < _RETRIES:  # a concurrent mail wrote the same customer first
                log.info("inbound mail conflicted with a concurrent write; placing it again",
                         extra={"inbound_mail_id": inbound_id, "attempt": attempt})
                claimed = _claim(session, inbound_id, again=True)
                if claimed is None:  # processed meanwhile (by "process again", say)
                    session.rollback()
                    return session.get(InboundMail, inbound_id)  # type: ignore[return-value]
                row = claimed
                continue
            reason = _invalid_reason(exc)
            return _finish(session, inbound_id, parsed, InboundStatus.REJECTED, reason)
        except Exception as exc:
            placement.abandon()
            log.exception("inbound mail could not be placed",
                          extra={"inbound_mail_id": inbound_id})
            return _finish(session, inbound_id, parsed, InboundStatus.REJECTED,
                           f"could not be placed: {type(exc).__name__}: {exc}")
    raise AssertionError("unreachable")


def _invalid_reason(exc: Exception) -> str:
    if isinstance(exc, Invalid):
        messages = exc.messages
        if isinstance(messages, dict):
            parts = [f"{field}: {'; '.join(map(str, m)) if isinstance(m, list) else m}"
                     for field, m in messages.items()]
            return "refused by the data rules: " + ", ".join(parts)
        return f"refused by the data rules: {messages}"
    return f"conflicts with existing data: {str(exc).splitlines()[0]}"


def _describe(row: InboundMail, parsed: ParsedMail | None) -> None:
    if parsed is None:
        return
    row.sender = parsed.sender.email if parsed.sender else None
    row.subject = (parsed.subject or "")[:300] or None
    row.rfc_message_id = parsed.message_id
    row.recipients = [a.email for a in [*parsed.to, *parsed.cc]][:100]


def _finish(session: Session, inbound_id: int, parsed: ParsedMail | None,
            status: InboundStatus, reason: str, *, item_id: int | None = None,
            auto_reason: str | None = None, support_address_id: int | None = None,
            notes: Sequence[str] = ()) -> InboundMail:
    """Record an outcome other than a new item or reply (the placement was rolled back).
    Should even that fail (the database refuses something read from the mail, say), the
    mail is rejected with the reason and without what was read from it: no mail stays
    ``received`` with nobody told why."""
    try:
        return _record(session, inbound_id, parsed, status, reason, item_id=item_id,
                       auto_reason=auto_reason, support_address_id=support_address_id,
                       notes=notes)
    except Exception as exc:
        log.exception("the outcome of an inbound mail could not be recorded",
                      extra={"inbound_mail_id": inbound_id, "status": status.value})
        problem = (str(exc).splitlines() or [""])[0][:300]
        failure = (f"could not be recorded as {status.value} ({reason[:1000]}): "
                   f"{type(exc).__name__}: {problem}")
        return _record(session, inbound_id, None, InboundStatus.REJECTED,
                       storable_text(failure))


def _record(session: Session, inbound_id: int, parsed: ParsedMail | None,
            status: InboundStatus, reason: str, *, item_id: int | None = None,
            auto_reason: str | None = None, support_address_id: int | None = None,
            notes: Sequence[str] = ()) -> InboundMail:
    session.rollback()
    row = session.get(InboundMail, inbound_id, populate_existing=True)
    assert row is not None
    _describe(row, parsed)
    row.status = status
    row.reason = reason[:2000]
    row.notes = [*row.notes, *notes]
    row.item_id = item_id
    row.auto_reason = auto_reason[:300] if auto_reason else None
    row.support_address_id = support_address_id
    row.processed_at = utcnow()
    if status == InboundStatus.REJECTED:
        emit(session, "mail.rejected", "inbound_mail", row.id,
             data={"inbound_mail_id": row.id, "reason": row.reason, "sender": row.sender,
                   "subject": row.subject})
    session.commit()
    log.info("inbound mail %s", status.value,
             extra={"inbound_mail_id": inbound_id, "reason": reason})
    return row


# ---------------------------------------------------------------- placing


@dataclass
class _Placement:
    session: Session
    row: InboundMail
    parsed: ParsedMail
    settings: IntakeSettings
    stored_keys: list[str] = field(default_factory=list)
    auto_reason: str | None = None
    support_address_id: int | None = None
    refused: list[str] = field(default_factory=list)  # threads the sender may not enter
    reused_message_id: bool = False  # another mail came with this Message-ID before

    def __post_init__(self) -> None:
        self.store = AttachmentStore(self.settings.attachment_dir,
                                     self.settings.attachment_max_bytes)

    def abandon(self) -> None:
        """Undo: roll the transaction back and remove the files written for it."""
        self.session.rollback()
        for key in self.stored_keys:
            self.store.delete(key)
        self.stored_keys.clear()

    # -- the decision

    def run(self) -> None:
        parsed, row = self.parsed, self.row
        _describe(row, parsed)
        people = People(self.session, self.settings)
        if parsed.sender is None:
            raw_from = parsed.header("from")
            self._ignore_automatic(self._classify(people))  # a bounce without a usable From
            raise Rejected(f"no usable sender address (From: {raw_from!r})" if raw_from
                           else "no sender: the From header is missing")
        sender = parsed.sender.email
        seen = known_message(self.session, parsed.message_id)
        if seen is not None:
            if seen.direction == MailDirection.OUT:
                raise Ignored(f"our own mail came back (Message-ID <{parsed.message_id}>, sent "
                              f"for item #{seen.item_id})", seen.item_id)
            if self._same_content(seen.inbound_mail_id):
                raise Ignored(f"a copy of a mail received before (same Message-ID "
                              f"<{parsed.message_id}> and content, inbound mail "
                              f"{seen.inbound_mail_id})", seen.item_id)
            # Another mail under a Message-ID already used (broken or reused ids happen
            # in real mail): placed as a mail of its own, indexed under a unique key.
            self.reused_message_id = True
            row.notes = [*row.notes, f"Message-ID <{parsed.message_id}> was used before by "
                         f"inbound mail {seen.inbound_mail_id} with other content"]
        search = find_thread(self.session, parsed, sender)
        thread = search.thread
        if search.refused:  # the admin sees why a "reply" became a ticket of its own
            self.refused = search.refused
            row.notes = [*row.notes, *search.refused]
            log.warning("inbound mail not threaded into an item its sender may not see",
                        extra={"inbound_mail_id": row.id, "sender": sender,
                               "refused": search.refused})
        self._ignore_automatic(self._classify(people), thread)
        if thread is not None:
            self._reply(people, thread)
        else:
            self._new_item(people)

    def _classify(self, people: People) -> loops.Verdict:
        parsed = self.parsed
        return loops.classify(
            parsed.headers, subject=parsed.subject,
            sender=parsed.sender.email if parsed.sender else None,
            envelope_from=self.row.envelope_from, content_type=parsed.top_content_type,
            message_id=parsed.message_id, own_addresses=sorted(people.own),
            part_types=parsed.part_types, text=parsed.text, raw_from=parsed.header("from"))

    def _ignore_automatic(self, verdict: loops.Verdict, thread: Thread | None = None) -> None:
        """Raise ``Ignored`` (kept, with the reason) for mail a machine wrote."""
        if not verdict:
            return
        self.auto_reason = verdict.reason
        item_id = thread.item.id if thread else self._bounced_item()
        where = f" to item #{item_id}" if item_id else ""
        what = {"bulk": "bulk or list mail", "bounce": "a bounce", "loop": "a mail loop",
                "notice": "a system notice"}.get(verdict.kind or "", "an automatic reply")
        raise Ignored(f"{what}{where} ({verdict.reason}): automatic mail never creates "
                      "tickets or messages, and is never answered", item_id)

    def _same_content(self, inbound_id: int | None) -> bool:
        """Is this mail the same as stored mail ``inbound_id`` — same sender, subject, text
        and attachments (a copy that came again by another route has other Received
        headers, so the bytes alone cannot tell)?"""
        if inbound_id is None:
            return True
        earlier = self.session.get(InboundMail, inbound_id)
        if earlier is None:
            return True
        if earlier.sha256 == self.row.sha256:
            return True
        try:
            before = parse_message(earlier.raw)
        except Exception:  # the earlier mail could not be read: it was not this one
            return False
        return content_fingerprint(before) == content_fingerprint(self.parsed)

    def _bounced_item(self) -> int | None:
        items = [known_message(self.session, mid) for mid in self.parsed.embedded_message_ids]
        return next((m.item_id for m in items if m is not None), None)

    def _support_address(self) -> SupportAddress:
        addresses = {a.address: a for a in self.session.scalars(
            select(SupportAddress).where(SupportAddress.enabled.is_(True)))}
        parsed = self.parsed
        candidates = [*self.row.envelope_to, *parsed.delivered_to,
                      *(a.email for a in [*parsed.to, *parsed.cc])]
        for candidate in candidates:
            if candidate.lower() in addresses:
                return addresses[candidate.lower()]
        default = next((a for a in addresses.values() if a.is_default), None)
        if default is not None:
            return default
        shown = ", ".join(dict.fromkeys(candidates)) or "none"
        raise Rejected(f"not addressed to a support address (recipients: {shown}) and no "
                       "support address is the catch-all; add one under Mail → Support "
                       "addresses, then process this mail again")

    # -- new item

    def _new_item(self, people: People) -> None:
        parsed = self.parsed
        support = self._support_address()
        self.support_address_id = support.id
        customer = people.customer(parsed.sender)  # type: ignore[arg-type]
        users, customers = people.followers(
            [*parsed.to, *parsed.cc], exclude=[customer.email])
        with acting_as(Actor(customer_id=customer.id)):
            item = Item(
                kind=support.item_type.kind, title=_title(parsed.subject),
                item_type_id=support.item_type_id, project_id=support.project_id,
                requester_id=customer.id, follower_users=users, follower_customers=customers,
                # Empty collections set here are not loaded again (the outbox reads them).
                assignee_users=[], assignee_teams=[], predecessors=[], custom_values={},
            )
            check_write(self.session, item, SYSTEM, is_new=True)
            message = self._message(item, customer, parsed.html, people)
            self._index(item, message, original_html=None)
            self._done(InboundStatus.TICKET, item, message, support, people, new_item=True)

    # -- reply

    def _reply(self, people: People, thread: Thread) -> None:
        parsed = self.parsed
        item = thread.item
        customer = people.customer(parsed.sender)  # type: ignore[arg-type]
        html, trimmed = self._trimmed_body()
        with acting_as(Actor(customer_id=customer.id)):
            changed = False
            if item.kind == ItemKind.TICKET and item.status.category == StatusCategory.DONE:
                reopened = reopen_status(self.session, item)
                if reopened is not None:
                    item.status = reopened
                    changed = True
            users, customers = people.followers(
                [parsed.sender, *parsed.to, *parsed.cc],  # type: ignore[list-item]
                exclude=[item.requester.email] if item.requester else [])
            for user in users:
                if user not in item.follower_users:
                    item.follower_users.append(user)
                    changed = True
            for follower in customers:
                if follower not in item.follower_customers and follower.id != item.requester_id:
                    item.follower_customers.append(follower)
                    changed = True
            if changed:
                check_write(self.session, item, SYSTEM, is_new=False)
            message = self._message(item, customer, html, people)
            self._index(item, message, original_html=parsed.html if trimmed else None)
            self._done(InboundStatus.REPLY, item, message, None, people, new_item=False,
                       via=f"{thread.via} {thread.reference}")

    def _trimmed_body(self) -> tuple[str, bool]:
        """The reply without the quoted conversation, and whether anything was cut."""
        parsed = self.parsed
        if parsed.content_type == "text/html":
            html = sanitize_html(trim_html(parsed.raw_html)).strip()
        else:
            html = sanitize_html(text_to_html(trim_text(parsed.text)))
        if not html_to_text(html) and "<img" not in html:
            return parsed.html, False
        return html, html_to_text(html) != html_to_text(parsed.html)

    # -- shared

    def _message(self, item: Item, customer: Customer, html: str, people: People) -> Message:
        attachments = self._attachments(item)
        by_cid = {a.content_id: row for a, row in attachments if a.content_id}
        html = _link_inline_images(html, by_cid)
        if not html_to_text(html) and "<img" not in html:
            count = len(attachments)
            html = ("<p><em>(This e-mail has no text" +
                    (f"; {count} attachment{'s' if count != 1 else ''})" if count else ")") +
                    "</em></p>")
        message = Message(item_id=item.id, is_public=True, body_html=html,
                          author_customer_id=customer.id)
        check_write(self.session, message, SYSTEM, is_new=True)
        for _, row in attachments:
            row.message_id = message.id
        self.session.flush()
        self._note_skipped(item, people)
        return message

    def _attachments(self, item: Item) -> list[tuple[ParsedAttachment, Attachment]]:
        stored: list[tuple[ParsedAttachment, Attachment]] = []
        limit = self.settings.attachment_max_bytes
        for part in self.parsed.attachments:
            name = safe_filename(part.filename)
            if len(part.data) > limit:
                self.row.notes = [*self.row.notes,
                                  f"attachment {name!r} ({size_text(len(part.data))}) not kept: "
                                  f"larger than the limit of {limit_text(limit)}"]
                continue
            saved = self.store.save(io.BytesIO(part.data), name)
            self.stored_keys.append(saved.storage_key)
            row = Attachment(item_id=item.id, filename=name, content_type=saved.content_type,
                             size=saved.size, sha256=saved.sha256,
                             storage_key=saved.storage_key)
            check_write(self.session, row, SYSTEM, is_new=True)
            stored.append((part, row))
        return stored

    def _note_skipped(self, item: Item, people: People) -> None:
        """Tell the agents (a private note) what could not be kept from the mail."""
        notes = [*self.row.notes, *people.notes]
        self.row.notes = notes
        skipped = [n for n in notes if n.startswith("attachment ")]
        if not skipped:
            return
        automation = self.session.scalars(select(User).where(
            User.username == AUTOMATION_USERNAME)).first()
        if automation is None:
            return
        items = "".join(f"<li>{_escape(n)}</li>" for n in skipped)
        note = Message(item_id=item.id, is_public=False, author_user_id=automation.id,
                       body_html=f"<p>From inbound mail {self.row.id}:</p><ul>{items}</ul>"
                                 "<p>The original e-mail is kept under Mail → Inbound mail.</p>")
        check_write(self.session, note, SYSTEM, is_new=True)

    def _index(self, item: Item, message: Message, original_html: str | None) -> None:
        message_id = self.parsed.message_id or \
            f"inbound-{self.row.id}.{self.row.sha256[:16]}@relaydesk.invalid"
        if self.reused_message_id:  # the id belongs to an earlier, different mail
            message_id = f"{message_id[:200]}#inbound-{self.row.id}"
        self.session.add(MailMessage(
            rfc_message_id=message_id, direction=MailDirection.IN, item_id=item.id,
            message_id=message.id, inbound_mail_id=self.row.id,
            address=self.parsed.sender.email if self.parsed.sender else None,
            original_html=original_html, created_at=utcnow()))
        self.session.flush()

    def _done(self, status: InboundStatus, item: Item, message: Message,
              support: SupportAddress | None, people: People, *, new_item: bool,
              via: str | None = None) -> None:
        row = self.row
        row.status = status
        row.reason = f"threaded by {via}" if via else None
        row.item_id = item.id
        row.message_id = message.id
        row.support_address_id = support.id if support else row.support_address_id
        row.processed_at = utcnow()
        data: dict[str, Any] = {
            "inbound_mail_id": row.id, "item_id": item.id, "message_id": message.id,
            "new_item": new_item, "sender": row.sender, "subject": row.subject,
            "support_address": support.address if support else None,
            # Automatic mail never gets here, so every new item is acknowledged (the
            # acknowledgement action still applies the per-address rate limit).
            "acknowledge": new_item,
            # Files of the mail that were not kept, and why: the acknowledgement says so.
            "not_kept": [n.removeprefix("attachment ") for n in row.notes
                         if n.startswith("attachment ")],
        }
        emit(self.session, "mail.received", "item", item.id, data=data)
        self.session.flush()


# ---------------------------------------------------------------- helpers


def content_fingerprint(parsed: ParsedMail) -> str:
    """What makes two mails the same mail: sender, subject, text and attachments."""
    digest = hashlib.sha256()
    parts = [parsed.sender.email if parsed.sender else "", parsed.subject,
             re.sub(r"\s+", " ", parsed.text).strip(),
             *sorted(hashlib.sha256(a.data).hexdigest() for a in parsed.attachments)]
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass") + b"\x00")
    return digest.hexdigest()


def _title(subject: str) -> str:
    title = re.sub(r"\s+", " ", subject or "").strip()
    return title[:300] or "(no subject)"


def _escape(text: str) -> str:
    from html import escape

    return escape(text)


def reopen_status(session: Session, item: Item) -> Status | None:
    """The first in-progress status of the item's type (else its first new one)."""
    statuses = list(session.scalars(select(Status).where(
        Status.item_type_id == item.item_type_id).order_by(Status.position)))
    for category in (StatusCategory.IN_PROGRESS, StatusCategory.NEW):
        match = next((s for s in statuses if s.category == category), None)
        if match is not None:
            return match
    return None


def _link_inline_images(html: str, by_cid: dict[str, Attachment]) -> str:
    """``cid:`` references of inline images → the stored attachment's download address."""
    if not by_cid or "cid:" not in html:
        return html

    def replace(match: re.Match[str]) -> str:
        row = by_cid.get(match.group(2))
        if row is None:
            return match.group(0)
        return f"{match.group(1)}/api/v1/attachment/{row.id}/download"

    return re.sub(r"""(src=["']?)cid:([^"'\s>]+)""", replace, html)

