"""Internal actions: changes to items inside Relaydesk, made under the shared write rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from marshmallow import Schema, fields
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connectors.errors import Permanent
from hub.actions.registry import ActionContext, register
from webapp.access.scope import SYSTEM
from webapp.commands.convert_item import convert_ticket_to_task
from webapp.commands.errors import Invalid
from webapp.commands.write_check import check_write
from webapp.models import (
    Customer,
    CustomField,
    FieldType,
    Item,
    ItemKind,
    ItemType,
    Message,
    Project,
    Status,
    Team,
    User,
)


def _checked(session: Session, obj: Any, *, is_new: bool) -> None:
    try:
        check_write(session, obj, SYSTEM, is_new=is_new)
    except Invalid as exc:
        raise Permanent(f"the change was refused: {exc.messages}") from exc


def _by_name_or_id(session: Session, model: Any, column: Any, ref: Any, what: str) -> Any:
    ref_text = str(ref).strip()
    row = session.get(model, int(ref_text)) if ref_text.isdigit() else None
    if row is None:
        row = session.scalars(select(model).where(func.lower(column) == ref_text.lower())).first()
    if row is None:
        raise Permanent(f"no {what} {ref_text!r}")
    return row


AUTOMATION_USERNAME = "automation"


def automation_user(session: Session) -> User:
    """The user that recipes' replies and notes are posted as (created by db upgrade)."""
    user = session.scalars(select(User).where(User.username == AUTOMATION_USERNAME)).first()
    if user is None:
        raise Permanent(f"the {AUTOMATION_USERNAME!r} user is missing; run relaydesk db upgrade")
    return user


def _item(ctx: ActionContext) -> Item:
    if ctx.item is None:
        raise Permanent("this event is not about an item")
    return ctx.item


class NoopSchema(Schema):
    pass


@register("noop", "Do nothing (testing)", NoopSchema, needs_item=False)
def noop(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    return {}


class SetStatusSchema(Schema):
    status = fields.String(required=True, metadata={"label": "Status (name or id)"})


@register("set_status", "Set status", SetStatusSchema)
def set_status(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    item = _item(ctx)
    ref = params["status"].strip()
    statuses = ctx.session.scalars(select(Status).where(Status.item_type_id == item.item_type_id))
    match = next((s for s in statuses if s.name.lower() == ref.lower() or str(s.id) == ref), None)
    if match is None:
        raise Permanent(f"type {item.item_type.name!r} has no status {ref!r}")
    item.status = match
    _checked(ctx.session, item, is_new=False)
    return {"status": match.name}


_PLAIN_FIELDS: dict[str, Callable[[str], Any]] = {
    "title": str, "description": str, "priority": int, "percent_complete": int,
    "points": float, "due_at": dt.datetime.fromisoformat,
    "planned_start": dt.date.fromisoformat, "planned_finish": dt.date.fromisoformat,
}


class SetFieldSchema(Schema):
    field = fields.String(required=True, metadata={
        "label": "Field", "help": "title, priority, due_at, … or custom.<key>"})
    value = fields.String(required=True, allow_none=True, metadata={"label": "Value"})


def _custom_value(field: CustomField, raw: str | None) -> Any:
    if raw is None or raw == "":
        return None
    if field.field_type == FieldType.NUMBER:
        number = float(raw)
        return int(number) if number.is_integer() else number
    if field.field_type == FieldType.CHECKBOX:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if field.field_type == FieldType.MULTI_CHOICE:
        return [part.strip() for part in raw.split(",") if part.strip()]
    return raw


@register("set_field", "Set field or custom field", SetFieldSchema)
def set_field(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    item = _item(ctx)
    name, raw = params["field"].strip(), params["value"]
    try:
        if name.startswith("custom."):
            key = name.removeprefix("custom.")
            field = ctx.session.scalars(select(CustomField).where(
                CustomField.item_type_id == item.item_type_id, CustomField.key == key)).first()
            if field is None:
                raise Permanent(f"type {item.item_type.name!r} has no custom field {key!r}")
            values = dict(item.custom_values or {})
            values[key] = _custom_value(field, raw)
            item.custom_values = values
        elif name in _PLAIN_FIELDS:
            setattr(item, name, None if raw in (None, "") else _PLAIN_FIELDS[name](raw))
        else:
            raise Permanent(f"unknown field {name!r}; use one of {sorted(_PLAIN_FIELDS)} or "
                            "custom.<key>")
    except ValueError as exc:
        raise Permanent(f"value {raw!r} does not fit field {name!r}: {exc}") from exc
    _checked(ctx.session, item, is_new=False)
    return {name: raw}


class AssignSchema(Schema):
    user = fields.String(load_default=None, metadata={"label": "User (username or id)"})
    team = fields.String(load_default=None, metadata={"label": "Team (name or id)"})
    replace = fields.Boolean(load_default=False, metadata={"label": "Replace assignees"})


@register("assign", "Assign user or team", AssignSchema)
def assign(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    item = _item(ctx)
    if not params.get("user") and not params.get("team"):
        raise Permanent("name a user or a team to assign")
    done: dict[str, Any] = {}
    if params.get("user"):
        user = _by_name_or_id(ctx.session, User, User.username, params["user"], "user")
        users = [] if params["replace"] else list(item.assignee_users)
        item.assignee_users = users + ([user] if user not in users else [])
        done["user"] = user.username
    if params.get("team"):
        team = _by_name_or_id(ctx.session, Team, Team.name, params["team"], "team")
        teams = [] if params["replace"] else list(item.assignee_teams)
        item.assignee_teams = teams + ([team] if team not in teams else [])
        done["team"] = team.name
    _checked(ctx.session, item, is_new=False)
    return done


class AddFollowerSchema(Schema):
    user = fields.String(load_default=None, metadata={"label": "User (username or id)"})
    customer_email = fields.String(load_default=None, metadata={"label": "Customer e-mail"})


@register("add_follower", "Add follower", AddFollowerSchema)
def add_follower(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    item = _item(ctx)
    done: dict[str, Any] = {}
    if params.get("user"):
        user = _by_name_or_id(ctx.session, User, User.username, params["user"], "user")
        if user not in item.follower_users:
            item.follower_users.append(user)
        done["user"] = user.username
    if params.get("customer_email"):
        email = params["customer_email"].strip().lower()
        customer = ctx.session.scalars(select(Customer).where(Customer.email == email)).first()
        if customer is None:
            raise Permanent(f"no customer with e-mail {email!r}")
        if customer not in item.follower_customers:
            item.follower_customers.append(customer)
        done["customer"] = email
    if not done:
        raise Permanent("name a user or a customer e-mail to add")
    _checked(ctx.session, item, is_new=False)
    return done


class PostMessageSchema(Schema):
    body = fields.String(required=True, metadata={"label": "Text (template)"})
    public = fields.Boolean(load_default=True, metadata={
        "label": "Public reply", "help": "off: a private note for staff"})


@register("post_message", "Post public reply or private note", PostMessageSchema)
def post_message(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    item = _item(ctx)
    body = params["body"]
    html = body if body.lstrip().startswith("<") else "".join(
        f"<p>{line}</p>" for line in _escape(body).split("\n") if line.strip())
    message = Message(item_id=item.id, is_public=params["public"], body_html=html,
                      author_user_id=automation_user(ctx.session).id)
    _checked(ctx.session, message, is_new=True)
    return {"message_id": message.id}


def _escape(text: str) -> str:
    from html import escape

    return escape(text)


class MoveSchema(Schema):
    project = fields.String(required=True, metadata={"label": "Project (name or id)"})


@register("move_to_project", "Move to project", MoveSchema)
def move_to_project(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    item = _item(ctx)
    project = _by_name_or_id(ctx.session, Project, Project.name, params["project"], "project")
    item.project_id, item.folder_id = project.id, None
    _checked(ctx.session, item, is_new=False)
    return {"project_id": project.id}


class OrgProjectSchema(Schema):
    name = fields.String(load_default="{{ organization.name }}", metadata={
        "label": "Project name (template)"})


@register("ensure_org_project", "Move into the requester organization's project",
          OrgProjectSchema)
def ensure_org_project(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    item = _item(ctx)
    org = item.requester.organization if item.requester else None
    if org is None:
        raise Permanent("the requester belongs to no organization")
    project, created = _org_requests_project(ctx.session, org.id, params["name"] or org.name,
                                             item.project)
    item.project_id, item.folder_id = project.id, None
    _checked(ctx.session, item, is_new=False)
    return {"project_id": project.id, "created": created}


def _marked_project(session: Session, organization_id: int) -> Project | None:
    return session.scalars(select(Project).where(
        Project.organization_id == organization_id, Project.is_org_requests.is_(True))).first()


def _org_requests_project(session: Session, organization_id: int, name: str,
                          current: Project) -> tuple[Project, bool]:
    """Get or create the organization's requests project; ``(project, created)``.

    The database allows one marked project per organization (``uq_project_org_requests``):
    when another worker creates it at the same moment, our insert fails inside a savepoint
    and we use theirs, so the delivery succeeds without a retry.
    """
    project = _marked_project(session, organization_id)
    if project is not None:
        return project, False
    # A project of the organization made before (by hand, or by this recipe before it marked
    # its projects) is taken over, as the recipe always did: the oldest non-template one.
    older = session.scalars(select(Project).where(
        Project.organization_id == organization_id, Project.is_template.is_(False))
        .order_by(Project.id)).first()
    project = older or Project(name=name, organization_id=organization_id,
                               portfolio_id=current.portfolio_id, teams=list(current.teams))
    project.is_org_requests = True
    try:
        with session.begin_nested():
            check_write(session, project, SYSTEM, is_new=older is None)
    except Invalid as exc:
        if not isinstance(exc.__cause__, IntegrityError):
            raise Permanent(f"the change was refused: {exc.messages}") from exc
        if older is not None:
            session.expire(older)
        project = _marked_project(session, organization_id)
        if project is None:  # the conflict was not the organization's project after all
            raise Permanent(f"the change was refused: {exc.messages}") from exc
        return project, False
    return project, older is None


class ConvertSchema(Schema):
    item_type = fields.String(load_default=None, metadata={"label": "Task type (name or id)"})


@register("convert_to_task", "Convert ticket to task", ConvertSchema)
def convert_to_task(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    item = _item(ctx)
    if item.kind != ItemKind.TICKET:
        return {"skipped": "already a task"}
    type_id = None
    if params.get("item_type"):
        type_id = _by_name_or_id(ctx.session, ItemType, ItemType.name, params["item_type"],
                                 "item type").id
    try:
        convert_ticket_to_task(ctx.session, item, SYSTEM, type_id, commit=False,
                               note_author_id=automation_user(ctx.session).id)
    except Invalid as exc:
        raise Permanent(f"conversion refused: {exc.messages}") from exc
    return {"item_type_id": item.item_type_id}

