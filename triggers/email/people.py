"""Who a mail is from and who it copies: customers found or created by address, their
organization by e-mail domain, staff and customers on Cc as followers."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from triggers.email.decode import MailAddress
from triggers.email.errors import Rejected
from triggers.email.settings import IntakeSettings, blocked_address
from webapp.access.scope import SYSTEM
from webapp.commands.errors import Invalid
from webapp.commands.rules.people import check_customer_email
from webapp.commands.write_check import check_write
from webapp.models import Customer, Organization, OrganizationDomain, SupportAddress, User

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
AUTOMATION_EMAIL = "automation@relaydesk.invalid"


def domain_of(email: str) -> str:
    return email.rsplit("@", 1)[-1].lower()


def own_addresses(session: Session, settings: IntakeSettings) -> set[str]:
    """Every address we send from or receive at."""
    found = {a.lower() for a in session.scalars(select(SupportAddress.address))}
    if settings.mail_from:
        found.add(settings.mail_from.lower())
    return found


def never_follow(own: set[str], settings: IntakeSettings) -> Callable[[str], bool]:
    """Whether an address must never become a follower: our own addresses (``own``), the
    automation user, and the configured list (addresses, or ``@domain`` for a domain)."""
    blocked = own | {AUTOMATION_EMAIL}
    return lambda email: blocked_address(email, blocked, settings.never_follow)


def organization_for(session: Session, domain: str, settings: IntakeSettings,
                     own_domains: set[str]) -> Organization | None:
    """The organization owning ``domain``; an unknown company domain creates one, a
    free-mail domain (gmail.com …) or one of our own never does."""
    row = session.scalars(select(OrganizationDomain).where(
        OrganizationDomain.domain == domain)).first()
    if row is not None:
        return row.organization
    if (not settings.create_organizations or domain in settings.freemail_domains
            or domain in own_domains or not _DOMAIN.match(domain)):
        return None
    organization = session.scalars(select(Organization).where(
        func.lower(Organization.name) == domain)).first()
    if organization is None:
        organization = Organization(name=domain, notes="Created from e-mail sent by this "
                                                       "domain.")
        check_write(session, organization, SYSTEM, is_new=True)
    check_write(session, OrganizationDomain(organization_id=organization.id, domain=domain),
                SYSTEM, is_new=True)
    return organization


@dataclass
class People:
    """Finds and creates people for one mail; remembers what it could not use."""

    session: Session
    settings: IntakeSettings
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.own = own_addresses(self.session, self.settings)
        self.own_domains = {domain_of(a) for a in self.own}
        self.blocked = never_follow(self.own, self.settings)

    def customer(self, address: MailAddress, *, role: str = "sender") -> Customer:
        """The customer with this address, created (with the organization of its domain)
        when unknown; ``Rejected`` if the address cannot be a customer's."""
        existing = self.session.scalars(select(Customer).where(
            Customer.email == address.email)).first()
        if existing is not None:
            if not existing.name and address.name:
                existing.name = address.name[:200]
            return existing
        try:  # the customer rules' own check, before anything is written for the address
            check_customer_email(self.session, Customer(email=address.email), SYSTEM, True)
        except Invalid as exc:
            messages = exc.messages if isinstance(exc.messages, dict) else {}
            problem = "; ".join(str(m) for m in messages.get("email", [])) or str(exc)
            raise Rejected(f"the {role} address {address.email!r} cannot be used for a "
                           f"customer: {problem}") from exc
        organization = organization_for(self.session, domain_of(address.email), self.settings,
                                        self.own_domains)
        customer = Customer(email=address.email, name=address.name[:200] or None,
                            organization_id=organization.id if organization else None)
        check_write(self.session, customer, SYSTEM, is_new=True)
        return customer

    def followers(self, addresses: Iterable[MailAddress], *, exclude: Iterable[str] = ()
                  ) -> tuple[list[User], list[Customer]]:
        """Staff users and customers for the copied addresses (blocked ones left out)."""
        skip = {e.lower() for e in exclude}
        users: list[User] = []
        customers: list[Customer] = []
        for address in addresses:
            if address.email in skip or self.blocked(address.email):
                continue
            skip.add(address.email)
            user = self.session.scalars(select(User).where(
                func.lower(User.email) == address.email, User.active.is_(True))).first()
            if user is not None:
                users.append(user)
                continue
            try:
                customers.append(self.customer(address, role="copied"))
            except Rejected as exc:
                self.notes.append(f"not added as a follower: {exc.reason}")
        return users, customers
