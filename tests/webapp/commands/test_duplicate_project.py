"""Duplicating a template project: POST /api/v1/project/<id>/duplicate."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.factories import ApiClient, Factory, quick_user
from webapp.models import Folder, Item, ItemKind, Project, Status

D = dt.date


def snapshot(make: Factory, project_id: int) -> dict[str, Any]:
    """Everything duplication reads from a project, as plain values."""
    make.session.expire_all()
    project = make.session.get(Project, project_id)
    items = make.session.scalars(
        select(Item).where(Item.project_id == project_id).order_by(Item.id)).all()
    return {
        "project": (project.name, project.is_template, project.organization_id,
                    sorted(t.id for t in project.teams)),
        "folders": [(f.id, f.name, f.parent_id) for f in project.folders],
        "items": [(i.id, i.kind, i.title, i.folder_id, i.status_id, i.planned_start,
                   i.planned_finish, i.percent_complete, sorted(p.id for p in i.predecessors),
                   dict(i.custom_values)) for i in items],
    }


@pytest.fixture
def template(client, make) -> SimpleNamespace:
    """A template: Phase 1 > Design, Phase 2; three tasks in a chain, one ticket."""
    team = make.team()
    admin = quick_user(make, "Admin")
    agent = quick_user(make, "Agent", teams=[team])
    outsider = quick_user(make, "Agent", teams=[make.team()])
    org = make.organization()
    other_org = make.organization()
    project = make.project(teams=[team], name="Onboarding template", is_template=True,
                           organization_id=org.id, description="How we onboard")
    phase1 = Folder(project_id=project.id, name="Phase 1")
    phase2 = Folder(project_id=project.id, name="Phase 2")
    make.session.add_all([phase1, phase2])
    make.session.flush()
    design = Folder(project_id=project.id, name="Design", parent_id=phase1.id)
    make.session.add(design)
    make.session.commit()

    task_type = make.item_type(ItemKind.TASK, "Task")
    in_progress = next(s for s in task_type.statuses if s.name == "In progress")
    done = next(s for s in task_type.statuses if s.name == "Done")
    kickoff = make.item(project, ItemKind.TASK, title="Kick-off", folder_id=phase1.id,
                        planned_start=D(2024, 1, 10), planned_finish=D(2024, 1, 12),
                        percent_complete=40, points=2.0, assignee_users=[agent])
    mockups = make.item(project, ItemKind.TASK, title="Mock-ups", folder_id=design.id,
                        planned_start=D(2024, 1, 15), planned_finish=D(2024, 1, 20),
                        percent_complete=100, due_at=dt.datetime(2024, 1, 20, 17))
    kickoff.status, mockups.status = in_progress, done
    mockups.predecessors = [kickoff]
    review = make.item(project, ItemKind.TASK, title="Review", folder_id=phase2.id,
                       priority=3)
    review.predecessors = [mockups, kickoff]
    make.session.commit()
    ticket = make.item(project, ItemKind.TICKET, title="Question about the template")
    return SimpleNamespace(
        id=project.id, team=team.id, org=org.id, other_org=other_org.id,
        folders={"Phase 1": phase1.id, "Phase 2": phase2.id, "Design": design.id},
        tasks={"Kick-off": kickoff.id, "Mock-ups": mockups.id, "Review": review.id},
        ticket=ticket.id, first_status=task_type.statuses[0].id, agent_user=agent.id,
        admin=ApiClient(client, admin.username),
        agent=ApiClient(client, agent.username),
        outsider=ApiClient(client, outsider.username),
    )


def duplicate(api: ApiClient, project_id: int, body: Any) -> Any:
    return api.post(f"/api/v1/project/{project_id}/duplicate", json=body)


def project_count(make: Factory) -> int:
    make.session.expire_all()
    return make.session.scalar(select(func.count(Project.id)))


def test_duplicate_copies_folders_and_tasks(template: SimpleNamespace, make: Factory) -> None:
    before = snapshot(make, template.id)
    response = duplicate(template.admin, template.id,
                         {"name": "  Onboarding ACME  ", "start_on": "2024-02-01"})
    assert response.status_code == 201, response.get_json()
    copy_id = response.get_json()["id"]
    assert copy_id != template.id
    assert response.get_json()["result"] == {"id": copy_id, "name": "Onboarding ACME"}

    make.session.expire_all()
    copy = make.session.get(Project, copy_id)
    assert copy.name == "Onboarding ACME"
    assert copy.is_template is False
    assert copy.description == "How we onboard"
    assert copy.organization_id == template.org
    assert [t.id for t in copy.teams] == [template.team]

    # Folders: the same tree, new rows.
    folders = {f.name: f for f in copy.folders}
    assert set(folders) == {"Phase 1", "Phase 2", "Design"}
    assert not {f.id for f in folders.values()} & set(template.folders.values())
    assert folders["Design"].parent_id == folders["Phase 1"].id
    assert folders["Phase 1"].parent_id is None and folders["Phase 2"].parent_id is None

    # Tasks: new rows in the copy's folders, predecessors pointing at the copies.
    items = make.session.scalars(select(Item).where(Item.project_id == copy_id)).all()
    tasks = {t.title: t for t in items}
    assert set(tasks) == {"Kick-off", "Mock-ups", "Review"}  # the ticket is not copied
    assert all(t.kind == ItemKind.TASK for t in items)
    assert not {t.id for t in items} & set(template.tasks.values())
    assert tasks["Kick-off"].folder_id == folders["Phase 1"].id
    assert tasks["Mock-ups"].folder_id == folders["Design"].id
    assert tasks["Review"].folder_id == folders["Phase 2"].id
    assert [p.id for p in tasks["Mock-ups"].predecessors] == [tasks["Kick-off"].id]
    assert sorted(p.id for p in tasks["Review"].predecessors) == sorted(
        [tasks["Kick-off"].id, tasks["Mock-ups"].id])
    assert tasks["Kick-off"].predecessors == []

    # Planned dates move so the earliest start is start_on (2024-01-10 → 2024-02-01: 22 days).
    assert (tasks["Kick-off"].planned_start, tasks["Kick-off"].planned_finish) == (
        D(2024, 2, 1), D(2024, 2, 3))
    assert (tasks["Mock-ups"].planned_start, tasks["Mock-ups"].planned_finish) == (
        D(2024, 2, 6), D(2024, 2, 11))
    assert tasks["Mock-ups"].due_at == dt.datetime(2024, 2, 11, 17)
    assert tasks["Review"].planned_start is None and tasks["Review"].planned_finish is None

    # Progress starts over: the type's first status, nothing done.
    first = make.session.get(Status, template.first_status)
    assert first.name == "Not started"
    assert {t.status_id for t in items} == {template.first_status}
    assert {t.percent_complete for t in items} == {0}
    # What the work is stays.
    assert tasks["Review"].priority == 3
    assert tasks["Kick-off"].points == 2.0
    assert [u.id for u in tasks["Kick-off"].assignee_users] == [template.agent_user]

    assert snapshot(make, template.id) == before


def test_each_copy_is_its_own(template: SimpleNamespace, make: Factory) -> None:
    before = snapshot(make, template.id)
    first = duplicate(template.admin, template.id, {"name": "Copy A"})
    second = duplicate(template.admin, template.id,
                       {"name": "Copy B", "organization_id": template.other_org})
    assert first.status_code == 201 and second.status_code == 201, (
        first.get_json(), second.get_json())
    a, b = first.get_json()["id"], second.get_json()["id"]
    assert a != b

    make.session.expire_all()
    copy_a, copy_b = make.session.get(Project, a), make.session.get(Project, b)
    assert (copy_a.name, copy_b.name) == ("Copy A", "Copy B")
    assert copy_a.organization_id == template.org
    assert copy_b.organization_id == template.other_org

    def tasks(project_id: int) -> dict[str, Item]:
        rows = make.session.scalars(select(Item).where(Item.project_id == project_id))
        return {t.title: t for t in rows}

    tasks_a, tasks_b = tasks(a), tasks(b)
    assert not {t.id for t in tasks_a.values()} & {t.id for t in tasks_b.values()}
    assert [p.id for p in tasks_b["Mock-ups"].predecessors] == [tasks_b["Kick-off"].id]
    folder_ids_b = {f.id for f in copy_b.folders}
    assert {t.folder_id for t in tasks_b.values()} <= folder_ids_b
    # Without start_on the dates stay where they were.
    assert tasks_a["Kick-off"].planned_start == D(2024, 1, 10)
    assert tasks_a["Mock-ups"].planned_finish == D(2024, 1, 20)

    # The copies are listed like any project, and are not templates.
    listed = template.admin.get("/api/v1/project/?q=(page_size:100)").get_json()["result"]
    by_id = {p["id"]: p for p in listed}
    assert by_id[a]["is_template"] is False and by_id[b]["is_template"] is False
    assert by_id[template.id]["is_template"] is True
    assert snapshot(make, template.id) == before


BAD_REQUESTS: list[tuple[Any, str]] = [
    ({}, "name"),
    ({"name": "   "}, "name"),
    ({"name": 5}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"organization_id": 1}, "name"),
    ({"name": "Copy", "organization_id": "1"}, "organization_id"),
    ({"name": "Copy", "organization_id": True}, "organization_id"),
    ({"name": "Copy", "start_on": "next monday"}, "start_on"),
    ({"name": "Copy", "owner": "me"}, "owner"),
    (["Copy"], "_schema"),
    ("Copy", "_schema"),
]


def test_bad_requests_are_422(template: SimpleNamespace, make: Factory) -> None:
    before = project_count(make)
    for body, field in BAD_REQUESTS:
        response = duplicate(template.admin, template.id, body)
        assert response.status_code == 422, (body, response.get_json())
        assert field in response.get_json()["message"], (body, response.get_json())
    assert project_count(make) == before


def test_refusals(template: SimpleNamespace, make: Factory) -> None:
    before = snapshot(make, template.id)
    projects = project_count(make)

    # An organization that does not exist.
    response = duplicate(template.admin, template.id,
                         {"name": "Copy", "organization_id": 999999})
    assert response.status_code == 422, response.get_json()
    assert "organization_id" in response.get_json()["message"]

    # A project that is not a template.
    plain = make.project(teams=[make.session.get(Project, template.id).teams[0]])
    make.item(plain, ItemKind.TASK)
    response = duplicate(template.admin, plain.id, {"name": "Copy"})
    assert response.status_code == 422, response.get_json()
    assert "is_template" in response.get_json()["message"]
    projects += 1

    # A template the agent may not see is not found; nor is one that does not exist.
    assert duplicate(template.outsider, template.id, {"name": "Copy"}).status_code == 404
    assert duplicate(template.admin, 999999, {"name": "Copy"}).status_code == 404

    assert project_count(make) == projects
    make.session.expire_all()
    assert make.session.scalar(select(func.count(Item.id)).where(
        Item.project_id.not_in([template.id, plain.id]))) == 0
    assert snapshot(make, template.id) == before


def test_agent_of_the_team_duplicates(template: SimpleNamespace, make: Factory) -> None:
    before = snapshot(make, template.id)
    response = duplicate(template.agent, template.id, {"name": "Agent's copy",
                                                       "start_on": "2024-01-03"})
    assert response.status_code == 201, response.get_json()
    copy_id = response.get_json()["id"]
    # The copy is the agent's to see and its tasks are in reach; an outsider sees none of it.
    assert template.agent.get(f"/api/v1/project/{copy_id}").status_code == 200
    tasks = template.agent.get(
        f"/api/v1/task/?q=(filters:!((col:project,opr:rel_o_m,value:{copy_id})))").get_json()
    assert tasks["count"] == 3
    starts = {t["title"]: t["planned_start"] for t in tasks["result"]}
    assert starts == {"Kick-off": "2024-01-03", "Mock-ups": "2024-01-08", "Review": None}
    assert template.outsider.get(f"/api/v1/project/{copy_id}").status_code == 404
    assert snapshot(make, template.id) == before
