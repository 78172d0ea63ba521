"""Saved views: save (validated, normalized), list mine and shared, reopen (redirect with the
arguments, re-filtered for the opener), share with one of the owner's teams only, rename and
delete by the owner only."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.clients import Browser
from tests.factories import quick_user
from tests.webapp.work_views.test_filters import build_world
from webapp.models.saved_views import SavedView


@pytest.fixture
def world(make):
    return build_world(make)


def browser(app, user) -> Browser:
    return Browser(app, app.test_client(), user.username)


def save(app, user, **body: Any) -> Any:
    body.setdefault("kind", "list")
    return browser(app, user).post("/views/saved/", json=body)


def test_save_stores_normalized_filters_and_view_settings(app, world):
    response = save(app, world.agent, name="  My   printers ", query=(
        "?priority=1&priority=3&q=printer&status=&sort=-priority&columns=id,title,cf.size"
        "&group_by=status&cursor=abc&page_size=20"))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["name"] == "My printers" and body["mine"] and body["team_id"] is None
    view = world.make.session.get(SavedView, body["id"])
    assert view.owner_id == world.agent.id
    assert view.filters == {"priority": ["1", "3"], "q": ["printer"]}
    assert view.columns == ["id", "title", "cf.size"]
    assert (view.group_by, view.sort, view.kind.value) == ("status", "-priority", "list")


@pytest.mark.parametrize("body, bad", [
    ({"name": "", "query": ""}, "name"),
    ({"name": "x" * 121, "query": ""}, "name"),
    ({"name": "v", "kind": "spreadsheet", "query": ""}, "kind"),
    ({"name": "v", "query": "priority=9"}, "priority"),
    ({"name": "v", "query": "sort=colour"}, "sort"),
    ({"name": "v", "query": "columns=id,nope"}, "columns"),
    ({"name": "v", "query": "group_by=colour"}, "group_by"),
    ({"name": "v", "query": "cf.nope=1"}, "cf.nope"),
    ({"name": "v", "query": "", "team_id": "abc"}, "team_id"),
])
def test_bad_input_is_named(app, world, body, bad):
    response = save(app, world.agent, **body)
    assert response.status_code == 422
    assert bad in response.get_json()["errors"]


def test_a_name_is_unique_per_owner(app, world):
    assert save(app, world.agent, name="Mine", query="").status_code == 201
    again = save(app, world.agent, name="Mine", query="")
    assert again.status_code == 422 and "name" in again.get_json()["errors"]
    assert save(app, world.admin, name="Mine", query="").status_code == 201


def test_share_only_with_one_of_my_teams(app, world):
    response = save(app, world.agent, name="Other team", query="", team_id=world.other_team.id)
    assert response.status_code == 422 and "team_id" in response.get_json()["errors"]
    response = save(app, world.agent, name="Team", query="", team_id=world.team.id)
    assert response.status_code == 201 and response.get_json()["team"] == world.team.name


def test_reopen_redirects_to_the_kind_page_with_the_arguments(app, world):
    view = save(app, world.agent, name="P", query="priority=1&sort=-due_at&columns=id,title"
                "&group_by=project").get_json()
    response = browser(app, world.agent).get(f"/views/saved/{view['id']}")
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert target.path == "/views/list/"
    assert parse_qs(target.query) == {"priority": ["1"], "sort": ["-due_at"],
                                      "columns": ["id,title"], "group_by": ["project"]}


def test_reopen_of_another_kind_goes_to_its_page(app, world):
    view = save(app, world.agent, name="Board", kind="board", query="priority=3").get_json()
    response = browser(app, world.agent).get(f"/views/saved/{view['id']}")
    target = urlsplit(response.headers["Location"])
    assert target.path.startswith("/views/board") and parse_qs(target.query) == {
        "priority": ["3"]}


def test_shared_views_reach_team_members_only(app, world):
    make = world.make
    mate = quick_user(make, "Agent", teams=[world.team])
    stranger = quick_user(make, "Agent", teams=[world.other_team])
    shared = save(app, world.agent, name="Shared", query="priority=1",
                  team_id=world.team.id).get_json()
    private = save(app, world.agent, name="Private", query="").get_json()

    listed = browser(app, mate).get("/views/saved/").get_json()
    assert [v["name"] for v in listed["shared"]] == ["Shared"] and listed["mine"] == []
    assert browser(app, mate).get(f"/views/saved/{shared['id']}").status_code == 302
    assert browser(app, mate).get(f"/views/saved/{private['id']}").status_code == 404
    listed = browser(app, stranger).get("/views/saved/").get_json()
    assert listed["shared"] == [] and listed["mine"] == []
    assert browser(app, stranger).get(f"/views/saved/{shared['id']}").status_code == 404

    # unshared again: the mate loses it
    owner = browser(app, world.agent)
    assert owner.post(f"/views/saved/{shared['id']}/share", json={"team_id": None}) \
        .status_code == 200
    assert browser(app, mate).get(f"/views/saved/{shared['id']}").status_code == 404


def test_the_opener_sees_only_their_own_rows(app, world):
    """The admin shares a view; a team member opening it gets only what they may see."""
    make = world.make
    world.team.members.append(world.admin)
    make.session.commit()
    view = save(app, world.admin, name="All printers", query="q=printer",
                team_id=world.team.id).get_json()
    location = browser(app, world.agent).get(f"/views/saved/{view['id']}") \
        .headers["Location"]
    query = urlsplit(location).query
    agent_rows = browser(app, world.agent).get(f"/views/list/items?{query}").get_json()
    admin_rows = browser(app, world.admin).get(f"/views/list/items?{query}").get_json()
    assert {r["id"] for r in admin_rows["rows"]} == {world.items["printer"].id,
                                                     world.items["foreign"].id}
    assert {r["id"] for r in agent_rows["rows"]} == {world.items["printer"].id}


def test_only_the_owner_renames_shares_and_deletes(app, world):
    make = world.make
    mate = quick_user(make, "Agent", teams=[world.team])
    view = save(app, world.agent, name="Ours", query="", team_id=world.team.id).get_json()
    other = browser(app, mate)
    for action, body in (("rename", {"name": "Mine now"}), ("share", {"team_id": None}),
                         ("pin", {"pinned": True}), ("delete", {})):
        assert other.post(f"/views/saved/{view['id']}/{action}", json=body).status_code == 403
    owner = browser(app, world.agent)
    renamed = owner.post(f"/views/saved/{view['id']}/rename", json={"name": "Renamed"})
    assert renamed.status_code == 200 and renamed.get_json()["name"] == "Renamed"
    bad = owner.post(f"/views/saved/{view['id']}/rename", json={"name": " "})
    assert bad.status_code == 422 and "name" in bad.get_json()["errors"]
    pinned = owner.post(f"/views/saved/{view['id']}/pin", json={"pinned": True})
    assert pinned.status_code == 200 and pinned.get_json()["pinned"] is True
    assert "Renamed" in owner.page("/")[owner.page("/").index('id="rd-pinned-views"'):]
    bad = owner.post(f"/views/saved/{view['id']}/pin", json={"pinned": "yes"})
    assert bad.status_code == 422 and "pinned" in bad.get_json()["errors"]
    assert owner.post(f"/views/saved/{view['id']}/delete", json={}).status_code == 200
    make.session.expire_all()
    assert make.session.get(SavedView, view["id"]) is None
    assert owner.get(f"/views/saved/{view['id']}").status_code == 404


def test_the_partial_lists_views_on_the_page(app, world):
    save(app, world.agent, name="Printers of mine", query="q=printer")
    html = browser(app, world.agent).page("/views/list/")
    assert "Printers of mine" in html and "rd-save-form" in html
    assert f'<option value="{world.team.id}"' in html
