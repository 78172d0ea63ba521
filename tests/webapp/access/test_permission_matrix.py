"""Who sees what: one fixture world, one table of expectations, checked on every way in.

The world (built fresh for each test, see ``build_world``):

    teams      A, B
    projects   P-A (team A), P-B (team B), P-G (no team; granted personally to agent_g, ro_g)
    viewers    admin      Admin
               agent_a    Agent, team A
               agent_b    Agent, team B
               agent_g    Agent, team A + personal grant on P-G
               agent_x    Agent, no team, no grant
               ro_a       Read-only, team A
               ro_g       Read-only, no team, personal grant on P-G
               collab     Collaborator, member of team A (gives no project's items)
               collab_x   Collaborator, no team

``MATRIX`` says, per row, which viewers see it ("Y") and which must not ("."). It is checked
against the API lists, the API get-by-id, the attachment download and the generated screens.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from flask import Flask

from tests.clients import Browser
from tests.factories import (
    ApiClient,
    Factory,
    folder,
    message,
    quick_user,
    timesheet,
    upload,
)
from webapp.models import Item, ItemKind

MATRIX = """
resource    row        admin agent_a agent_b agent_g agent_x ro_a ro_g collab collab_x
project     P-A          Y      Y       .       Y       .     Y    .     Y       .     # team A; collab is in team A
project     P-B          Y      .       Y       .       .     .    .     .       .     # team B
project     P-G          Y      .       .       Y       .     .    Y     .       .     # no team, granted
folder      F-A          Y      Y       .       Y       .     Y    .     Y       .     # in P-A
folder      F-B          Y      .       Y       .       .     .    .     .       .     # in P-B
folder      F-G          Y      .       .       Y       .     .    Y     .       .     # in P-G
ticket      T-A1         Y      Y       .       Y       .     Y    .     .       .     # P-A, by agent_a
ticket      T-A2         Y      Y       .       Y       .     Y    .     Y       .     # P-A, created by collab
ticket      T-B1         Y      .       Y       .       .     .    .     Y       .     # P-B, assigned to collab
ticket      T-B2         Y      .       Y       .       .     .    .     Y       .     # P-B, assigned to team A
ticket      T-B3         Y      .       Y       .       .     .    .     .       .     # P-B, nobody's
ticket      T-G1         Y      .       .       Y       .     .    Y     .       .     # P-G
task        K-A          Y      Y       .       Y       .     Y    .     .       .     # P-A
task        K-B          Y      .       Y       .       .     .    .     Y       .     # P-B, assigned to collab
task        K-G          Y      .       .       Y       .     .    Y     .       Y     # P-G, created by collab_x
message     M-A1-pub     Y      Y       .       Y       .     Y    .     .       .     # public, on T-A1
message     M-A1-priv    Y      Y       .       Y       .     Y    .     .       .     # private, on T-A1
message     M-A2-priv    Y      Y       .       Y       .     Y    .     Y       .     # private, on T-A2
message     M-B1-priv    Y      .       Y       .       .     .    .     Y       .     # private, on T-B1
message     M-B3-pub     Y      .       Y       .       .     .    .     .       .     # public, on T-B3
message     M-G1-pub     Y      .       .       Y       .     .    Y     .       .     # public, on T-G1
attachment  A-A1         Y      Y       .       Y       .     Y    .     .       .     # on T-A1 (API upload)
attachment  A-B1         Y      .       Y       .       .     .    .     Y       .     # on T-B1 (API upload)
attachment  A-G1         Y      .       .       Y       .     .    Y     .       .     # on T-G1 (API upload)
timesheet   S-A1         Y      Y       .       Y       .     Y    .     .       .     # agent_a on T-A1
timesheet   S-B1         Y      .       Y       .       .     .    .     Y       .     # collab on T-B1
timesheet   S-B3         Y      .       Y       .       .     .    .     .       .     # agent_b on T-B3
"""

ROLES = {
    "admin": "Admin", "agent_a": "Agent", "agent_b": "Agent", "agent_g": "Agent",
    "agent_x": "Agent", "ro_a": "Read-only", "ro_g": "Read-only", "collab": "Collaborator",
    "collab_x": "Collaborator",
}
RESOURCES = ("project", "folder", "ticket", "task", "message", "attachment", "timesheet")


def _parse(table: str) -> tuple[tuple[str, ...], dict[tuple[str, str], frozenset[str]]]:
    lines = [line.split("#")[0].split() for line in table.strip().splitlines()]
    header, rows = lines[0], lines[1:]
    assert header[:2] == ["resource", "row"]
    viewers = tuple(header[2:])
    expected: dict[tuple[str, str], frozenset[str]] = {}
    for row in rows:
        resource, label, marks = row[0], row[1], row[2:]
        assert resource in RESOURCES, row
        assert len(marks) == len(viewers) and set(marks) <= {"Y", "."}, row
        assert (resource, label) not in expected, f"row {label} twice"
        expected[(resource, label)] = frozenset(
            v for v, m in zip(viewers, marks, strict=True) if m == "Y")
    return viewers, expected


VIEWERS, EXPECTED = _parse(MATRIX)


def _sees(viewer: str, resource: str, label: str) -> bool:
    return viewer in EXPECTED[(resource, label)]


def _rows(resource: str) -> list[str]:
    return [label for (res, label) in EXPECTED if res == resource]


@dataclass
class World:
    app: Flask
    users: dict[str, str] = field(default_factory=dict)  # viewer → username
    ids: dict[tuple[str, str], int] = field(default_factory=dict)  # (resource, row) → id
    titles: dict[str, str] = field(default_factory=dict)  # item row → title
    files: dict[str, bytes] = field(default_factory=dict)  # attachment row → content

    def api(self, viewer: str) -> ApiClient:
        return ApiClient(self.app.test_client(), self.users[viewer])

    def browser(self, viewer: str) -> Browser:
        return Browser(self.app, self.app.test_client(), self.users[viewer])

    def id(self, resource: str, label: str) -> int:
        return self.ids[(resource, label)]

    def label_of(self, resource: str, row_id: int) -> str:
        for (res, label), i in self.ids.items():
            if res == resource and i == row_id:
                return label
        return f"<unknown {resource} {row_id}>"


def build_world(app: Flask, make: Factory) -> World:
    world = World(app)
    team_a, team_b = make.team("Team A"), make.team("Team B")
    teams = {"agent_a": [team_a], "agent_b": [team_b], "agent_g": [team_a], "ro_a": [team_a],
             "collab": [team_a]}
    users = {v: quick_user(make, ROLES[v], teams=teams.get(v), name=f"mx_{v}") for v in VIEWERS}
    world.users = {v: u.username for v, u in users.items()}

    projects = {"P-A": make.project([team_a], name="Project Alpha"),
                "P-B": make.project([team_b], name="Project Bravo"),
                "P-G": make.project([], name="Project Granted")}
    make.grant(projects["P-G"], users["agent_g"])
    make.grant(projects["P-G"], users["ro_g"])
    for label, project in projects.items():
        world.ids[("project", label)] = project.id
        world.ids[("folder", "F" + label[1:])] = folder(make, project, f"Folder {label}").id

    items: dict[str, Item] = {}

    def item(label: str, project: str, kind: ItemKind = ItemKind.TICKET, **kw: object) -> None:
        title = f"{label} title {label.lower().replace('-', '')}zz"
        items[label] = make.item(projects[project], kind, title=title, **kw)
        world.ids[(kind.value, label)] = items[label].id
        world.titles[label] = title

    item("T-A1", "P-A", created_by_id=users["agent_a"].id)
    item("T-A2", "P-A", created_by_id=users["collab"].id)
    item("T-B1", "P-B", created_by_id=users["agent_b"].id, assignee_users=[users["collab"]])
    item("T-B2", "P-B", assignee_teams=[team_a])
    item("T-B3", "P-B")
    item("T-G1", "P-G")
    item("K-A", "P-A", ItemKind.TASK)
    item("K-B", "P-B", ItemKind.TASK, assignee_users=[users["collab"]])
    item("K-G", "P-G", ItemKind.TASK, created_by_id=users["collab_x"].id)

    for label, on, author, public in (("M-A1-pub", "T-A1", "agent_a", True),
                                      ("M-A1-priv", "T-A1", "agent_a", False),
                                      ("M-A2-priv", "T-A2", "collab", False),
                                      ("M-B1-priv", "T-B1", "agent_b", False),
                                      ("M-B3-pub", "T-B3", "agent_b", True),
                                      ("M-G1-pub", "T-G1", "agent_g", True)):
        world.ids[("message", label)] = message(
            make, items[on], users[author], f"<p>{label}</p>", is_public=public).id

    for label, on, uploader in (("A-A1", "T-A1", "agent_a"), ("A-B1", "T-B1", "agent_b"),
                                ("A-G1", "T-G1", "agent_g")):
        content = f"contents of {label}\n".encode() * 3
        response = upload(world.api(uploader), items[on].id, content, f"{label}.txt")
        assert response.status_code == 201, response.get_json()
        world.ids[("attachment", label)] = response.get_json()["id"]
        world.files[label] = content

    for label, on, who in (("S-A1", "T-A1", "agent_a"), ("S-B1", "T-B1", "collab"),
                           ("S-B3", "T-B3", "agent_b")):
        world.ids[("timesheet", label)] = timesheet(make, items[on], users[who]).id

    missing = set(EXPECTED) ^ set(world.ids)
    assert not missing, f"MATRIX and build_world disagree about rows: {sorted(missing)}"
    return world


@pytest.fixture
def world(app: Flask, make: Factory) -> World:
    return build_world(app, make)


def _list_mismatches(world: World, viewer: str, api: ApiClient) -> list[str]:
    wrong = []
    for resource in RESOURCES:
        response = api.get(f"/api/v1/{resource}/?q=(page_size:100)")
        assert response.status_code == 200, (viewer, resource, response.status_code)
        body = response.get_json()
        listed = {world.label_of(resource, i) for i in body["ids"]}
        expected = {label for label in _rows(resource) if _sees(viewer, resource, label)}
        if listed != expected:
            wrong.append(f"{viewer} GET /api/v1/{resource}/: extra {sorted(listed - expected)}"
                         f", missing {sorted(expected - listed)}")
        elif body["count"] != len(expected):
            wrong.append(f"{viewer} GET /api/v1/{resource}/: count {body['count']}")
    return wrong


def _get_mismatches(world: World, viewer: str, api: ApiClient) -> list[str]:
    wrong = []
    for (resource, label), row_id in world.ids.items():
        status = api.get(f"/api/v1/{resource}/{row_id}").status_code
        expected = 200 if _sees(viewer, resource, label) else 404
        if status != expected:
            wrong.append(f"{viewer} GET {resource} {label}: {status}, expected {expected}")
    return wrong


def _download_mismatches(world: World, viewer: str, api: ApiClient) -> list[str]:
    wrong = []
    for label in _rows("attachment"):
        response = api.get(f"/api/v1/attachment/{world.id('attachment', label)}/download")
        if _sees(viewer, "attachment", label):
            if response.status_code != 200 or response.data != world.files[label]:
                wrong.append(f"{viewer} download {label}: {response.status_code}, "
                             f"{len(response.data)} bytes")
        elif response.status_code != 404 or world.files[label] in response.data:
            wrong.append(f"{viewer} download {label}: {response.status_code}, expected 404")
    return wrong


def test_api_follows_the_matrix(world: World) -> None:
    """Lists, get-by-id and downloads, for every viewer and every row of the table."""
    wrong = []
    for viewer in VIEWERS:
        api = world.api(viewer)
        wrong += _list_mismatches(world, viewer, api)
        wrong += _get_mismatches(world, viewer, api)
        wrong += _download_mismatches(world, viewer, api)
    assert wrong == []
    # tickets and tasks share a table; neither resource reaches the other kind, even for Admin
    admin = world.api("admin")
    assert admin.get(f"/api/v1/task/{world.id('ticket', 'T-A1')}").status_code == 404
    assert admin.get(f"/api/v1/ticket/{world.id('task', 'K-A')}").status_code == 404


def test_screens_follow_the_matrix(world: World) -> None:
    """List pages show exactly the visible titles; every hidden item's show page is a 404 that
    does not reveal it; the first visible item's show page opens (the lists prove the rest)."""
    wrong = []
    for viewer in VIEWERS:
        browser = world.browser(viewer)
        for resource, screen in (("ticket", "tickets"), ("task", "tasks")):
            page = browser.get(f"/{screen}/list/")
            assert page.status_code == 200, (viewer, screen, page.status_code)
            html = page.get_data(as_text=True)
            opened_one = False
            for label in _rows(resource):
                title = world.titles[label]
                sees = _sees(viewer, resource, label)
                if (title in html) != sees:
                    wrong.append(f"{viewer} /{screen}/list/ {'lacks' if sees else 'shows'} {label}")
                if sees and opened_one:
                    continue
                shown = browser.get(f"/{screen}/show/{world.id(resource, label)}")
                if sees:
                    opened_one = True
                    if shown.status_code != 200 or title not in shown.get_data(as_text=True):
                        wrong.append(f"{viewer} /{screen}/show/ {label}: {shown.status_code}")
                elif shown.status_code != 404 or title in shown.get_data(as_text=True):
                    wrong.append(f"{viewer} /{screen}/show/ {label} revealed: {shown.status_code}")
    # nor does the edit form of a hidden ticket, or its pre-filled fields
    edit = world.browser("agent_a").get(f"/tickets/edit/{world.id('ticket', 'T-B3')}")
    assert edit.status_code == 404
    assert world.titles["T-B3"] not in edit.get_data(as_text=True)
    assert wrong == []


def test_writes_are_refused_by_role_and_by_reach(world: World, make: Factory) -> None:
    """Read-only may not write at all (403); an agent cannot reach a hidden row to change it
    (404); a collaborator may not write projects, folders or customers (403)."""
    from webapp.models import Project

    api = world.api("ro_a")
    visible = world.id("ticket", "T-A1")
    before = make.session.query(Item).count()
    ticket = {"title": "ro write", "item_type": make.item_type().id,
              "project": world.id("project", "P-A")}
    assert api.post("/api/v1/ticket/", json=ticket).status_code == 403
    assert api.put(f"/api/v1/ticket/{visible}", json={"title": "changed"}).status_code == 403
    assert api.delete(f"/api/v1/ticket/{visible}").status_code == 403
    assert api.post("/api/v1/message/", json={"item": visible, "body_html": "<p>x</p>"}
                    ).status_code == 403
    assert api.post("/api/v1/timesheet/", json={"item": visible, "work_date": "2024-05-06",
                                                "hours": 1}).status_code == 403
    assert upload(api, visible, b"read-only bytes", "ro.txt").status_code == 403
    assert api.post("/api/v1/project/", json={"name": "ro project"}).status_code == 403
    assert api.delete(f"/api/v1/attachment/{world.id('attachment', 'A-A1')}").status_code == 403
    make.session.expire_all()
    assert make.session.query(Item).count() == before
    assert make.session.get(Item, visible).title == world.titles["T-A1"]

    # an agent: PUT, DELETE and actions on a ticket of another team's project
    api = world.api("agent_a")
    hidden = world.id("ticket", "T-B3")
    assert api.put(f"/api/v1/ticket/{hidden}", json={"title": "taken over"}).status_code == 404
    assert api.delete(f"/api/v1/ticket/{hidden}").status_code == 404
    assert api.post(f"/api/v1/ticket/{hidden}/convert-to-task", json={}).status_code == 404
    hidden_file = world.id("attachment", "A-B1")
    assert api.delete(f"/api/v1/attachment/{hidden_file}").status_code == 404
    make.session.expire_all()
    row = make.session.get(Item, hidden)
    assert row is not None and row.title == world.titles["T-B3"]
    assert row.kind == ItemKind.TICKET
    # the hidden attachment's file is still there for those who may see it
    download = world.api("agent_b").get(f"/api/v1/attachment/{hidden_file}/download")
    assert download.status_code == 200 and download.data == world.files["A-B1"]

    # a collaborator: no writes on projects, folders or customers, even ones they may read
    api = world.api("collab")
    project = world.id("project", "P-A")  # collab may read it (team A)
    assert api.get(f"/api/v1/project/{project}").status_code == 200
    assert api.post("/api/v1/project/", json={"name": "collab project"}).status_code == 403
    assert api.put(f"/api/v1/project/{project}", json={"name": "renamed"}).status_code == 403
    assert api.delete(f"/api/v1/project/{project}").status_code == 403
    assert api.post("/api/v1/folder/", json={"name": "f", "project": project}
                    ).status_code == 403
    assert api.post("/api/v1/customer/", json={"email": "c@client.example"}).status_code == 403
    make.session.expire_all()
    assert make.session.get(Project, project).name == "Project Alpha"
    assert make.session.query(Project).count() == 3
