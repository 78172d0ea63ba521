"""Actions that create things from an event (typically an inbound webhook's): a ticket or task
for an organization, and a project duplicated from a template for a (new) customer, whose
contact (found or made from the event's e-mail) becomes the tasks' requester.

Both find what they refer to by name or id, made under the shared write rules as the system.
Their effects commit with the delivery's success, so a retry never creates twice; a replay
of a duplication finds the project it made and does nothing.
"""

from __future__ import annotations

from html import escape
from typing import Any

from marshmallow import fields, validate
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connectors.base import Inputs
from connectors.errors import Permanent
from hub.actions.internal import _by_name_or_id, _checked, automation_user
from hub.actions.registry import ActionContext, register
from webapp.access.scope import SYSTEM
from webapp.commands.duplicate_project import duplicate_project
from webapp.commands.errors import Invalid
from webapp.models import (
    Customer,
    ExternalLink,
    Item,
    ItemKind,
    ItemType,
    Organization,
    OrganizationDomain,
    Project,
)


def _organization_by_ref(session: Session, ref: str) -> Organization | None:
    text = ref.strip()
    row = session.get(Organization, int(text)) if text.isdigit() else None
    if row is None:
        row = session.scalars(select(Organization).where(
            func.lower(Organization.name) == text.lower())).first()
    return row


def _organization_by_external_id(session: Session, remote_id: str) -> Organization | None:
    local_id = session.scalar(select(ExternalLink.local_id).where(
        ExternalLink.local_type == "organization", ExternalLink.remote_id == remote_id.strip())
        .order_by(ExternalLink.id))
    return session.get(Organization, local_id) if local_id is not None else None


def _organization_by_domain(session: Session, domain: str) -> Organization | None:
    row = session.scalars(select(OrganizationDomain).where(
        OrganizationDomain.domain == domain.strip().lower())).first()
    return row.organization if row is not None else None


def _text_to_html(text: str | None) -> str | None:
    if not text:
        return None
    if text.lstrip().startswith("<"):
        return text
    return "".join(f"<p>{escape(line)}</p>" for line in text.split("\n") if line.strip())


class CreateItemSchema(Inputs):
    title = fields.String(required=True, validate=validate.Length(min=1, max=500),
                          metadata={"label": "Title (template)"})
    description = fields.String(load_default=None, metadata={"label": "Description (template)"})
    kind = fields.String(load_default="ticket", validate=validate.OneOf(["ticket", "task"]),
                         metadata={"label": "Kind"})
    item_type = fields.String(load_default=None, metadata={
        "label": "Item type (name or id)", "help": "empty: the first type of its kind"})
    organization = fields.String(load_default=None, metadata={
        "label": "Organization (name or id)"})
    organization_external_id = fields.String(load_default=None, metadata={
        "label": "Organization by vendor id",
        "help": "an id kept in External links, e.g. the organization's Stripe customer "
                "({{ event.data.payload.data.object.customer }})"})
    requester = fields.String(load_default=None, metadata={
        "label": "Requester e-mail", "help": "a known customer; their organization is used "
                                             "when none is named"})
    project = fields.String(load_default=None, metadata={
        "label": "Project (name or id)", "help": "empty: the organization's project"})
    priority = fields.Integer(load_default=None, validate=validate.Range(min=0, max=5),
                              metadata={"label": "Priority (0–5)"})


@register("create_item", "Create ticket or task", CreateItemSchema, needs_item=False)
def create_item(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    session = ctx.session
    requester = None
    if params.get("requester"):
        requester = session.scalars(select(Customer).where(
            func.lower(Customer.email) == params["requester"].strip().lower())).first()
    organization = None
    if params.get("organization"):
        organization = _organization_by_ref(session, params["organization"])
        if organization is None:
            raise Permanent(f"no organization {params['organization']!r}")
    elif params.get("organization_external_id"):
        organization = _organization_by_external_id(session, params["organization_external_id"])
        if organization is None:
            raise Permanent(f"no organization is linked to {params['organization_external_id']!r}"
                            " (see External links)")
    elif requester is not None:
        organization = requester.organization
    if params.get("project"):
        project = _by_name_or_id(session, Project, Project.name, params["project"], "project")
    elif organization is not None:
        project = session.scalars(select(Project).where(
            Project.organization_id == organization.id, Project.is_template.is_(False))
            .order_by(Project.id)).first()
        if project is None:
            raise Permanent(f"organization {organization.name!r} has no project; name one")
    else:
        raise Permanent("name a project, or an organization (or a requester) that has one")
    kind = ItemKind(params["kind"])
    if params.get("item_type"):
        item_type = _by_name_or_id(session, ItemType, ItemType.name, params["item_type"],
                                   "item type")
    else:
        item_type = session.scalars(select(ItemType).where(ItemType.kind == kind)
                                    .order_by(ItemType.id)).first()
        if item_type is None:
            raise Permanent(f"there is no {kind.value} type")
    item = Item(kind=kind, title=params["title"], description=_text_to_html(params["description"]),
                item_type_id=item_type.id, project_id=project.id,
                requester_id=requester.id if requester is not None else None,
                priority=params["priority"], created_by_id=automation_user(session).id,
                custom_values={})
    _checked(session, item, is_new=True)
    return {"item_id": item.id, "kind": kind.value, "project_id": project.id,
            "organization_id": organization.id if organization is not None else None,
            "requester_id": item.requester_id}


class DuplicateProjectSchema(Inputs):
    template = fields.String(required=True, metadata={
        "label": "Template project (name or id)"})
    name = fields.String(required=True, validate=validate.Length(min=1, max=200),
                         metadata={"label": "New project's name (template)"})
    organization = fields.String(load_default=None, metadata={
        "label": "Organization (name or id)",
        "help": "the customer the project is for; made when unknown (see below)"})
    organization_domain = fields.String(load_default=None, metadata={
        "label": "Organization's domain", "help": "finds the organization by its e-mail "
                                                  "domain, or is given to a new one"})
    create_organization = fields.Boolean(load_default=True, metadata={
        "label": "Create the organization when unknown"})
    requester = fields.String(load_default=None, metadata={
        "label": "Requester e-mail (template)",
        "help": "the subscriber the project is for, e.g. {{ event.data.payload.data.contact"
                ".email }}: every copied task gets them as requester, so the recipes that "
                "tell a task's requester reach them; found by e-mail or made"})
    requester_name = fields.String(load_default=None, metadata={
        "label": "Requester name (template)", "help": "for a requester made here"})
    create_requester = fields.Boolean(load_default=True, metadata={
        "label": "Create the requester when unknown"})
    start_on = fields.Date(load_default=None, metadata={
        "label": "Start on (YYYY-MM-DD)", "help": "planned dates move to start then"})


def _organization_for(session: Session, params: dict[str, Any]) -> tuple[Organization | None,
                                                                           bool]:
    name, domain = params.get("organization"), params.get("organization_domain")
    found = None
    if domain:
        found = _organization_by_domain(session, domain)
    if found is None and name:
        found = _organization_by_ref(session, name)
    if found is not None or not name:
        return found, False
    if not params["create_organization"]:
        raise Permanent(f"no organization {name!r}")
    organization = Organization(name=name.strip())
    _checked(session, organization, is_new=True)
    if domain:
        _checked(session, OrganizationDomain(organization_id=organization.id, domain=domain),
                 is_new=True)
    return organization, True


@register("duplicate_project", "Duplicate a template project", DuplicateProjectSchema,
          needs_item=False)
def duplicate_template(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    session = ctx.session
    template = _by_name_or_id(session, Project, Project.name, params["template"], "project")
    if not template.is_template:
        raise Permanent(f"project {template.name!r} is not a template")
    organization, created = _organization_for(session, params)
    name = params["name"].strip()
    same = select(Project).where(func.lower(Project.name) == name.lower(),
                                 Project.is_template.is_(False))
    if organization is not None:
        same = same.where(Project.organization_id == organization.id)
    existing = session.scalars(same).first()
    if existing is not None:
        return {"skipped": "a project of this name exists already", "project_id": existing.id}
    requester, requester_created = _requester_for(session, params, organization)
    if organization is None and requester is not None:
        organization = requester.organization
    try:
        copy = duplicate_project(session, template, SYSTEM, name,
                                 organization.id if organization is not None else None,
                                 params["start_on"], commit=False,
                                 requester_id=requester.id if requester is not None else None)
    except Invalid as exc:
        raise Permanent(f"the duplication was refused: {exc.messages}") from exc
    return {"project_id": copy.id, "name": copy.name, "template_id": template.id,
            "organization_id": organization.id if organization is not None else None,
            "organization_created": created,
            "requester_id": requester.id if requester is not None else None,
            "requester_created": requester_created}


def _requester_for(session: Session, params: dict[str, Any],
                   organization: Organization | None) -> tuple[Customer | None, bool]:
    """The customer named by ``requester`` (an e-mail), made when unknown; one without an
    organization joins the project's."""
    email = (params.get("requester") or "").strip().lower()
    if not email:
        return None, False
    name = (params.get("requester_name") or "").strip() or None
    found = session.scalars(select(Customer).where(func.lower(Customer.email) == email)).first()
    if found is None:
        if not params["create_requester"]:
            raise Permanent(f"no customer {email!r}")
        found = Customer(email=email, name=name,
                         organization_id=organization.id if organization is not None else None)
        _checked(session, found, is_new=True)
        return found, True
    if found.organization_id is None and organization is not None:
        found.organization_id = organization.id
        _checked(session, found, is_new=False)
    return found, False
