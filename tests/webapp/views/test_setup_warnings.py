"""A project no agent can see (no team with an active agent, no grant to one): saving a
support address, portal or web form that files requests there flashes a warning naming the
project and what to do, and the admin's home page lists every such entry point."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from tests.clients import Browser
from tests.factories import Factory
from webapp.access.reachability import unseen_destinations, unseen_project_ids
from webapp.models import Portal, Project, ProjectGrant, SupportAddress, WebForm

WARNING = "which no agent can see"


@pytest.fixture
def world(app: Flask, make: Factory) -> Any:
    team = make.team("Helpers")
    agent = make.user("Agent", teams=[team])
    return {"team": team, "agent": agent,
            "seen": make.project(teams=[team], name="Seen work"),
            "hidden": make.project(name="Nobody's project"),
            "type": make.item_type()}


def test_the_rule(app: Flask, make: Factory, world: Any) -> None:
    session = make.session
    hidden, seen = world["hidden"], world["seen"]
    assert unseen_project_ids(session, [hidden.id, seen.id, None]) == {hidden.id}
    # A team without an active agent does not count: empty, admins only, or inactive.
    retired = make.user("Agent")
    retired.active = False
    for members in ([], [make.user("Admin")], [retired]):
        hidden.teams = [_team(make, members)]
        session.commit()
        assert unseen_project_ids(session, [hidden.id]) == {hidden.id}, members
    # An agent granted the project, or in one of its teams, sees it.
    session.add(ProjectGrant(project_id=hidden.id, user_id=world["agent"].id))
    session.commit()
    assert unseen_project_ids(session, [hidden.id]) == set()


def _team(make: Factory, members: list[Any]) -> Any:
    team = make.team()
    team.members = members
    make.session.commit()
    return team


def _flashes(browser: Browser, response: Any) -> str:
    assert response.status_code == 302, response.status_code
    return browser.page(response.headers["Location"])


def test_support_address_screen_warns_after_save(app: Flask, client: Any, make: Factory,
                                                 world: Any) -> None:
    browser = Browser(app, client, make.user("Admin").username)
    saved = browser.post("/support-addresses/add", data={
        "address": "help@desk.example", "project": str(world["hidden"].id),
        "item_type": str(world["type"].id), "enabled": "y", "is_default": "y"})
    page = _flashes(browser, saved)
    assert WARNING in page and "Nobody&#39;s project" in page and "help@desk.example" in page
    assert "Add a team to the project" in page
    row = make.session.scalar(select(SupportAddress))
    quiet = browser.post(f"/support-addresses/edit/{row.id}", data={
        "address": "help@desk.example", "project": str(world["seen"].id),
        "item_type": str(world["type"].id), "enabled": "y", "is_default": "y"})
    assert WARNING not in _flashes(browser, quiet)


def test_portal_and_web_form_screens_warn_after_save(app: Flask, client: Any, make: Factory,
                                                     world: Any) -> None:
    browser = Browser(app, client, make.user("Admin").username)
    portal = make.session.scalar(select(Portal).where(Portal.slug == "help"))
    edited = browser.post(f"/portals/edit/{portal.id}", data={
        "name": portal.name, "slug": "help", "visibility": "own", "default_locale": "en",
        "primary_colour": "#112233", "accent_colour": "#445566", "time_zone": "UTC",
        "project": str(world["hidden"].id), "is_default": "y"},
        content_type="multipart/form-data")
    page = _flashes(browser, edited)
    assert WARNING in page and f"The portal “{portal.name}”" in page

    added = browser.post("/web-forms/add", data={
        "portal": portal.id, "slug": "contact", "name": "Contact us",
        "item_type": world["type"].id, "project": world["hidden"].id, "active": "y"})
    page = _flashes(browser, added)
    assert "The web form “Contact us”" in page and "Nobody&#39;s project" in page


def test_admin_home_lists_setup_warnings(app: Flask, client: Any, make: Factory,
                                         world: Any) -> None:
    hidden = world["hidden"]
    make.session.add(SupportAddress(address="billing@desk.example", project_id=hidden.id,
                                    item_type_id=world["type"].id, enabled=True))
    make.session.commit()
    assert [d.name for d in unseen_destinations(make.session)] == ["billing@desk.example"]
    admin = Browser(app, client, make.user("Admin").username)
    home = admin.page("/")
    assert 'id="rd-setup-warnings"' in home and "Setup warnings" in home
    assert "billing@desk.example" in home and "Nobody&#39;s project" in home
    assert f'href="/projects/edit/{hidden.id}"' in home
    agent = Browser(app, app.test_client(), world["agent"].username)
    assert "rd-setup-warnings" not in agent.page("/")
    # Fixed: the project gets a team with an agent, and the warning is gone.
    hidden.teams = [world["team"]]
    make.session.commit()
    assert "rd-setup-warnings" not in admin.page("/")


def test_surveys_and_inactive_entry_points_do_not_warn(app: Flask, make: Factory,
                                                       world: Any) -> None:
    portal = make.session.scalar(select(Portal).where(Portal.slug == "help"))
    make.session.add_all([
        WebForm(portal_id=portal.id, slug="poll", name="Poll", item_type_id=world["type"].id,
                project_id=world["hidden"].id, is_survey=True, active=True),
        SupportAddress(address="old@desk.example", project_id=world["hidden"].id,
                       item_type_id=world["type"].id, enabled=False)])
    make.session.commit()
    assert [d for d in unseen_destinations(make.session)
            if d.project_id == world["hidden"].id] == []
    assert make.session.get(Project, world["hidden"].id) is not None
