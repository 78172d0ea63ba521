"""Rules for support addresses and mail templates: well-formed, unique, templates that
compile — refused with the field named, before anything is written."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.templating import TemplateFailure, compile_template
from webapp.access.scope import Viewer
from webapp.commands.rules.people import EMAIL_PATTERN
from webapp.commands.write_check import rules_for
from webapp.models import ItemType, MailTemplate, SupportAddress

_EVENT_TYPE = re.compile(r"^[a-z_]+\.[a-z_.]+$")


def check_support_address(session: Session, address: SupportAddress, viewer: Viewer,
                          is_new: bool) -> dict:
    errors: dict[str, list[str]] = {}
    value = (address.address or "").strip().lower()
    if not EMAIL_PATTERN.match(value):
        errors["address"] = ["is not a valid e-mail address (like support@example.com)"]
    else:
        with session.no_autoflush:
            query = select(SupportAddress.id).where(SupportAddress.address == value)
            if address.id is not None:
                query = query.where(SupportAddress.id != address.id)
            if session.scalar(query) is not None:
                errors["address"] = ["is a support address already"]
    if address.is_default:
        with session.no_autoflush:
            query = select(SupportAddress.address).where(SupportAddress.is_default.is_(True))
            if address.id is not None:
                query = query.where(SupportAddress.id != address.id)
            other = session.scalar(query)
        if other is not None:
            errors["is_default"] = [f"{other} is the catch-all already; only one address "
                                    "can be"]
    return errors


def validate_support_address(session: Session, address: SupportAddress, viewer: Viewer,
                             is_new: bool) -> dict:
    if address.item_type_id is None or session.get(ItemType, address.item_type_id) is None:
        return {"item_type": ["is required: the type of the items its mail creates"]}
    return {}


def check_mail_template(session: Session, template: MailTemplate, viewer: Viewer,
                        is_new: bool) -> dict:
    errors: dict[str, list[str]] = {}
    event_type = (template.event_type or "").strip()
    if not _EVENT_TYPE.match(event_type):
        errors["event_type"] = ["must be an event type like ticket.created or message.created"]
    else:
        with session.no_autoflush:
            query = select(MailTemplate.id).where(MailTemplate.event_type == event_type)
            if template.id is not None:
                query = query.where(MailTemplate.id != template.id)
            if session.scalar(query) is not None:
                errors["event_type"] = ["has a template already; edit that one"]
    if not (template.name or "").strip():
        errors["name"] = ["is required"]
    for name in ("subject", "body"):
        text = getattr(template, name) or ""
        if not text.strip():
            errors[name] = ["is required"]
            continue
        try:
            compile_template(text, field=name)
        except TemplateFailure as failure:
            errors[name] = [str(failure)]
    if len(template.subject or "") > 300:
        errors.setdefault("subject", []).append("is longer than 300 characters")
    return errors


rules_for(SupportAddress).check.append(check_support_address)
rules_for(SupportAddress).validate.append(validate_support_address)
rules_for(MailTemplate).check.append(check_mail_template)
