"""Test data builders and an API client that logs in with JWT like any API user."""

from __future__ import annotations

import itertools
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import (
    Customer,
    Item,
    ItemKind,
    ItemType,
    Organization,
    Project,
    ProjectGrant,
    Team,
    User,
)

PASSWORD = "pw-Secret-1"
_seq = itertools.count(1)


class Factory:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.session = db.session

    def user(self, role: str, teams: list[Team] | None = None, name: str | None = None) -> User:
        sm = self.app.appbuilder.sm
        n = next(_seq)
        username = name or f"{role.lower().replace('-', '')}{n}"
        user = sm.add_user(username, username, role, f"{username}@staff.example",
                           sm.find_role(role), password=PASSWORD)
        assert user, f"could not create user {username}"
        for team in teams or []:
            team.members.append(user)
        self.session.commit()
        return user

    def team(self, name: str | None = None) -> Team:
        team = Team(name=name or f"Team {next(_seq)}")
        self.session.add(team)
        self.session.commit()
        return team

    def project(self, teams: list[Team] | None = None, name: str | None = None,
                **kw: Any) -> Project:
        project = Project(name=name or f"Project {next(_seq)}", teams=teams or [], **kw)
        self.session.add(project)
        self.session.commit()
        return project

    def grant(self, project: Project, user: User) -> ProjectGrant:
        grant = ProjectGrant(project_id=project.id, user_id=user.id)
        self.session.add(grant)
        self.session.commit()
        return grant

    def item_type(self, kind: ItemKind = ItemKind.TICKET, name: str | None = None) -> ItemType:
        query = select(ItemType).where(ItemType.kind == kind)
        if name:
            query = query.where(ItemType.name == name)
        return self.session.scalars(query.order_by(ItemType.id)).first()

    def item(self, project: Project, kind: ItemKind = ItemKind.TICKET, **kw: Any) -> Item:
        item_type = kw.pop("item_type", None) or self.item_type(kind)
        item = Item(kind=kind, title=kw.pop("title", f"Item {next(_seq)}"), item_type=item_type,
                    status=kw.pop("status", None) or item_type.statuses[0], project_id=project.id,
                    custom_values=kw.pop("custom_values", {}), **kw)
        self.session.add(item)
        self.session.commit()
        return item

    def organization(self, name: str | None = None) -> Organization:
        org = Organization(name=name or f"Org {next(_seq)}")
        self.session.add(org)
        self.session.commit()
        return org

    def customer(self, email: str | None = None, **kw: Any) -> Customer:
        customer = Customer(email=email or f"customer{next(_seq)}@client.example", **kw)
        self.session.add(customer)
        self.session.commit()
        return customer


class ApiClient:
    """Calls /api/v1 as one user, with a JWT from /api/v1/security/login.

    Every request runs in an app context of its own, as in production: the ``make`` fixture
    keeps one open for the whole test, and Flask would reuse it for the test client's
    requests, carrying ``g`` (the cached viewer and login) and the session from one request,
    and one user, to the next. Rows read through ``make.session`` afterwards need
    ``make.session.expire_all()`` to see the changes.
    """

    def __init__(self, client: FlaskClient, username: str, password: str = PASSWORD) -> None:
        self.client = client
        response = self._call("post", "/api/v1/security/login", json={
            "username": username, "password": password, "provider": "db"})
        assert response.status_code == 200, response.get_json()
        self.headers = {"Authorization": f"Bearer {response.get_json()['access_token']}"}

    def _call(self, method: str, url: str, **kw: Any) -> Any:
        with self.client.application.app_context():
            return getattr(self.client, method)(url, **kw)

    def get(self, url: str, **kw: Any) -> Any:
        return self._call("get", url, headers=self.headers, **kw)

    def post(self, url: str, **kw: Any) -> Any:
        return self._call("post", url, headers=self.headers, **kw)

    def put(self, url: str, **kw: Any) -> Any:
        return self._call("put", url, headers=self.headers, **kw)

    def delete(self, url: str, **kw: Any) -> Any:
        return self._call("delete", url, headers=self.headers, **kw)



# --- Helpers for the access and attachment tests (permission matrix, write holes, uploads) ---

def folder(make: Factory, project: Project, name: str | None = None) -> Any:
    from webapp.models import Folder

    row = Folder(project_id=project.id, name=name or f"Folder {next(_seq)}")
    make.session.add(row)
    make.session.commit()
    return row


def message(make: Factory, item: Item, author: User, body: str = "<p>Hello</p>",
            is_public: bool = True) -> Any:
    from webapp.models import Message

    row = Message(item_id=item.id, author_user_id=author.id, body_html=body, is_public=is_public)
    make.session.add(row)
    make.session.commit()
    return row


def timesheet(make: Factory, item: Item, user: User, hours: str = "1.5", **kw: Any) -> Any:
    import datetime as dt
    from decimal import Decimal

    from webapp.models import Timesheet

    row = Timesheet(item_id=item.id, user_id=user.id, hours=Decimal(hours),
                    work_date=kw.pop("work_date", dt.date(2024, 5, 6)), **kw)
    make.session.add(row)
    make.session.commit()
    return row


def upload(api: ApiClient, item_id: int | str | None, content: bytes | None,
           filename: str = "file.bin", **form: Any) -> Any:
    """POST /api/v1/attachment/ as multipart (file, item_id, optional message_id …)."""
    import io

    data: dict[str, Any] = {k: str(v) for k, v in form.items()}
    if item_id is not None:
        data["item_id"] = str(item_id)
    if content is not None:
        data["file"] = (io.BytesIO(content), filename)
    return api.post("/api/v1/attachment/", data=data, content_type="multipart/form-data")


def stored_files(app: Flask) -> set[str]:
    """Every file (relative path) under ATTACHMENT_DIR, partial uploads included."""
    from pathlib import Path

    root = Path(app.config["ATTACHMENT_DIR"])
    if not root.exists():
        return set()
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


_FAST_HASH: list[str] = []


def quick_user(make: Factory, role: str, teams: list[Team] | None = None,
               name: str | None = None) -> User:
    """Like ``Factory.user`` but with a cheap password hash (PASSWORD), for tests with many
    users: scrypt costs ~0.1 s per user and per login."""
    from werkzeug.security import generate_password_hash

    if not _FAST_HASH:
        _FAST_HASH.append(generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"))
    sm = make.app.appbuilder.sm
    username = name or f"{role.lower().replace('-', '')}{next(_seq)}"
    user = sm.add_user(username, username, role, f"{username}@staff.example",
                       sm.find_role(role), hashed_password=_FAST_HASH[0])
    assert user, f"could not create user {username}"
    for team in teams or []:
        team.members.append(user)
    make.session.commit()
    return user


# --- API / command test helpers (test_crud, test_custom_values, test_duplicate_project,
# --- test_convert_item) ------------------------------------------------------------------
