"""Creating and changing connections: validated, credentials encrypted, never echoed.

Credentials are write-only: given on create (every required field of the connector), and on
update only the fields that change (a field set to null or "" is removed); what is stored is
one Fernet token, and what is shown is the list of field names that are set.
"""

from __future__ import annotations

from typing import Any

from cryptography.fernet import MultiFernet
from flask import Flask
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connectors.registry import CONNECTORS
from webapp.access.scope import Viewer
from webapp.commands.errors import Invalid
from webapp.commands.write_check import check_write
from webapp.models import Connection
from webapp.models.connections import CredentialsError, connection_cipher


def app_cipher(app: Flask) -> MultiFernet:
    try:
        return connection_cipher(app.config.get("CONNECTION_KEY"), app.config["DATA_DIR"])
    except CredentialsError as exc:
        raise Invalid({"credentials": [str(exc)]}) from exc


class ConnectionInput(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    connector = fields.String(required=True, validate=validate.OneOf(
        sorted(CONNECTORS), error="unknown connector; one of: {choices}"))
    base_url = fields.Url(load_default=None, allow_none=True, require_tld=False,
                          schemes={"http", "https"})
    enabled = fields.Boolean(load_default=True)
    notes = fields.String(load_default=None, allow_none=True)
    credentials = fields.Dict(keys=fields.String(), values=fields.String(allow_none=True),
                              load_default=None, allow_none=True)


def _load(data: Any, partial: bool) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise Invalid({"_schema": ["expected a JSON object"]})
    if data.get("base_url") == "":
        data = {**data, "base_url": None}
    try:
        values: dict[str, Any] = ConnectionInput(partial=partial).load(data)
    except ValidationError as exc:
        raise Invalid(exc.messages) from exc  # type: ignore[arg-type]
    if partial:  # a partial load still fills in defaults: keep only what was given
        values = {key: value for key, value in values.items() if key in data}
    return values


def _name_taken(session: Session, name: str, own_id: int | None) -> bool:
    query = select(Connection.id).where(func.lower(Connection.name) == name.strip().lower())
    if own_id is not None:
        query = query.where(Connection.id != own_id)
    return session.scalar(query) is not None


def save_connection(session: Session, cipher: MultiFernet, viewer: Viewer, data: Any,
                    connection: Connection | None = None, *,
                    new_row: Connection | None = None) -> Connection:
    """Create (``connection`` None; into ``new_row`` when given) or update a connection;
    ``Invalid`` names each bad field. The caller commits."""
    is_new = connection is None
    values = _load(data, partial=not is_new)
    errors: dict[str, Any] = {}
    if "name" in values and _name_taken(session, values["name"],
                                        None if connection is None else connection.id):
        errors["name"] = ["a connection with this name exists"]
    if connection is not None and values.get("connector", connection.connector) != \
            connection.connector:
        errors["connector"] = ["cannot change; create another connection"]
    connector = CONNECTORS[values.get("connector") or (connection.connector if connection
                                                       else "")]
    given = values.pop("credentials", None)
    credentials: dict[str, Any] | None = None
    if is_new or given is not None:
        credentials = _merged(connector_errors=errors, cipher=cipher, connection=connection,
                              given=given or {}, connector=connector)
    if errors:
        raise Invalid(errors)
    row = connection or new_row or Connection()
    for key, value in values.items():
        setattr(row, key, value)
    if credentials is not None:
        row.set_credentials(credentials, cipher)
    check_write(session, row, viewer, is_new=is_new)
    return row


def _merged(*, connector_errors: dict[str, Any], cipher: MultiFernet,
            connection: Connection | None, given: dict[str, Any],
            connector: Any) -> dict[str, Any]:
    problems = connector.credential_errors(given, partial=True)
    current: dict[str, Any] = {}
    if connection is not None and connection.credentials_encrypted:
        try:
            current = connection.credentials(cipher)
        except CredentialsError:
            current = {}  # unreadable with today's key: the new ones must be complete
    merged = {**current, **given}
    merged = {k: v for k, v in merged.items() if v is not None and v != ""}
    for name, messages in connector.credential_errors(merged).items():
        if name not in problems:
            problems[name] = messages
    if problems:
        connector_errors["credentials"] = problems
    return merged
