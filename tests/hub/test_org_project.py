"""The recipe "Put each organization's requests in its own project" under concurrency: one
project per organization, however many workers and requests run at the same moment
(issue 17, point 1). On PostgreSQL, with real RQ workers."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from hub.actions.internal import _org_requests_project
from tests.conftest import _create_pg_database, _drop_pg_database
from tests.factories import ApiClient, Factory
from tests.hub.conftest import Hub
from tests.hub.helpers import item_type
from webapp.models import Delivery, DeliveryStatus, Event, Item, Project, Recipe

ORG_RECIPE = "default.organization_project"


def _enable_org_recipe(session: Session) -> None:
    session.execute(update(Recipe).where(Recipe.builtin_key == ORG_RECIPE).values(enabled=True))
    session.commit()


def _waiting_on_a_lock(hub: Hub) -> bool:
    def query(session: Session) -> bool:
        return bool(session.scalar(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'")))
    return hub.read(query)


def test_a_concurrent_insert_of_the_org_project_waits_and_uses_the_first(
        hub: Hub, hub_make: Factory) -> None:
    """Two transactions get-or-create the same organization's project; the second one's
    insert waits on the unique index, fails when the first commits, and takes the first's
    project: no second project, no error. Interleaved on purpose, not by luck."""
    from webapp.extensions import db

    acme = hub_make.organization("Acme")
    support = hub_make.project(name="Support", teams=[hub_make.team("Tier 1")])
    engine = db.engine
    first, second = Session(engine), Session(engine)
    outcome: dict[str, Any] = {}

    def other() -> None:
        with hub.app.app_context():
            try:
                project, created = _org_requests_project(
                    second, acme.id, "Acme", second.get(Project, support.id))
                outcome["result"] = (project.id, created)
                second.commit()
            except BaseException as exc:  # reported to the test below
                outcome["error"] = exc
                second.rollback()

    try:
        mine, created = _org_requests_project(first, acme.id, "Acme",
                                              first.get(Project, support.id))
        first.flush()
        assert created
        thread = threading.Thread(target=other)
        thread.start()
        deadline = time.monotonic() + 20
        while not _waiting_on_a_lock(hub):
            assert thread.is_alive(), f"the second insert did not wait for the first: {outcome}"
            assert time.monotonic() < deadline, "the second insert never waited on a lock"
            time.sleep(0.05)
        first.commit()
        thread.join(20)
        assert "error" not in outcome, outcome.get("error")
        assert outcome["result"] == (mine.id, False)
    finally:
        first.close()
        second.close()

    projects = hub.read(lambda s: s.scalars(select(Project.id).where(
        Project.organization_id == acme.id)).all())
    assert projects == [mine.id]


def test_two_workers_and_simultaneous_requests_make_one_project_per_organization(
        hub: Hub, hub_make: Factory) -> None:
    s = hub_make.session
    _enable_org_recipe(s)
    # Only the organization recipe's deliveries: side by side in the ledger as well.
    s.execute(update(Recipe).where(Recipe.builtin_key == "default.attach_sla")
              .values(enabled=False))
    s.commit()
    admin = hub_make.user("Admin")
    support = hub_make.project(name="Support", teams=[hub_make.team("Tier 1")])
    ticket_type = item_type(s).id
    orgs = [hub_make.organization(f"Org {n}") for n in range(8)]
    requesters = [[hub_make.customer(f"c{i}@org{n}.example", organization_id=org.id).id
                   for i in range(2)] for n, org in enumerate(orgs)]
    token = ApiClient(hub.app.test_client(), admin.username).headers
    # One worker claims one delivery at a time, so the two workers run the same
    # organization's deliveries side by side.
    for _ in range(2):
        hub.start_worker(HUB_BATCH_SIZE=1)

    def post(args: tuple[int, int]) -> int:
        n, round_ = args
        client = hub.app.test_client()
        with hub.app.app_context():
            response = client.post("/api/v1/ticket/", headers=token, json={
                "title": f"Printer {round_}", "item_type": ticket_type,
                "project": support.id, "requester": requesters[n][round_ % 2]})
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]

    # Each organization's customers write at the same moment (its tickets side by side in
    # the queue, so the two workers take them together).
    jobs = [(n, round_) for n in range(len(orgs)) for round_ in range(4)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        ticket_ids = list(pool.map(post, jobs))

    def settled(session: Session) -> bool:
        unprocessed = session.scalar(select(func.count()).select_from(Event).where(
            Event.processed_at.is_(None)))
        open_ = session.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.status.notin_([DeliveryStatus.SUCCEEDED, DeliveryStatus.DEAD])))
        org_deliveries = session.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.action_type == "ensure_org_project"))
        return unprocessed == 0 and open_ == 0 and org_deliveries == len(ticket_ids)

    try:
        hub.wait_until(settled, timeout=90, message="every delivery done")
    except AssertionError:
        hub.stop_processes()
        rows = hub.read(lambda s: [(d.action_type, d.status, d.attempts, d.last_error)
                                   for d in s.scalars(select(Delivery))])
        events = hub.read(lambda s: s.scalar(select(func.count()).select_from(Event).where(
            Event.processed_at.is_(None))))
        raise AssertionError(f"unprocessed events {events}; deliveries {rows}") from None
    hub.assert_no_failed_jobs()

    def outcome(session: Session) -> dict[str, Any]:
        deliveries = session.scalars(select(Delivery).where(
            Delivery.action_type == "ensure_org_project")).all()
        per_org = {org.id: session.scalars(select(Project.id).where(
            Project.organization_id == org.id)).all() for org in orgs}
        items = {i.id: i.project_id for i in session.scalars(
            select(Item).where(Item.id.in_(ticket_ids)))}
        return {"deliveries": [(d.status, d.attempts, d.last_error) for d in deliveries],
                "per_org": per_org, "items": items}

    seen = hub.read(outcome)
    # No conflict ends in an error or a retry: the loser of a race uses the winner's project.
    assert seen["deliveries"] == [(DeliveryStatus.SUCCEEDED, 1, None)] * len(ticket_ids)
    assert all(len(ids) == 1 for ids in seen["per_org"].values()), seen["per_org"]
    for ticket_id, (n, _) in zip(ticket_ids, jobs, strict=True):
        assert seen["items"][ticket_id] == seen["per_org"][orgs[n].id][0]


def test_the_database_refuses_a_second_requests_project(hub: Hub, hub_make: Factory) -> None:
    from sqlalchemy.exc import IntegrityError

    s = hub_make.session
    acme = hub_make.organization("Acme")
    hub_make.project(name="Acme", organization_id=acme.id, is_org_requests=True)
    # Other projects of the organization (an onboarding copy, say) are allowed.
    hub_make.project(name="Acme onboarding", organization_id=acme.id)
    s.add(Project(name="Acme again", organization_id=acme.id, is_org_requests=True))
    with pytest.raises(IntegrityError):
        s.commit()
    s.rollback()


def test_migration_marks_only_the_oldest_of_existing_duplicates(tmp_path: Path) -> None:
    """A database from before may hold two projects of one organization (the race): the
    upgrade marks the oldest, the one the recipe used, and the unique index then holds."""
    from flask_migrate import upgrade

    from webapp import create_app
    from webapp.extensions import db

    name, url = _create_pg_database()
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DATA_DIR": str(tmp_path),
                          "TESTING": True, "SECRET_KEY": "test-secret-key-of-at-least-32-b",
                          "REDIS_URL": "", "HUB_INPROCESS_RUNNER": False,
                          "SEED_DEMO": False})
        with app.app_context():
            upgrade(revision="0009_dashboard_indexes")
            now = "now()"
            db.session.execute(text(
                f"INSERT INTO organization (id, name, created_at, updated_at) VALUES "
                f"(1, 'Acme', {now}, {now}), (2, 'Globex', {now}, {now})"))
            db.session.execute(text(
                "INSERT INTO project (id, name, organization_id, is_template, created_at, "
                f"updated_at) VALUES (10, 'Acme template', 1, true, {now}, {now}), "
                f"(11, 'Acme', 1, false, {now}, {now}), (12, 'Acme', 1, false, {now}, {now}), "
                f"(13, 'Globex', 2, false, {now}, {now}), (14, 'Internal', NULL, false, "
                f"{now}, {now})"))
            db.session.commit()
            upgrade(revision="0010_org_requests_project")
            marked = db.session.execute(text(
                "SELECT id FROM project WHERE is_org_requests ORDER BY id")).scalars().all()
            assert marked == [11, 13]
            with pytest.raises(Exception, match="uq_project_org_requests"):
                db.session.execute(text("UPDATE project SET is_org_requests = true "
                                        "WHERE id = 12"))
            db.session.rollback()
            db.session.remove()
            db.engine.dispose()
    finally:
        _drop_pg_database(name)


def test_get_or_create_on_each_backend(make: Factory) -> None:
    """The action's get-or-create (its savepoint included) on SQLite as on PostgreSQL: an
    older project of the organization is taken over, a second call finds the same one."""
    s = make.session
    support = make.project(name="Support", teams=[make.team()])
    acme, globex = make.organization("Acme"), make.organization("Globex")
    made_by_hand = make.project(name="Acme account", organization_id=acme.id)
    make.project(name="Acme template", organization_id=globex.id, is_template=True)

    taken, created = _org_requests_project(s, acme.id, "Acme", support)
    assert (taken.id, created, taken.is_org_requests) == (made_by_hand.id, False, True)
    new, created = _org_requests_project(s, globex.id, "Globex", support)
    assert created and new.name == "Globex" and new.is_org_requests
    assert [t.id for t in new.teams] == [t.id for t in support.teams]
    s.commit()
    assert _org_requests_project(s, globex.id, "Globex", support) == (new, False)
    assert _org_requests_project(s, acme.id, "Acme", support) == (made_by_hand, False)
    s.commit()
    assert s.scalar(select(func.count()).select_from(Project).where(
        Project.is_org_requests.is_(True))) == 2
