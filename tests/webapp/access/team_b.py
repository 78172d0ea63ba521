"""Team B's world: one row of every model, built for the URL-map sweep.

The work rows (project, item, message, attachment, timesheet, event …) are made the ordinary
way; every other table gets a row filled in from its columns, each foreign key pointing at
team B's row of the table it names. A model added later gets its row here without anyone
remembering to, so the sweep covers it. Text columns of rows that team A must not see carry
``MARKER``: a response that contains it has shown team A something of team B's.
"""

from __future__ import annotations

import datetime as dt
import enum
import io
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask import Flask
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    Text,
    select,
)
from sqlalchemy.orm import Mapper

from tests.factories import Factory, message, quick_user, timesheet
from webapp.access.scope import RULES, staff_rule
from webapp.content.files import AttachmentStore
from webapp.extensions import db
from webapp.models import (
    Attachment,
    Customer,
    Event,
    InboundMail,
    Item,
    ItemKind,
    MailMessage,
    Model,
    Organization,
    Project,
    Team,
    User,
)

MARKER = "QQTEAMBSECRETQQ"
SWEEP_ROLES = {"agent_a": "Agent", "collab_a": "Collaborator", "ro_a": "Read-only"}

# Flask-AppBuilder's own security tables: made by the app (roles, permissions) or by the
# factory (users); rows of them are the Admin role's by permission, never by id.
_SECURITY_TABLES = {"ab_role", "ab_permission", "ab_view_menu", "ab_permission_view",
                    "ab_permission_view_role", "ab_user", "ab_user_role", "ab_group",
                    "ab_group_role", "ab_user_group", "ab_register_user", "alembic_version"}


# Values a table's CHECK constraints need (the rest is filled in from the column types).
OVERRIDES: dict[str, dict[str, Any]] = {
    "web_form_field": {"custom_field_id": None},
}


@dataclass
class TeamB:
    """Team B's rows (``rows[Model]``) and team A's users (role name → username)."""

    rows: dict[type, Any] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)

    def id_of(self, model: type) -> Any:
        if model.__table__.name in _SECURITY_TABLES:
            return 1  # the Admin role's screens: refused by permission, whatever the id
        return self.rows[model].id


def _mapper_of(table: Table) -> Mapper[Any] | None:
    for mapper in Model.registry.mappers:
        if table in mapper.tables:
            return mapper
    return None


def _value(column: Any, text: str, n: int) -> Any:
    kind = column.type
    if isinstance(kind, Enum) and kind.enum_class is not None:
        return next(iter(kind.enum_class))
    if isinstance(kind, Enum):
        return kind.enums[0]
    python_type = None
    try:
        python_type = kind.python_type
    except NotImplementedError:
        pass
    if python_type is not None and issubclass(python_type, enum.Enum):
        return next(iter(python_type))
    if python_type in (float, Decimal):
        return python_type(1)
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, DateTime):
        return dt.datetime(2030, 1, 1)
    if isinstance(kind, Date):
        return dt.date(2030, 1, 1)
    if isinstance(kind, Numeric):
        return 1.0 if kind.asdecimal is False else Decimal("1")
    if isinstance(kind, Integer | BigInteger):
        return n
    if isinstance(kind, LargeBinary):
        return text.encode()
    if isinstance(kind, JSON):
        return {"note": text}
    if isinstance(kind, String | Text):
        length = getattr(kind, "length", None) or 200
        return f"{text} {secrets.token_hex(4)}"[:length]
    raise AssertionError(f"team_b: no sample value for {column} of type {kind!r}")


def _fill(table: Table, world: TeamB, by_table: dict[str, Any]) -> None:
    """A row of ``table`` with every column set: foreign keys at team B's rows, text marked."""
    mapper = _mapper_of(table)
    if mapper is None:
        return  # an association table: its links are made with the rows themselves
    model = mapper.class_
    secret = RULES.get(model) is not staff_rule
    text = f"{MARKER} {table.name}" if secret else f"B {table.name}"
    values: dict[str, Any] = {}
    for column in table.columns:
        if column.primary_key and not column.foreign_keys and column.autoincrement is not False \
                and isinstance(column.type, Integer | BigInteger):
            continue  # the database numbers it
        foreign = next(iter(column.foreign_keys), None)
        if foreign is not None:
            target = by_table.get(foreign.column.table.name)
            if target is not None:
                values[column.key] = getattr(target, foreign.column.key)
            continue
        values[column.key] = _value(column, text, 1)
    values.update(OVERRIDES.get(table.name, {}))
    row = model()
    for key, value in values.items():
        prop = mapper.get_property_by_column(table.columns[key])
        setattr(row, prop.key, value)
    db.session.add(row)
    db.session.flush()
    world.rows[model] = row
    by_table[table.name] = row


def build_team_b(app: Flask, make: Factory) -> TeamB:
    """Team A's three users and team B's rows of every model."""
    world = TeamB()
    team_a, team_b = make.team("Team A"), make.team("Team B")
    for key, role in SWEEP_ROLES.items():
        world.users[role] = quick_user(make, role, teams=[team_a], name=f"sweep_{key}").username
    bob = quick_user(make, "Agent", teams=[team_b], name="sweep_agent_b")
    organization = make.organization("Bravo Org")
    customer = make.customer("bravo@bravo.example", organization_id=organization.id)
    project = make.project([team_b], name="Project Bravo", organization_id=organization.id)
    item = make.item(project, title=f"{MARKER} ticket", requester_id=customer.id,
                     created_by_id=bob.id, description=f"<p>{MARKER}</p>")
    item.assignee_users.append(bob)
    item.assignee_teams.append(team_b)
    note = message(make, item, bob, body=f"<p>{MARKER} private note</p>", is_public=False)
    stored = AttachmentStore(app.config["ATTACHMENT_DIR"], 10_000).save(
        io.BytesIO(MARKER.encode()), "bravo.txt")
    attachment = Attachment(item_id=item.id, message_id=note.id, filename=f"{MARKER}.txt",
                            content_type=stored.content_type, size=stored.size,
                            sha256=stored.sha256, storage_key=stored.storage_key)
    db.session.add(attachment)
    sheet = timesheet(make, item, bob, note=f"{MARKER} hours")
    event = Event(type="ticket.created", subject_type="item", subject_id=item.id,
                  actor_user_id=bob.id, data={"title": item.title})
    db.session.add(event)
    db.session.flush()
    world.rows.update({Team: team_b, User: bob, Organization: organization, Customer: customer,
                       Project: project, Item: item, type(note): note, Attachment: attachment,
                       type(sheet): sheet, Event: event})
    by_table = {type(row).__table__.name: row for row in world.rows.values()}
    by_table["ab_user"] = bob
    for table in Model.metadata.sorted_tables:
        if table.name in by_table or table.name in _SECURITY_TABLES:
            continue
        _fill(table, world, by_table)
    # Rows whose link to B is not a foreign key: mail of B's item, B's ticket type.
    mail = world.rows[InboundMail]
    mail.item_id, mail.support_address_id = item.id, None
    world.rows[MailMessage].item_id = item.id
    assert item.kind == ItemKind.TICKET
    db.session.commit()
    return world


def missing_rows(world: TeamB) -> list[str]:
    """Models of the registry that have no team-B row (the sweep cannot try them)."""
    return sorted(m.class_.__name__ for m in Model.registry.mappers
                  if m.class_ not in world.rows and m.class_.__table__.name not in _SECURITY_TABLES)


def snapshot() -> dict[str, set[tuple[Any, ...]]]:
    """Every row of every table (the sweep's world is small): what "nothing written" means."""
    rows = {}
    for table in Model.metadata.sorted_tables:
        if table.name != "ab_user":  # signing in updates it
            rows[table.name] = {tuple(map(repr, row)) for row in db.session.execute(
                select(table))}
    return rows
