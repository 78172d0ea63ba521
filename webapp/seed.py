"""Default workflows (always) and demo data (on request, with progress)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.access.scope import (
    ROLE_AGENT,
    ROLE_COLLABORATOR,
    ROLE_READ_ONLY,
    SYSTEM,
)
from webapp.commands.write_check import check_write
from webapp.models import (
    Customer,
    CustomField,
    FieldType,
    Folder,
    Item,
    ItemKind,
    ItemType,
    Message,
    Organization,
    OrganizationDomain,
    Portfolio,
    Project,
    Status,
    StatusCategory,
    Team,
    Timesheet,
    User,
)

NEW, WORKING, DONE = StatusCategory.NEW, StatusCategory.IN_PROGRESS, StatusCategory.DONE

DEFAULT_WORKFLOWS: dict[tuple[ItemKind, str], list[tuple[str, str, StatusCategory]]] = {
    (ItemKind.TICKET, "Ticket"): [
        ("New", "#0d6efd", NEW), ("Open", "#6610f2", WORKING),
        ("Waiting on customer", "#fd7e14", WORKING), ("Solved", "#198754", DONE),
        ("Closed", "#6c757d", DONE),
    ],
    (ItemKind.TICKET, "Bug"): [
        ("Reported", "#dc3545", NEW), ("Confirmed", "#fd7e14", WORKING),
        ("Fixing", "#6610f2", WORKING), ("Fixed", "#198754", DONE),
        ("Won't fix", "#6c757d", DONE),
    ],
    (ItemKind.TICKET, "Hardware request"): [
        ("Requested", "#0d6efd", NEW), ("Approved", "#20c997", WORKING),
        ("Ordered", "#6610f2", WORKING), ("Delivered", "#198754", DONE),
        ("Rejected", "#6c757d", DONE),
    ],
    (ItemKind.TASK, "Task"): [
        ("Not started", "#adb5bd", NEW), ("In progress", "#0d6efd", WORKING),
        ("Blocked", "#dc3545", WORKING), ("Done", "#198754", DONE),
    ],
    (ItemKind.TASK, "Milestone"): [
        ("Planned", "#adb5bd", NEW), ("Reached", "#198754", DONE),
    ],
}
DEFAULT_TYPES = {"Ticket", "Task"}



def default_statuses(kind: ItemKind, name: str | None = None) -> list[Status]:
    """New status rows for a type: the shipped workflow of that name, else the one of the
    kind's default type (a new "Hardware" ticket type starts as New → Open → … → Closed)."""
    workflow = DEFAULT_WORKFLOWS.get((kind, name or "")) or next(
        statuses for (of_kind, type_name), statuses in DEFAULT_WORKFLOWS.items()
        if of_kind == kind and type_name in DEFAULT_TYPES)
    return [Status(name=status, colour=colour, category=category, position=i,
                   waits_on_customer=status.lower().startswith("waiting"))
            for i, (status, colour, category) in enumerate(workflow)]


def ensure_roles() -> None:
    current_app.appbuilder.sm.ensure_roles()


def ensure_workflows(session: Session) -> int:
    """Create the default item types and their statuses if missing; returns how many types."""
    created = 0
    for kind, name in DEFAULT_WORKFLOWS:
        exists = session.scalar(select(ItemType).where(ItemType.kind == kind,
                                                       ItemType.name == name))
        if exists is not None:
            continue
        item_type = ItemType(kind=kind, name=name, is_default=name in DEFAULT_TYPES)
        item_type.statuses = default_statuses(kind, name)
        session.add(item_type)
        created += 1
    hardware = session.scalar(select(ItemType).where(ItemType.name == "Hardware request"))
    if hardware is not None and not hardware.custom_fields:
        hardware.custom_fields = [
            CustomField(key="store", label="Store", field_type=FieldType.TEXT, required=True,
                        position=0),
            CustomField(key="device", label="Device", field_type=FieldType.CHOICE,
                        choices=["Laptop", "Printer", "POS terminal", "Phone"], required=True,
                        position=1),
            CustomField(key="needed_by", label="Needed by", field_type=FieldType.DATE,
                        position=2),
        ]
    session.commit()
    return created


def create_user(username: str, email: str, password: str, role: str, first: str = "",
                last: str = "") -> User:
    sm = current_app.appbuilder.sm
    user = sm.find_user(username=username)
    if user is not None:
        return user
    user = sm.add_user(username, first or username, last or role, email, sm.find_role(role),
                       password=password)
    if not user:
        raise RuntimeError(f"could not create user {username!r} (is the e-mail used already?)")
    return user


def is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(Project))


@contextmanager
def _no_progress(length: int, label: str) -> Iterator[Callable[[int], None]]:
    yield lambda n: None


def seed_demo(session: Session, progress: Any = _no_progress, password: str = "demo") -> dict:
    """Demo data for an IT team serving stores and an ISP onboarding subscribers."""
    ensure_workflows(session)
    types = {t.name: t for t in session.scalars(select(ItemType))}
    with progress(6, "demo data") as step:
        agent = create_user("alice", "alice@example.com", password, ROLE_AGENT, "Alice", "Agent")
        bob = create_user("bob", "bob@example.com", password, ROLE_AGENT, "Bob", "Field")
        carol = create_user("carol", "carol@example.com", password, ROLE_COLLABORATOR,
                            "Carol", "Contractor")
        create_user("viewer", "viewer@example.com", password, ROLE_READ_ONLY, "Vera", "Viewer")
        helpdesk = Team(name="Store IT", members=[agent, carol])
        onboarding = Team(name="Onboarding", members=[bob])
        session.add_all([helpdesk, onboarding])
        step(1)

        acme = Organization(name="Acme Stores",
                            domains=[OrganizationDomain(domain="acme-stores.example")])
        clinic = Organization(name="Northside Clinic",
                              domains=[OrganizationDomain(domain="northside.example")])
        customers = [
            Customer(email="maria@acme-stores.example", name="Maria Souza", organization=acme),
            Customer(email="juan@acme-stores.example", name="Juan Pérez", organization=acme),
            Customer(email="dr.lee@northside.example", name="Dr. Lee", organization=clinic),
        ]
        session.add_all([acme, clinic, *customers])
        step(1)

        it_portfolio = Portfolio(name="Store IT", description="Support for 14 stores")
        isp_portfolio = Portfolio(name="Subscribers", description="ISP subscriber onboarding")
        support = Project(name="Store support", portfolio=it_portfolio, organization=acme,
                          teams=[helpdesk])
        template = Project(name="Subscriber onboarding (template)", portfolio=isp_portfolio,
                           is_template=True, teams=[onboarding])
        session.add_all([it_portfolio, isp_portfolio, support, template])
        session.flush()
        step(1)

        survey = Folder(name="Site survey", project=template)
        install = Folder(name="Installation", project=template)
        session.add_all([survey, install])
        session.flush()
        start = dt.date.today()
        plan = [
            ("Call subscriber to book survey", survey, 0, 1),
            ("Site survey", survey, 2, 3),
            ("Install fibre drop", install, 5, 6),
            ("Configure router", install, 6, 6),
            ("Welcome call", install, 7, 7),
        ]
        previous = None
        for title, folder, a, b in plan:
            task = Item(kind=ItemKind.TASK, title=title, item_type=types["Task"],
                        project_id=template.id, folder_id=folder.id,
                        planned_start=start + dt.timedelta(days=a),
                        planned_finish=start + dt.timedelta(days=b), points=2,
                        assignee_teams=[onboarding])
            if previous is not None:
                task.predecessors = [previous]
            check_write(session, task, SYSTEM, is_new=True)
            previous = task
        step(1)

        tickets = [
            ("POS terminal in store 3 won't boot", "Ticket", 4, customers[0], {}),
            ("Printer jams on receipts", "Ticket", 2, customers[1], {}),
            ("New laptop for store 7 manager", "Hardware request", 3, customers[0],
             {"store": "Store 7", "device": "Laptop"}),
            ("Website checkout shows wrong tax", "Bug", 5, customers[1], {}),
        ]
        made = []
        for title, type_name, priority, requester, values in tickets:
            ticket = Item(kind=ItemKind.TICKET, title=title, item_type=types[type_name],
                          priority=priority, project_id=support.id, requester=requester,
                          custom_values=values, assignee_users=[agent],
                          follower_customers=[requester], created_by_id=agent.id,
                          description=f"<p>{title}.</p>")
            check_write(session, ticket, SYSTEM, is_new=True)
            made.append(ticket)
        step(1)

        for ticket in made:
            session.add_all([
                Message(item_id=ticket.id, is_public=True, author_customer_id=ticket.requester_id,
                        body_html=f"<p>Hi, {ticket.title.lower()}. Can you help?</p>"),
                Message(item_id=ticket.id, is_public=True, author_user_id=agent.id,
                        body_html="<p>Thanks, we are looking into it.</p>"),
                Message(item_id=ticket.id, is_public=False, author_user_id=agent.id,
                        body_html="<p>Checked the asset register; still under warranty.</p>"),
                Timesheet(user_id=agent.id, item_id=ticket.id, work_date=start,
                          hours=Decimal("1.5"), billable=True, note="Diagnosis"),
            ])
        session.commit()
        _seed_customer_apps(session, support, types["Hardware request"], customers[0],
                            password)
        step(1)
    return {"users": 4, "projects": 2, "tickets": len(made), "tasks": len(plan)}


def _seed_customer_apps(session: Session, project: Project, hardware: ItemType,
                        customer: Customer, password: str) -> None:
    """The help center takes requests into the store project; a knowledge base and a form."""
    from werkzeug.security import generate_password_hash

    from webapp.models import (
        ArticleVisibility,
        BuiltinField,
        KbArticle,
        KbCategory,
        Portal,
        PortalVisibility,
        WebForm,
        WebFormField,
    )

    ensure_default_portal(session)
    portal = session.scalars(select(Portal).order_by(Portal.is_default.desc())).first()
    portal.project_id = project.id
    portal.visibility = PortalVisibility.ORGANIZATION
    portal.login_required = False  # the knowledge base and forms are open to anyone
    portal.welcome_text = "Help for our 14 stores: search the answers or tell us what broke."
    customer.password_hash = generate_password_hash(password)
    category = KbCategory(name="Point of sale", position=0)
    for title, body in (
        ("Restart a frozen POS terminal",
         "<p>Hold the power button for 10 seconds, wait for the light to go out, then "
         "switch it on again. If the screen stays blank, open a request.</p>"),
        ("Clear a receipt printer jam",
         "<p>Open the cover, pull the paper roll out, cut the torn edge straight and feed "
         "it back under the roller.</p>"),
    ):
        article = KbArticle(title=title, body_html=body, category=category,
                            visibility=ArticleVisibility.PUBLIC, published=True)
        check_write(session, article, SYSTEM, is_new=True)
    form = WebForm(portal=portal, slug="hardware", name="Request hardware",
                   item_type=hardware, project_id=project.id,
                   intro="Tell us which device a store needs.")
    form.fields = [WebFormField(builtin=BuiltinField.TITLE, required=True, position=0),
                   *[WebFormField(custom_field=cf, required=cf.required, position=i + 1)
                     for i, cf in enumerate(hardware.custom_fields)],
                   WebFormField(builtin=BuiltinField.DESCRIPTION, position=90)]
    check_write(session, form, SYSTEM, is_new=True)
    session.commit()


def ensure_default_portal(session: Session) -> None:
    """A fresh install has one portal ("help"); admins rename, brand and add more."""
    from webapp.models import Portal

    if session.scalar(select(Portal.id).limit(1)) is None:
        session.add(Portal(slug="help", name="Help center", is_default=True))
        session.commit()
