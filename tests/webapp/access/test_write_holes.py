"""Flask-AppBuilder's holes around row-level visibility, each tried on the API and closed.

1. base filters are not applied on create: a POST may name another team's project;
2. foreign-key ids in a body are loaded without any filter;
3. a PUT can move a row out of the caller's reach;
4. related-field dropdowns (``_info``) list rows of every team;
5. collaborators reach only their own items and log time only for themselves.

The world: agent ``a`` in team A sees project P-A; team B's project P-B is hidden from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from tests.factories import (
    ApiClient,
    Factory,
    folder,
    message,
    quick_user,
    stored_files,
    timesheet,
    upload,
)
from webapp.models import (
    Attachment,
    Folder,
    Item,
    ItemKind,
    Message,
    Project,
    ProjectGrant,
    Timesheet,
    User,
)


@dataclass
class Holes:
    app: Flask
    make: Factory
    ids: dict[str, int]

    def api(self, who: str) -> ApiClient:
        return ApiClient(self.app.test_client(), f"wh_{who}")

    def count(self, model: type) -> int:
        self.make.session.expire_all()
        return self.make.session.query(model).count()

    def get(self, model: type, key: str) -> Any:
        self.make.session.expire_all()
        return self.make.session.get(model, self.ids[key])


@pytest.fixture
def w(app: Flask, make: Factory) -> Holes:
    team_a, team_b = make.team("Team A"), make.team("Team B")
    agent = quick_user(make, "Agent", [team_a], name="wh_agent")
    other = quick_user(make, "Agent", [team_b], name="wh_other")
    collab = quick_user(make, "Collaborator", [team_a], name="wh_collab")
    quick_user(make, "Admin", name="wh_admin")
    pa = make.project([team_a], name="Visible Alpha")
    pb = make.project([team_b], name="Hidden Bravo")
    ids = {"P-A": pa.id, "P-B": pb.id, "team_b": team_b.id, "agent": agent.id,
           "other": other.id, "collab": collab.id}
    ids["F-A"] = folder(make, pa, "Alpha folder").id
    ids["F-B"] = folder(make, pb, "Bravo folder").id
    ids["T-A"] = make.item(pa, title="Alpha ticket", created_by_id=agent.id).id
    ids["T-B"] = make.item(pb, title="Bravo ticket").id
    ids["K-A"] = make.item(pa, ItemKind.TASK, title="Alpha task").id
    ids["K-B"] = make.item(pb, ItemKind.TASK, title="Bravo task").id
    ids["M-B"] = message(make, make.session.get(Item, ids["T-B"]), other).id
    ids["S-A"] = timesheet(make, make.session.get(Item, ids["T-A"]), agent).id
    ids["C-own"] = make.item(pa, title="Collab's own", created_by_id=collab.id).id
    ids["ticket_type"] = make.item_type(ItemKind.TICKET).id
    ids["task_type"] = make.item_type(ItemKind.TASK).id
    return Holes(app, make, ids)


def _fields(response: Any) -> set[str]:
    assert response.status_code == 422, (response.status_code, response.get_json())
    return set(response.get_json()["message"])


def _ticket(w: Holes, **kw: Any) -> dict[str, Any]:
    return {"title": "New one", "item_type": w.ids["ticket_type"], "project": w.ids["P-A"], **kw}


def _task(w: Holes, **kw: Any) -> dict[str, Any]:
    return {"title": "New task", "item_type": w.ids["task_type"], "project": w.ids["P-A"], **kw}


# 1. base filters are not applied on create ----------------------------------------------------

def test_post_into_another_teams_project_is_refused(w: Holes) -> None:
    api = w.api("agent")
    for resource, make_body in (("ticket", _ticket), ("task", _task)):
        body = make_body(w, project=w.ids["P-B"])
        before = w.count(Item)
        assert _fields(api.post(f"/api/v1/{resource}/", json=body)) == {"project"}
        assert w.count(Item) == before
        # the same body in the agent's own project is fine (the refusal is about the project)
        body["project"] = w.ids["P-A"]
        assert api.post(f"/api/v1/{resource}/", json=body).status_code == 201


# 2. foreign-key ids in a body are loaded unfiltered --------------------------------------------

def test_folders_and_predecessors_that_are_hidden_are_refused(w: Holes) -> None:
    api = w.api("agent")
    before = w.count(Item)
    response = api.post("/api/v1/ticket/", json=_ticket(w, folder=w.ids["F-B"]))
    assert "folder" in _fields(response)
    assert w.count(Item) == before
    response = api.put(f"/api/v1/ticket/{w.ids['T-A']}", json={"folder": w.ids["F-B"]})
    assert "folder" in _fields(response)
    assert w.get(Item, "T-A").folder_id is None
    # a folder of the agent's own project is accepted
    assert api.put(f"/api/v1/ticket/{w.ids['T-A']}", json={"folder": w.ids["F-A"]}
                   ).status_code == 200
    # nor can folders be made in or under a hidden project, or moved into one
    before = w.count(Folder)
    assert _fields(api.post("/api/v1/folder/", json={"name": "x", "project": w.ids["P-B"]})
                   ) == {"project"}
    response = api.post("/api/v1/folder/", json={"name": "x", "project": w.ids["P-A"],
                                                 "parent": w.ids["F-B"]})
    assert "parent" in _fields(response)
    response = api.put(f"/api/v1/folder/{w.ids['F-A']}", json={"project": w.ids["P-B"]})
    assert "project" in _fields(response)
    assert w.count(Folder) == before
    assert w.get(Folder, "F-A").project_id == w.ids["P-A"]

    # predecessors that are hidden tasks
    before = w.count(Item)
    response = api.post("/api/v1/task/", json=_task(w, predecessors=[w.ids["K-B"]]))
    assert _fields(response) == {"predecessors"}
    assert w.count(Item) == before
    response = api.put(f"/api/v1/task/{w.ids['K-A']}", json={"predecessors": [w.ids["K-B"]]})
    assert _fields(response) == {"predecessors"}
    assert w.get(Item, "K-A").predecessors == []
    # a visible predecessor is accepted
    created = api.post("/api/v1/task/", json=_task(w, predecessors=[w.ids["K-A"]]))
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["result"]["predecessors"] == [w.ids["K-A"]]


def test_messages_timesheets_and_uploads_on_hidden_items_are_refused(w: Holes) -> None:
    api = w.api("agent")
    before = w.count(Message)
    response = api.post("/api/v1/message/", json={
        "item": w.ids["T-B"], "body_html": "<p>I should not be here</p>"})
    assert _fields(response) == {"item"}
    assert w.count(Message) == before
    before = w.count(Timesheet)
    response = api.post("/api/v1/timesheet/", json={
        "item": w.ids["T-B"], "work_date": "2024-05-06", "hours": 2})
    assert _fields(response) == {"item"}
    assert w.count(Timesheet) == before
    response = api.put(f"/api/v1/timesheet/{w.ids['S-A']}", json={"item": w.ids["T-B"]})
    assert _fields(response) == {"item"}
    assert w.get(Timesheet, "S-A").item_id == w.ids["T-A"]

    # uploads: the form fields are named, and no file is left on disk
    before = stored_files(w.app)
    response = upload(api, w.ids["T-B"], b"not for team B", "note.txt")
    assert _fields(response) == {"item_id"}
    response = upload(api, w.ids["T-A"], b"attached to a hidden message", "n.txt",
                      message_id=w.ids["M-B"])
    assert _fields(response) == {"message_id"}
    assert stored_files(w.app) == before
    assert w.count(Attachment) == 0


def test_ids_of_rows_that_do_not_exist_are_refused_like_hidden_ones(w: Holes) -> None:
    api = w.api("agent")
    before = (w.count(Item), stored_files(w.app))
    assert _fields(api.post("/api/v1/ticket/", json=_ticket(w, project=987654))) == {"project"}
    assert _fields(upload(api, 987654, b"to nowhere", "n.txt")) == {"item_id"}
    assert _fields(upload(api, w.ids["T-A"], b"to nowhere", "n.txt", message_id=987654)
                   ) == {"message_id"}
    assert _fields(upload(api, 2**40, b"to nowhere", "n.txt")) == {"item_id"}
    assert (w.count(Item), stored_files(w.app)) == before


# 3. a PUT can move a row out of reach -----------------------------------------------------------

def test_puts_cannot_move_rows_out_of_reach(w: Holes, make: Factory) -> None:
    response = w.api("agent").put(f"/api/v1/ticket/{w.ids['T-A']}",
                                  json={"project": w.ids["P-B"], "title": "Moved away"})
    assert _fields(response) == {"project"}
    row = w.get(Item, "T-A")
    assert (row.project_id, row.title) == (w.ids["P-A"], "Alpha ticket")
    # nor can the agent hand their project over to another team only
    response = w.api("agent").put(f"/api/v1/project/{w.ids['P-A']}",
                                  json={"teams": [w.ids["team_b"]]})
    assert _fields(response) == {"_schema"}
    assert [t.name for t in w.get(Project, "P-A").teams] == ["Team A"]
    # nor can a collaborator unassign themselves from the item that makes it theirs
    ticket = make.session.get(Item, w.ids["T-A"])
    ticket.assignee_users.append(make.session.get(User, w.ids["collab"]))
    make.session.commit()
    api = w.api("collab")
    assert api.get(f"/api/v1/ticket/{w.ids['T-A']}").status_code == 200
    response = api.put(f"/api/v1/ticket/{w.ids['T-A']}", json={"assignee_users": []})
    assert _fields(response) == {"_schema"}
    assert [u.id for u in w.get(Item, "T-A").assignee_users] == [w.ids["collab"]]


# 4. related-field dropdowns ---------------------------------------------------------------------

def _values(api: ApiClient, resource: str, column: str, keys: str = "add_columns"
            ) -> set[int]:
    response = api.get(f"/api/v1/{resource}/_info?q=(keys:!({keys}))")
    assert response.status_code == 200, response.get_json()
    (field,) = [f for f in response.get_json()[keys] if f["name"] == column]
    return {v["id"] for v in field["values"]}


def test_dropdowns_list_only_visible_rows(w: Holes) -> None:
    agent, ids = w.api("agent"), w.ids
    assert _values(agent, "ticket", "project") == {ids["P-A"]}
    assert _values(agent, "ticket", "project", "edit_columns") == {ids["P-A"]}
    assert _values(agent, "ticket", "folder") == {ids["F-A"]}
    assert _values(agent, "task", "predecessors") == {ids["T-A"], ids["K-A"], ids["C-own"]}
    assert _values(agent, "message", "item") == {ids["T-A"], ids["K-A"], ids["C-own"]}
    assert _values(agent, "timesheet", "item") == {ids["T-A"], ids["K-A"], ids["C-own"]}
    assert _values(agent, "folder", "project") == {ids["P-A"]}
    # the other team's agent sees the mirror image, the admin everything
    assert _values(w.api("other"), "ticket", "project") == {ids["P-B"]}
    assert _values(w.api("admin"), "ticket", "project") == {ids["P-A"], ids["P-B"]}
    # a collaborator picks only among their own items
    assert _values(w.api("collab"), "timesheet", "item") == {ids["C-own"]}
    # and filtering a list by a hidden project finds nothing
    url = f"/api/v1/ticket/?q=(filters:!((col:project,opr:rel_o_m,value:{w.ids['P-B']})))"
    response = agent.get(url)
    assert response.status_code == 200
    assert (response.get_json()["count"], response.get_json()["ids"]) == (0, [])
    response = w.api("admin").get(url)
    assert response.get_json()["ids"] == [w.ids["T-B"]]


# 5. collaborators ------------------------------------------------------------------------------

def test_collaborator_writes_only_their_own(w: Holes) -> None:
    api = w.api("collab")
    # T-A is in the collaborator's team's project, but they neither created nor are assigned it
    assert api.put(f"/api/v1/ticket/{w.ids['T-A']}", json={"title": "mine now"}
                   ).status_code == 404
    assert api.delete(f"/api/v1/ticket/{w.ids['T-A']}").status_code == 404
    assert w.get(Item, "T-A").title == "Alpha ticket"
    assert api.put(f"/api/v1/ticket/{w.ids['C-own']}", json={"title": "renamed"}
                   ).status_code == 200
    # and logs time only for themselves, only on their own items
    before = w.count(Timesheet)
    body = {"item": w.ids["C-own"], "work_date": "2024-05-06", "hours": 1.5}
    assert _fields(api.post("/api/v1/timesheet/", json={**body, "user": w.ids["agent"]})
                   ) == {"user"}
    assert _fields(api.post("/api/v1/timesheet/", json={**body, "item": w.ids["T-A"]})
                   ) == {"item"}
    assert w.count(Timesheet) == before
    created = api.post("/api/v1/timesheet/", json=body)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["result"]["user"] == w.ids["collab"]


# project creation keeps the creator's access ---------------------------------------------------

def test_agent_creating_a_project_without_teams_keeps_access(w: Holes) -> None:
    api = w.api("agent")
    response = api.post("/api/v1/project/", json={"name": "Side project"})
    assert response.status_code == 201, response.get_json()
    new_id = response.get_json()["id"]
    assert api.get(f"/api/v1/project/{new_id}").status_code == 200
    assert new_id in api.get("/api/v1/project/").get_json()["ids"]
    w.make.session.expire_all()
    grants = w.make.session.query(ProjectGrant).filter_by(project_id=new_id).all()
    assert [g.user_id for g in grants] == [w.ids["agent"]]
    # and can work in it at once; other agents cannot see it
    assert api.post("/api/v1/ticket/", json=_ticket(w, project=new_id)).status_code == 201
    assert w.api("other").get(f"/api/v1/project/{new_id}").status_code == 404
    # a project for another team only would be out of the creator's reach: refused
    before = w.count(Project)
    response = w.api("agent").post("/api/v1/project/", json={"name": "For B",
                                                             "teams": [w.ids["team_b"]]})
    assert _fields(response) == {"_schema"}
    assert (w.count(Project), w.count(ProjectGrant)) == (before, 1)
    # an admin sees every project anyway and gets no grant
    response = w.api("admin").post("/api/v1/project/", json={"name": "Admin's"})
    assert response.status_code == 201, response.get_json()
    assert w.count(ProjectGrant) == 1
