"""Rules for customers and organization domains: well-formed, unique e-mail and domains."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.access.scope import Viewer
from webapp.commands.errors import Invalid
from webapp.commands.write_check import rules_for
from webapp.models import Customer, OrganizationDomain

EMAIL_PATTERN = re.compile(r"^[^@\s<>\"]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def check_customer_email(
    session: Session, customer: Customer, viewer: Viewer, is_new: bool
) -> None:
    """Before the flush, so a duplicate is named plainly rather than as a constraint error."""
    if not EMAIL_PATTERN.match(customer.email or ""):
        raise Invalid({"email": ["is not a valid e-mail address"]})
    with session.no_autoflush:
        query = select(Customer.id).where(func.lower(Customer.email) == customer.email.lower())
        if customer.id is not None:
            query = query.where(Customer.id != customer.id)
        other = session.scalar(query)
    if other is not None:
        raise Invalid({"email": [f"is already used by customer {other}"]})


def validate_domain(
    session: Session, domain: OrganizationDomain, viewer: Viewer, is_new: bool
) -> dict:
    if not _DOMAIN.match(domain.domain or ""):
        return {"domain": ["is not a valid domain name (like example.com)"]}
    return {}


rules_for(Customer).prepare.append(check_customer_email)
rules_for(OrganizationDomain).validate.append(validate_domain)
