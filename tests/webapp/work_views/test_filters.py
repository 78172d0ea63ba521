"""The shared filter set: each argument narrows on both backends, bad arguments are named,
and the viewer's visibility always applies on top."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from tests.factories import quick_user
from webapp.access.scope import Viewer
from webapp.commands.errors import Invalid
from webapp.models import (
    CustomField,
    FieldType,
    Item,
    ItemKind,
    ItemSla,
    Portfolio,
    SlaPolicy,
    utcnow,
)
from webapp.work_views.filters import ViewFilter


def build_world(make: Any) -> SimpleNamespace:
    """Two teams' projects with items covering every filter; users of each kind."""
    session = make.session
    team, other_team = make.team(), make.team()
    org, other_org = make.organization(), make.organization()
    portfolio = Portfolio(name="Ops portfolio")
    session.add(portfolio)
    session.commit()
    project = make.project(teams=[team], organization_id=org.id, portfolio_id=portfolio.id)
    other = make.project(teams=[other_team], organization_id=other_org.id)
    agent = quick_user(make, "Agent", teams=[team])
    admin = quick_user(make, "Admin")
    loner = quick_user(make, "Agent")
    collaborator = quick_user(make, "Collaborator", teams=[])
    ticket_type = make.item_type(ItemKind.TICKET)
    task_type = make.item_type(ItemKind.TASK)
    session.add_all([
        CustomField(item_type_id=ticket_type.id, key="size", label="Size",
                    field_type=FieldType.CHOICE, choices=["S", "M", "L"]),
        CustomField(item_type_id=ticket_type.id, key="score", label="Score",
                    field_type=FieldType.NUMBER),
        CustomField(item_type_id=ticket_type.id, key="tags", label="Tags",
                    field_type=FieldType.MULTI_CHOICE, choices=["vip", "hw", "sw"]),
    ])
    customer_other_org = make.customer(organization_id=other_org.id, name="Olga")
    customer_own_org = make.customer(organization_id=org.id, name="Carl")
    items = {
        "printer": make.item(project, title="Printer jam 100%", priority=1,
                             requester_id=customer_other_org.id,
                             due_at=dt.datetime(2030, 1, 10, 9),
                             custom_values={"size": "L", "score": 3, "tags": ["hw", "vip"]}),
        "mail": make.item(project, title="Mail down", priority=3,
                          requester_id=customer_own_org.id,
                          custom_values={"size": "S", "score": 7.5, "tags": ["sw"]}),
        "plan": make.item(project, ItemKind.TASK, title="Plan rollout_v2", priority=5,
                          due_at=dt.datetime(2030, 1, 20, 23, 59)),
        "foreign": make.item(other, title="Printer of another team", priority=1,
                             due_at=dt.datetime(2030, 1, 10, 9),
                             custom_values={"size": "L"}),
    }
    items["printer"].assignee_users = [agent, collaborator]
    items["foreign"].assignee_users = [agent]
    items["mail"].assignee_teams = [team]
    items["plan"].status = task_type.statuses[-1]
    policy = SlaPolicy(name="Gold")
    session.add(policy)
    session.flush()
    now = utcnow()
    session.add_all([
        ItemSla(item_id=items["printer"].id, policy_id=policy.id,
                resolution_due_at=now - dt.timedelta(hours=1)),
        ItemSla(item_id=items["mail"].id, policy_id=policy.id,
                resolution_warn_at=now - dt.timedelta(minutes=5),
                resolution_due_at=now + dt.timedelta(hours=1)),
        ItemSla(item_id=items["foreign"].id, policy_id=policy.id,
                resolution_warn_at=now + dt.timedelta(hours=1),
                resolution_due_at=now + dt.timedelta(hours=2)),
    ])
    session.commit()
    return SimpleNamespace(
        make=make, team=team, other_team=other_team, org=org, other_org=other_org,
        portfolio=portfolio, project=project, other=other, agent=agent, admin=admin,
        loner=loner, collaborator=collaborator, ticket_type=ticket_type, task_type=task_type,
        items=items, names={i.id: name for name, i in items.items()})


@pytest.fixture
def world(make) -> SimpleNamespace:
    return build_world(make)


def found(world: SimpleNamespace, args: dict[str, Any], user: Any = None) -> set[str]:
    """Names of the items ``args`` select for ``user`` (Admin by default)."""
    viewer = Viewer.for_user(user or world.admin)
    session = world.make.session
    view_filter = ViewFilter.parse(MultiDict(args), viewer)
    return {world.names[i] for i in session.scalars(
        view_filter.apply(select(Item.id), session, viewer))}


ALL = {"printer", "mail", "plan", "foreign"}


def test_no_filter_shows_all_to_admin(world):
    assert found(world, {}) == ALL


@pytest.mark.parametrize("build, expected", [
    (lambda w: {"kind": "task"}, {"plan"}),
    (lambda w: {"kind": "ticket"}, {"printer", "mail", "foreign"}),
    (lambda w: {"type": str(w.task_type.id)}, {"plan"}),
    (lambda w: {"status": str(w.task_type.statuses[-1].id)}, {"plan"}),
    (lambda w: {"status": [str(w.ticket_type.statuses[0].id),
                           str(w.task_type.statuses[-1].id)]}, ALL),
    (lambda w: {"category": w.task_type.statuses[-1].category.value}, {"plan"}),
    (lambda w: {"priority": "1"}, {"printer", "foreign"}),
    (lambda w: {"priority": ["3", "5"]}, {"mail", "plan"}),
    (lambda w: {"assignee": str(w.agent.id)}, {"printer", "foreign"}),
    (lambda w: {"team": str(w.team.id)}, {"mail"}),
    (lambda w: {"requester": str(w.items["mail"].requester_id)}, {"mail"}),
    # the requester's organization, or the project's
    (lambda w: {"organization": str(w.other_org.id)}, {"printer", "foreign"}),
    (lambda w: {"organization": str(w.org.id)}, {"printer", "mail", "plan"}),
    (lambda w: {"project": str(w.other.id)}, {"foreign"}),
    (lambda w: {"portfolio": str(w.portfolio.id)}, {"printer", "mail", "plan"}),
    (lambda w: {"cf.size": "L"}, {"printer", "foreign"}),
    (lambda w: {"cf.size": ["S", "M"]}, {"mail"}),
    (lambda w: {"cf.score": "7.5"}, {"mail"}),
    (lambda w: {"cf.tags": "vip"}, {"printer"}),
    (lambda w: {"sla": "breached"}, {"printer"}),
    (lambda w: {"sla": "warning"}, {"mail"}),
    (lambda w: {"sla": "ok"}, {"foreign"}),
    (lambda w: {"sla": "none"}, {"plan"}),
    (lambda w: {"sla": ["ok", "none"]}, {"foreign", "plan"}),
    (lambda w: {"due_from": "2030-01-11"}, {"plan"}),
    (lambda w: {"due_to": "2030-01-10"}, {"printer", "foreign"}),
    (lambda w: {"due_from": "2030-01-20", "due_to": "2030-01-20"}, {"plan"}),
    (lambda w: {"q": "printer"}, {"printer", "foreign"}),
    (lambda w: {"q": "PRINTER jam"}, {"printer"}),
    (lambda w: {"q": "100%"}, {"printer"}),
    (lambda w: {"q": "n_r"}, set()),  # "_" is a character, not a wildcard ("Plan r…")
    (lambda w: {"q": "rollout_v2"}, {"plan"}),
    (lambda w: {"q": f"#{w.items['mail'].id}"}, {"mail"}),
    (lambda w: {"priority": "1", "q": "another"}, {"foreign"}),
])
def test_each_filter_narrows(world, build, expected):
    assert found(world, build(world)) == expected


def test_empty_values_are_no_filter(world):
    assert found(world, {"status": "", "priority": ["", ""], "q": "  "}) == ALL


@pytest.mark.parametrize("args, bad", [
    ({"kind": "bug"}, "kind"),
    ({"status": "open"}, "status"),
    ({"type": "-1"}, "type"),
    ({"priority": "9"}, "priority"),
    ({"category": "closed"}, "category"),
    ({"assignee": "someone"}, "assignee"),
    ({"team": "99999999999"}, "team"),
    ({"sla": "late"}, "sla"),
    ({"due_from": "2030-13-01"}, "due_from"),
    ({"due_from": "2030-02-01", "due_to": "2030-01-01"}, "due_to"),
    ({"colour": "red"}, "colour"),
    ({"cf.": "x"}, "cf."),
])
def test_bad_arguments_are_named(world, args, bad):
    with pytest.raises(Invalid) as caught:
        ViewFilter.parse(MultiDict(args), Viewer.for_user(world.admin))
    assert bad in caught.value.messages


def test_every_bad_argument_is_reported_at_once(world):
    with pytest.raises(Invalid) as caught:
        ViewFilter.parse(MultiDict({"kind": "x", "priority": "7", "sla": "?"}),
                         Viewer.for_user(world.admin))
    assert set(caught.value.messages) == {"kind", "priority", "sla"}


def test_unknown_custom_field_is_named(world):
    with pytest.raises(Invalid) as caught:
        found(world, {"cf.colour": "red"})
    assert "cf.colour" in caught.value.messages


def test_view_arguments_can_be_ignored_and_args_are_normalized(world):
    viewer = Viewer.for_user(world.admin)
    parsed = ViewFilter.parse(MultiDict([("sort", "-id"), ("status", "3"), ("q", ""),
                                         ("status", "4")]), viewer, ignore=["sort"])
    assert parsed.args == {"status": ["3", "4"]}


def test_assignee_me_is_the_viewer(world):
    assert found(world, {"assignee": "me"}, world.agent) == {"printer"}
    assert found(world, {"assignee": "me"}, world.collaborator) == {"printer"}


@pytest.mark.parametrize("args", [
    {}, {"assignee": "ASSIGNEE"}, {"priority": "1"}, {"project": "OTHER"},
    {"organization": "OTHER_ORG"}, {"q": "printer"}, {"cf.size": "L"}, {"sla": "ok"},
])
def test_visibility_always_applies(world, args):
    replace = {"ASSIGNEE": str(world.agent.id), "OTHER": str(world.other.id),
               "OTHER_ORG": str(world.other_org.id)}
    args = {k: replace.get(v, v) for k, v in args.items()}
    admin = found(world, args)
    agent = found(world, args, world.agent)
    assert agent == admin - {"foreign"}
    assert found(world, args, world.loner) == set()
    assert found(world, args, world.collaborator) <= {"printer"}
