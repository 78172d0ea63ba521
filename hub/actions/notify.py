"""Actions that reach people: e-mail from a template (to an item's requester or followers
from the item's support address, threaded like its other mail), attaching the SLA clock."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connectors.email import SmtpSettings, build_message, send
from connectors.errors import Permanent, Retryable
from hub.actions.mail import ItemSender
from hub.actions.mail import smtp_settings as mail_smtp_settings
from hub.actions.registry import ActionContext, register
from webapp.commands.attach_sla import attach_sla, default_policy
from webapp.models import Item, Role, SlaPolicy, User


class SendEmailSchema(Schema):
    to = fields.String(required=True, validate=validate.OneOf(
        ["requester", "followers", "address"]), metadata={"label": "Send to"})
    address = fields.String(load_default=None, metadata={
        "label": "Address", "help": "when sending to a fixed address (template)"})
    subject = fields.String(required=True, metadata={"label": "Subject (template)"})
    body = fields.String(required=True, metadata={"label": "Text (template)"})


def smtp_settings(ctx: ActionContext) -> SmtpSettings:
    s = ctx.settings
    return SmtpSettings(host=s.get("SMTP_HOST", "127.0.0.1"), port=int(s.get("SMTP_PORT", 25)),
                        username=s.get("SMTP_USERNAME") or None,
                        password=s.get("SMTP_PASSWORD") or None,
                        starttls=bool(s.get("SMTP_STARTTLS")),
                        sender=s.get("MAIL_FROM", "support@relaydesk.local"))


def _recipients(ctx: ActionContext, params: dict[str, Any]) -> list[str]:
    if params["to"] == "address":
        if not params.get("address"):
            raise Permanent("no address given for a fixed-address e-mail")
        return [a.strip() for a in params["address"].split(",") if a.strip()]
    item = ctx.data.get("item")
    if item is None:
        raise Permanent("this event is not about an item")
    if params["to"] == "requester":
        requester = ctx.data.get("requester")
        if requester is None:
            raise Permanent("the item has no requester to e-mail")
        return [requester["email"]]
    actor_email = (ctx.data.get("message") or {}).get("author")
    return [e for e in dict.fromkeys(item["follower_emails"]) if e and e != actor_email]


@register("send_email", "Send e-mail from a template", SendEmailSchema, needs_item=False,
          calls_out=True)
def send_email(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    to = _recipients(ctx, params)
    if not to:
        return {"sent": 0, "note": "nobody to send to"}
    item = ctx.data.get("item")
    subject = params["subject"]
    if item is not None and f"[#{item['id']}]" not in subject:
        subject = f"{subject} [#{item['id']}]"
    if params["to"] != "address" and ctx.item is not None:
        return _to_customers(ctx, ctx.item, to, subject, params["body"])
    settings = smtp_settings(ctx)
    message = build_message(settings, to, subject, params["body"])
    message_id = send(settings, message)
    return {"sent": len(to), "to": to, "message_id": message_id}


def _to_customers(ctx: ActionContext, item: Item, to: list[str], subject: str,
                  body: str) -> dict[str, Any]:
    """Mail to the item's requester or followers comes like every other mail of the item
    (the satisfaction survey beside the acknowledgement): its support address and name,
    threaded, recorded so that replies thread in; one mail per person."""
    identity = ItemSender.of(ctx.session, item, ctx.settings)
    smtp = mail_smtp_settings(ctx.settings, identity.sender)
    event = ctx.event
    automatic = event.type.startswith("mail.") or event.actor_customer_id is not None
    sent: list[str] = []
    ids: list[str] = []
    failed: dict[str, str] = {}
    for address in to:
        try:
            ids.append(identity.send(ctx.session, smtp, item, address, subject, body,
                                     message=None, template=None, automatic=automatic,
                                     html=False))  # the recipe's text, as it was written
            sent.append(address)
        except Permanent as exc:  # this recipient refused by the relay: the others not
            failed[address] = str(exc)
        except Retryable as exc:
            if not sent:
                raise  # nothing went out yet: retry the whole delivery later
            failed[address] = str(exc)
    if not sent:
        raise Permanent(f"no recipient accepted the mail: {failed}")
    result: dict[str, Any] = {"sent": len(sent), "to": sent, "message_id": f"<{ids[-1]}>",
                              "from": identity.sender}
    if failed:
        result["failed"] = failed
    return result


class EmailAdminsSchema(Schema):
    subject = fields.String(required=True, metadata={"label": "Subject (template)"})
    body = fields.String(required=True, metadata={"label": "Text (template)"})


def admin_addresses(session: Session) -> list[str]:
    """The e-mail of every active user with the Admin role."""
    rows = session.scalars(select(User.email).join(User.roles).where(
        Role.name == "Admin", User.active.is_(True)).order_by(User.id))
    return list(dict.fromkeys(e for e in rows if e))


@register("email_admins", "E-mail the admins", EmailAdminsSchema, needs_item=False,
          calls_out=True)
def email_admins(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    to = admin_addresses(ctx.session)
    if not to:
        return {"sent": 0, "note": "no active admin has an e-mail address"}
    settings = smtp_settings(ctx)
    message_id = send(settings, build_message(settings, to, params["subject"], params["body"]))
    return {"sent": len(to), "to": to, "message_id": message_id}


class AttachSlaSchema(Schema):
    policy = fields.String(load_default=None, metadata={
        "label": "SLA policy (name; empty = the default policy)"})


@register("attach_sla", "Attach SLA policy", AttachSlaSchema)
def attach_sla_action(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    if ctx.item is None:
        raise Permanent("this event is not about an item")
    if params.get("policy"):
        policy = ctx.session.scalars(select(SlaPolicy).where(
            func.lower(SlaPolicy.name) == params["policy"].strip().lower())).first()
        if policy is None:
            raise Permanent(f"no SLA policy {params['policy']!r}")
    else:
        policy = default_policy(ctx.session)
        if policy is None:
            return {"skipped": "no default SLA policy"}
    clock = attach_sla(ctx.session, ctx.item, policy)
    if clock is None:
        return {"skipped": f"policy {policy.name!r} has no target for this item"}
    return {"policy": policy.name,
            "first_response_due_at": clock.first_response_due_at.isoformat()
            if clock.first_response_due_at else None,
            "resolution_due_at": clock.resolution_due_at.isoformat()
            if clock.resolution_due_at else None}
