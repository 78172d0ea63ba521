"""E-mail to the people on an item: the requester and followers (never the author), from
the admin-editable template of the event, threaded by Message-ID, and never a private note.

Each recipient gets a mail of their own (addresses are not shown to each other), from the
item's support address, with ``[#id]`` in the subject and In-Reply-To/References to the
item's earlier mail; its Message-ID is recorded so replies thread into the item. Automatic
mail (acknowledgements, notifications caused by a customer's mail) is limited per address
(``MAIL_AUTOREPLY_LIMIT`` per ``MAIL_AUTOREPLY_WINDOW_MINUTES``) so two robots cannot keep
each other busy.
"""

from __future__ import annotations

import datetime as dt
import html as html_lib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr
from pathlib import Path
from typing import Any

from marshmallow import Schema, fields, validate
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from connectors.email import OutgoingFile, SmtpSettings, build_message, send, size_of
from connectors.errors import Permanent, Retryable
from hub.actions.registry import ActionContext, register
from hub.templating import TemplateFailure, render
from triggers.email.loops import OWN_MESSAGE_ID_PREFIX
from triggers.email.settings import blocked_address, split_list
from webapp.access.customers import serving_portal
from webapp.content.files import AttachmentStore, size_text
from webapp.models import (
    Attachment,
    Customer,
    InboundMail,
    Item,
    MailDirection,
    MailMessage,
    MailTemplate,
    Message,
    SupportAddress,
    User,
    utcnow,
)

AUTOMATION_EMAIL = "automation@relaydesk.invalid"
_SIGNATURE = "{{ brand.signature }}"

DEFAULT_TEMPLATES: dict[str, dict[str, str]] = {
    "ticket.created": {
        "name": "Acknowledgement of a request received by e-mail",
        "subject": "We received your request: {{ item.title }} [#{{ item.id }}]",
        "body": "Hello {{ recipient.name }},\n\n"
                "thank you for writing to us. Your request \"{{ item.title }}\" is now "
                "ticket #{{ item.id }}; we will answer as soon as we can.\n\n"
                "To add something, reply to this e-mail (keep [#{{ item.id }}] in the "
                "subject).\n\n" + _SIGNATURE,
    },
    "message.created": {
        "name": "New public reply on an item",
        "subject": "Re: {{ item.title }} [#{{ item.id }}]",
        "body": "Hello {{ recipient.name }},\n\n"
                "{{ author.name }} wrote on #{{ item.id }} \"{{ item.title }}\":\n\n"
                "{{ message.body }}\n\n"
                "Reply to this e-mail to answer.\n\n" + _SIGNATURE,
    },
    "ticket.status_changed": {
        "name": "Status of a ticket changed",
        "subject": "{{ item.title }} is now {{ item.status }} [#{{ item.id }}]",
        "body": "Hello {{ recipient.name }},\n\n"
                "the status of \"{{ item.title }}\" (#{{ item.id }}) is now "
                "{{ item.status }}.\n\n" + _SIGNATURE,
    },
}

RECIPIENTS = ("requester_and_followers", "requester", "followers")


class BrokenTemplate(Permanent):
    """The mail template cannot be rendered: no recipient can get this mail."""


class NotifySchema(Schema):
    template = fields.String(load_default="{{ event.type }}", metadata={
        "label": "Mail template", "help": "the event type of the mail template to use "
                                          "(Mail → Mail templates); default: this event's"})
    to = fields.String(load_default="requester_and_followers",
                       validate=validate.OneOf(RECIPIENTS), metadata={"label": "Send to"})
    include_author = fields.Boolean(load_default=False, metadata={
        "label": "Also to the author", "help": "for acknowledgements of the author's own mail"})


@dataclass(frozen=True)
class Person:
    email: str
    name: str

    def data(self) -> dict[str, str]:
        return {"email": self.email, "name": self.name}


def _person(row: User | Customer | None) -> Person | None:
    if row is None or not getattr(row, "email", None):
        return None
    if isinstance(row, User):
        name = " ".join(p for p in (row.first_name, row.last_name) if p) or row.username
    else:
        name = row.name or row.email
    return Person(row.email.strip().lower(), name)


def smtp_settings(settings: dict[str, Any], sender: str) -> SmtpSettings:
    return SmtpSettings(host=settings.get("SMTP_HOST", "127.0.0.1"),
                        port=int(settings.get("SMTP_PORT", 25)),
                        username=settings.get("SMTP_USERNAME") or None,
                        password=settings.get("SMTP_PASSWORD") or None,
                        starttls=bool(settings.get("SMTP_STARTTLS")), sender=sender)


def _project_address(session: Session, project_id: int | None) -> SupportAddress | None:
    if project_id is None:
        return None
    return session.scalars(
        select(SupportAddress).where(SupportAddress.project_id == project_id,
                                     SupportAddress.enabled.is_(True))
        .order_by(SupportAddress.is_default.desc(), SupportAddress.id)).first()


def support_address_for(session: Session, item: Item) -> SupportAddress | None:
    """The address the item came in through, else the project's (catch-all first), else
    the one of the project of the portal serving it (a ticket a recipe moved into its
    organization's project keeps writing from the address its requester knows)."""
    came_in = session.scalars(
        select(SupportAddress).join(InboundMail, InboundMail.support_address_id
                                    == SupportAddress.id)
        .where(InboundMail.item_id == item.id, SupportAddress.enabled.is_(True))
        .order_by(InboundMail.id)).first()
    if came_in is not None:
        return came_in
    found = _project_address(session, item.project_id)
    if found is None:
        portal = serving_portal(session, item)
        if portal is not None and portal.project_id != item.project_id:
            found = _project_address(session, portal.project_id)
    return found


@dataclass(frozen=True)
class ItemSender:
    """Who every mail of an item comes from, and how it threads: its support address (name
    and signature) or ``MAIL_FROM``, Reply-To, and In-Reply-To/References to its earlier
    mail. Notifications and recipe e-mails about an item share it."""

    sender: str
    brand: dict[str, str]
    headers: dict[str, str]

    @classmethod
    def of(cls, session: Session, item: Item, settings: dict[str, Any]) -> ItemSender:
        support = support_address_for(session, item)
        brand_name = settings.get("MAIL_BRAND_NAME") or "Relaydesk Support"
        sender = support.address if support else str(settings.get("MAIL_FROM")
                                                      or "support@relaydesk.local")
        brand = {"name": " ".join((support.name if support and support.name else
                                   brand_name).split()),
                 "address": sender, "signature": (support.signature if support and
                                                  support.signature else brand_name)}
        headers = {"Reply-To": formataddr((brand["name"], sender)),
                   "X-Auto-Response-Suppress": "All", "X-Relaydesk-Item": str(item.id),
                   **_thread_headers(session, item)}
        return cls(sender, brand, headers)

    def send(self, session: Session, smtp: SmtpSettings, item: Item, address: str,
             subject: str, body: str, *, message: Message | None, template: str | None,
             automatic: bool, html: bool = True,
             files: Sequence[tuple[Attachment, OutgoingFile]] = (),
             link: Callable[[Attachment], str] | None = None) -> str:
        """Mail ``address`` about ``item`` and record its Message-ID (replies thread in).
        ``files`` go with it as attachments within the relay's size limit; the ones beyond
        it are named in the text with ``link`` (their download address)."""
        domain = smtp.sender.rsplit("@", 1)[-1] or "relaydesk.local"
        message_id = f"{OWN_MESSAGE_ID_PREFIX}{uuid.uuid4().hex}@{domain}"

        def build(attached: Sequence[OutgoingFile], text: str) -> EmailMessage:
            mail = build_message(smtp, [address], " ".join(subject.split()), text,
                                 html=_html(text) if html else None, headers=self.headers,
                                 sender_name=self.brand["name"], files=attached)
            mail.replace_header("Message-ID", f"<{message_id}>")
            return mail

        def within(limit: int) -> EmailMessage:
            budget = limit - size_of(build((), body)) - 4096  # headers of each part
            attached, linked = [], []
            for row, file in files:
                cost = (len(file.data) * 4) // 3 + 512  # base64 and its part headers
                if cost <= budget:
                    attached.append(file)
                    budget -= cost
                else:
                    linked.append(row)
            return build(attached, body + _links_text(linked, link))

        send(smtp, build([f for _, f in files], body), oversize=within if files else None)
        session.add(MailMessage(
            rfc_message_id=message_id, direction=MailDirection.OUT, item_id=item.id,
            message_id=message.id if message is not None else None, address=address,
            template=template, automatic=automatic, created_at=utcnow()))
        session.flush()
        return message_id


def template_for(session: Session, event_type: str) -> dict[str, str]:
    row = session.scalars(select(MailTemplate).where(
        MailTemplate.event_type == event_type)).first()
    if row is not None:
        return row.as_dict()
    if event_type in DEFAULT_TEMPLATES:
        return {"event_type": event_type, **DEFAULT_TEMPLATES[event_type]}
    raise Permanent(f"no mail template for {event_type!r}; add one under Mail → Mail "
                    "templates")


def hold_address(session: Session, address: str) -> None:
    """Serialize automatic mail to one address until this delivery's transaction ends: lanes
    and workers run deliveries side by side, and two of them must not both count "under the
    limit" before either has recorded its mail (PostgreSQL; SQLite runs one at a time)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                        {"key": f"relaydesk:automatic-mail:{address}"})


def over_limit(session: Session, address: str, window_minutes: int, limit: int) -> bool:
    """Whether ``address`` had ``limit`` automatic mails in the window (checked under
    ``hold_address``, so the answer holds until this delivery has recorded its own)."""
    hold_address(session, address)
    return sent_recently(session, address, window_minutes) >= limit


def sent_recently(session: Session, address: str, window_minutes: int) -> int:
    since = utcnow() - dt.timedelta(minutes=window_minutes)
    return session.scalar(select(func.count()).select_from(MailMessage).where(
        MailMessage.direction == MailDirection.OUT, MailMessage.automatic.is_(True),
        MailMessage.address == address, MailMessage.created_at >= since)) or 0


def _candidates(item: Item, to: str) -> list[Person]:
    people: list[Person | None] = []
    if to in ("requester_and_followers", "requester"):
        people.append(_person(item.requester))
    if to in ("requester_and_followers", "followers"):
        people += [_person(c) for c in item.follower_customers]
        people += [_person(u) for u in item.follower_users if u.active]
    found = [p for p in people if p is not None]
    return list({p.email: p for p in reversed(found)}.values())[::-1]


def _already_have_it(session: Session, message: Message | None) -> set[str]:
    """The author's addressees: a customer's mail already went to its To and Cc."""
    if message is None:
        return set()
    inbound = session.scalars(
        select(InboundMail).join(MailMessage, MailMessage.inbound_mail_id == InboundMail.id)
        .where(MailMessage.message_id == message.id)).first()
    return {a.lower() for a in (inbound.recipients if inbound is not None else [])}


def _thread_headers(session: Session, item: Item) -> dict[str, str]:
    ids = list(session.scalars(select(MailMessage.rfc_message_id).where(
        MailMessage.item_id == item.id).order_by(MailMessage.id)))
    if not ids:
        return {}
    chain = ids[:1] + ids[-9:] if len(ids) > 10 else ids
    return {"In-Reply-To": f"<{ids[-1]}>",
            "References": " ".join(f"<{i}>" for i in dict.fromkeys(chain))}


def _html(text: str) -> str:
    paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    body = "".join("<p>" + "<br>".join(html_lib.escape(line) for line in p.split("\n"))
                   + "</p>" for p in paragraphs)
    return f'<div style="font-family:sans-serif;font-size:14px">{body}</div>'


@register("notify_followers", "E-mail the requester and followers (mail template)",
          NotifySchema, calls_out=True)
def notify_followers(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    session, event, item = ctx.session, ctx.event, ctx.item
    if item is None:
        raise Permanent("this event is not about an item")
    settings = ctx.settings
    message = session.get(Message, event.subject_id) if event.subject_type == "message" \
        else None
    if message is not None and not message.is_public:
        return {"skipped": "a private note is never e-mailed"}
    template = template_for(session, params["template"])

    if message is not None:
        author = _person(message.author_user or message.author_customer)
    else:
        author = _person(session.get(User, event.actor_user_id) if event.actor_user_id
                         else session.get(Customer, event.actor_customer_id)
                         if event.actor_customer_id else None)
    identity = ItemSender.of(session, item, settings)
    sender = identity.sender
    own = {a.lower() for a in session.scalars(select(SupportAddress.address))}
    own |= {sender.lower(), str(settings.get("MAIL_FROM") or "").lower(), AUTOMATION_EMAIL}
    never = split_list(settings.get("MAIL_NEVER_FOLLOW", ""))
    have_it = _already_have_it(session, message)
    automatic = event.type.startswith("mail.") or event.actor_customer_id is not None
    limit = int(settings.get("MAIL_AUTOREPLY_LIMIT", 5))
    window = int(settings.get("MAIL_AUTOREPLY_WINDOW_MINUTES", 60))

    smtp = smtp_settings(settings, sender)
    sent: list[str] = []
    skipped: dict[str, str] = {}
    failed: dict[str, str] = {}
    for person in _candidates(item, params["to"]):
        if author is not None and person.email == author.email and not params["include_author"]:
            skipped[person.email] = "the author"
        elif blocked_address(person.email, own, never):
            skipped[person.email] = "one of our own or a never-notify address"
        elif person.email in have_it:
            skipped[person.email] = "was on the e-mail itself"
        elif automatic and over_limit(session, person.email, window, limit):
            skipped[person.email] = (f"rate limit: {limit} automatic mails in {window} "
                                     "minutes already")
        else:
            try:
                sent.append(_send_one(ctx, item, message, template, person, author, identity,
                                      smtp, automatic, params["template"]))
            except BrokenTemplate:
                raise
            except Permanent as exc:  # this recipient refused by the relay: the others not
                failed[person.email] = str(exc)
            except Retryable as exc:
                if not sent:
                    raise  # nothing went out yet: retry the whole delivery later
                failed[person.email] = str(exc)
    result: dict[str, Any] = {"sent": sent, "template": params["template"]}
    if skipped:
        result["skipped"] = skipped
    if failed:
        result["failed"] = failed
    return result


def _send_one(ctx: ActionContext, item: Item, message: Message | None,
              template: dict[str, str], person: Person, author: Person | None,
              identity: ItemSender, smtp: SmtpSettings, automatic: bool,
              template_key: str) -> str:
    brand = identity.brand
    context = dict(ctx.data)
    context.update(recipient=person.data(), brand=brand,
                   author=(author.data() if author else {"name": brand["name"],
                                                         "email": brand["address"]}))
    try:
        subject = render(template["subject"], context, field="subject").strip()
        body = render(template["body"], context, field="body")
    except TemplateFailure as exc:
        raise BrokenTemplate(f"mail template {template['event_type']!r}: {exc}") from exc
    tag = f"[#{item.id}]"
    if tag not in subject:
        subject = f"{subject} {tag}"
    if author is not None and person.email == author.email:
        body += _not_kept_text(ctx.event.data or {})
    files = _message_files(ctx, message)
    identity.send(ctx.session, smtp, item, person.email, subject, body, message=message,
                  template=template_key, automatic=automatic, files=files,
                  link=_portal_link(ctx, item) if files else None)
    return person.email


def _not_kept_text(data: dict[str, Any]) -> str:
    """For the sender of a mail: the files of it that were not kept, and why (the intake
    records them on the ``mail.received`` event)."""
    not_kept = [str(n) for n in data.get("not_kept") or []]
    if not not_kept:
        return ""
    lines = "\n".join(f"- {n}" for n in not_kept)
    return (f"\n\nNot kept from your e-mail:\n{lines}\n"
            "Please send these files another way (smaller, or as a link).")


def _message_files(ctx: ActionContext,
                   message: Message | None) -> list[tuple[Attachment, OutgoingFile]]:
    """The files of a public reply, read from the attachment store."""
    if message is None or not message.attachments:
        return []
    root = ctx.settings.get("ATTACHMENT_DIR") or \
        str(Path(str(ctx.settings.get("DATA_DIR") or "data")) / "attachments")
    store = AttachmentStore(root, 0)
    found = []
    for row in sorted(message.attachments, key=lambda a: a.id):
        path = store.path(row.storage_key)
        if path.exists():
            found.append((row, OutgoingFile(row.filename, row.content_type,
                                            path.read_bytes())))
    return found


def _portal_link(ctx: ActionContext, item: Item) -> Callable[[Attachment], str]:
    portal = serving_portal(ctx.session, item)
    base = str(ctx.settings.get("PUBLIC_URL") or "").rstrip("/")

    def link(row: Attachment) -> str:
        if portal is None or not base:
            return f"on ticket #{item.id} in the portal"
        return f"{base}/portal/{portal.slug}/attachments/{row.id}"

    return link


def _links_text(rows: Sequence[Attachment], link: Callable[[Attachment], str] | None) -> str:
    if not rows:
        return ""
    lines = "\n".join(f"- {r.filename} ({size_text(r.size)}): "
                      f"{link(r) if link else 'in the portal'}" for r in rows)
    return f"\n\nToo large to send by e-mail, download from the portal:\n{lines}"
