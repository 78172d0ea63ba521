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
                    status=item_type.statuses[0], project_id=project.id,
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
    """Calls /api/v1 as one user, with a JWT from /api/v1/security/login."""

    def __init__(self, client: FlaskClient, username: str, password: str = PASSWORD) -> None:
        self.client = client
        response = client.post("/api/v1/security/login", json={
            "username": username, "password": password, "provider": "db"})
        assert response.status_code == 200, response.get_json()
        self.headers = {"Authorization": f"Bearer {response.get_json()['access_token']}"}

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, headers=self.headers, **kw)

    def post(self, url: str, **kw: Any) -> Any:
        return self.client.post(url, headers=self.headers, **kw)

    def put(self, url: str, **kw: Any) -> Any:
        return self.client.put(url, headers=self.headers, **kw)

    def delete(self, url: str, **kw: Any) -> Any:
        return self.client.delete(url, headers=self.headers, **kw)
