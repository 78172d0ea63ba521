"""The event engine end to end: the app enqueues to a real Redis, ``relaydesk worker --burst``
(an RQ SimpleWorker in a subprocess) matches and delivers, on PostgreSQL.

Each test sets up several cases, runs as few workers as it can, then checks them all.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from sqlalchemy import func, select, update

from tests.factories import ApiClient, Factory
from tests.hub.conftest import Hub
from tests.hub.helpers import (
    create_item,
    item_type,
    recipe,
    status_id,
    title_has,
    update_item,
)
from webapp.models import (
    CustomField,
    Delivery,
    DeliveryStatus,
    Event,
    FieldType,
    Item,
    ItemKind,
    ItemSla,
    Message,
    Project,
    Recipe,
    User,
)


def _admin_api(hub: Hub, make: Factory) -> ApiClient:
    admin = make.user("Admin")
    return ApiClient(hub.app.test_client(), admin.username)


def _by_recipe(hub: Hub, recipe_id: int) -> list[dict[str, Any]]:
    return hub.read(lambda s: [
        {"subject_id": d.event.subject_id, "type": d.event.type, "status": d.status,
         "action": d.action_type, "error": d.last_error, "attempts": d.attempts,
         "depth": d.event.depth, "id": d.id, "result": d.result}
        for d in s.scalars(select(Delivery).where(Delivery.recipe_id == recipe_id)
                           .order_by(Delivery.id))])


def _subjects(hub: Hub, recipe_id: int) -> list[int]:
    return [d["subject_id"] for d in _by_recipe(hub, recipe_id)]


def _assert_all_processed(hub: Hub) -> None:
    left = hub.read(lambda s: s.scalar(select(func.count()).select_from(Event).where(
        Event.processed_at.is_(None))))
    assert left == 0, f"{left} events were not processed"


# ---------------------------------------------------------------- matching


def test_recipe_matching_filters_conditions_and_routing(hub: Hub, hub_make: Factory) -> None:
    s = hub_make.session
    api = _admin_api(hub, hub_make)
    project = hub_make.project()
    acme, globex = hub_make.organization("Acme"), hub_make.organization("Globex")
    maria = hub_make.customer("maria@acme.example", name="Maria", organization_id=acme.id)
    gus = hub_make.customer("gus@globex.example", name="Gus", organization_id=globex.id)
    acme_desk = hub_make.team("Acme desk")
    ticket_type = item_type(s).id
    task_type = item_type(s, ItemKind.TASK).id

    to_solved = recipe(s, "to Solved", "ticket.status_changed", [("noop", {})],
                       trigger_filter={"field": "status", "to": "Solved"})
    to_five = recipe(s, "priority any → 5", "ticket.updated", [("noop", {})],
                     trigger_filter={"field": "priority", "to": 5})
    from_three = recipe(s, "priority 3 → any", "ticket.updated", [("noop", {})],
                        trigger_filter={"field": "priority", "from": 3})
    # Conditions see the item as it is when the worker matches the event (t3 is at 4 then).
    all_of = recipe(s, "all: urgent and Acme", "ticket.created", [("noop", {})], conditions={
        "match": "all", "rules": [
            {"field": "item.priority", "op": "gte", "value": 5},
            {"field": "requester.email", "op": "contains", "value": "@acme."}]})
    any_of = recipe(s, "any: urgent or says so", "ticket.created", [("noop", {})], conditions={
        "match": "any", "rules": [
            {"field": "item.priority", "op": "gte", "value": 5},
            {"field": "item.title", "op": "contains", "value": "urgent"}]})
    disabled = recipe(s, "disabled", "ticket.created", [("set_status", {"status": "Closed"})],
                      enabled=False)
    tasks_only = recipe(s, "any task event", "task.*", [("noop", {})])
    task_done = recipe(s, "task to Done", "task.status_changed", [("noop", {})],
                       trigger_filter={"field": "status", "to": "Done"})
    acme_routing = recipe(s, "Acme routing", "ticket.created",
                          [("assign", {"team": "Acme desk"})], organization_id=acme.id)

    t1 = create_item(api, title="Printer on fire", item_type=ticket_type, project=project.id,
                     priority=5, requester=maria.id)
    t2 = create_item(api, title="urgent: VPN down", item_type=ticket_type, project=project.id,
                     priority=1, requester=gus.id)
    t3 = create_item(api, title="Mouse", item_type=ticket_type, project=project.id,
                     priority=1, requester=maria.id)
    t4 = create_item(api, title="Internal", item_type=ticket_type, project=project.id)
    task = create_item(api, "task", title="Install switch", item_type=task_type,
                       project=project.id)
    update_item(api, t1, status=status_id(s, "Ticket", "Open"))
    update_item(api, t1, status=status_id(s, "Ticket", "Solved"))
    update_item(api, t2, priority=5)
    update_item(api, t3, priority=4)
    update_item(api, t4, priority=3)
    update_item(api, t4, priority=2)
    update_item(api, task, "task", status=status_id(s, "Task", "In progress"))
    update_item(api, task, "task", status=status_id(s, "Task", "Done"))

    hub.burst()

    _assert_all_processed(hub)
    assert _subjects(hub, to_solved.id) == [t1]  # not on the change to Open
    assert _subjects(hub, to_five.id) == [t2]  # not t3 (→ 4), nor t1 (created at 5)
    assert _subjects(hub, from_three.id) == [t4]  # 3 → 2, not 0 → 3
    assert _subjects(hub, all_of.id) == [t1]
    assert sorted(_subjects(hub, any_of.id)) == [t1, t2]
    assert _subjects(hub, disabled.id) == []
    assert [d["type"] for d in _by_recipe(hub, tasks_only.id)] == [
        "task.created", "task.updated", "task.status_changed", "task.updated",
        "task.status_changed"]
    assert set(_subjects(hub, tasks_only.id)) == {task}
    assert [(d["type"], d["subject_id"]) for d in _by_recipe(hub, task_done.id)] == [
        ("task.status_changed", task)]
    assert sorted(_subjects(hub, acme_routing.id)) == [t1, t3]
    ours = {to_solved.id, to_five.id, from_three.id, all_of.id, any_of.id, tasks_only.id,
            task_done.id, acme_routing.id}
    everything = [d for d in hub.deliveries() if d["recipe_id"] in ours]
    assert everything and all(d["status"] == DeliveryStatus.SUCCEEDED for d in everything), [
        (d["action_type"], d["status"], d["last_error"]) for d in everything
        if d["status"] != DeliveryStatus.SUCCEEDED]
    teams = hub.read(lambda s: {i.id: [t.name for t in i.assignee_teams]
                                for i in s.scalars(select(Item))})
    assert teams[t1] == teams[t3] == [acme_desk.name]
    assert teams[t2] == teams[t4] == []
    statuses = hub.read(lambda s: {i.id: i.status.name for i in s.scalars(select(Item))})
    assert statuses[t2] == "New"  # the disabled recipe would have closed it


# ---------------------------------------------------------------- every internal action


def test_every_internal_action_has_its_effect(hub: Hub, hub_make: Factory) -> None:
    s = hub_make.session
    api = _admin_api(hub, hub_make)
    hub_make.user("Agent", name="dana")
    tier2 = hub_make.team("Tier 2")
    support = hub_make.project(name="Support", teams=[tier2])
    escalations = hub_make.project(name="Escalations", teams=[tier2])
    acme = hub_make.organization("Acme")
    maria = hub_make.customer("maria@acme.example", name="Maria", organization_id=acme.id)
    boss = hub_make.customer("boss@acme.example", name="Boss", organization_id=acme.id)
    ticket_type = item_type(s)
    s.add(CustomField(item_type_id=ticket_type.id, key="region", label="Region",
                      field_type=FieldType.TEXT))
    s.commit()

    plan = {
        "[status]": [("set_status", {"status": "Waiting on customer"})],
        "[field]": [("set_field", {"field": "priority", "value": "4"}),
                    ("set_field", {"field": "custom.region",
                                   "value": "EMEA for {{ requester.name }}"})],
        "[assign]": [("assign", {"user": "dana"}), ("assign", {"team": "Tier 2"})],
        "[follow]": [("add_follower", {"user": "dana"}),
                     ("add_follower", {"customer_email": "boss@acme.example"})],
        "[reply]": [("post_message", {"body": "Hello {{ requester.name }}, we got "
                                              "\"{{ item.title }}\"."}),
                    ("post_message", {"body": "Internal: priority {{ item.priority }}",
                                      "public": False})],
        "[move]": [("move_to_project", {"project": "Escalations"})],
        "[org]": [("ensure_org_project", {})],
        "[convert]": [("convert_to_task", {})],
        "[mail]": [("send_email", {"to": "requester", "subject": "We got {{ item.title }}",
                                   "body": "Dear {{ requester.name }}, thanks."}),
                   ("send_email", {"to": "address", "address": "ops@example.com",
                                   "subject": "New: {{ item.title }}",
                                   "body": "Sent by {{ requester.email }}"})],
        "[noop]": [("noop", {})],
    }
    recipes = {tag: recipe(s, f"do {tag}", "ticket.created", actions,
                           conditions=title_has(tag)) for tag, actions in plan.items()}
    ids = {tag: create_item(api, title=f"{tag} case", item_type=ticket_type.id,
                            project=support.id, priority=1, requester=maria.id)
           for tag in plan}
    second_org_ticket = create_item(api, title="[org] second", item_type=ticket_type.id,
                                    project=support.id, requester=maria.id)

    hub.burst()

    _assert_all_processed(hub)
    for tag, row in recipes.items():
        delivered = _by_recipe(hub, row.id)
        assert [d["action"] for d in delivered if d["subject_id"] == ids[tag]] == [
            kind for kind, _ in plan[tag]], tag
        assert all(d["status"] == DeliveryStatus.SUCCEEDED for d in delivered), delivered

    def effects(session: Any) -> dict[str, Any]:
        items = {tag: session.get(Item, item_id) for tag, item_id in ids.items()}
        automation = session.scalars(select(User).where(User.username == "automation")).one()
        messages = session.scalars(select(Message).where(
            Message.item_id == ids["[reply]"]).order_by(Message.id)).all()
        org_projects = session.scalars(select(Project).where(
            Project.organization_id == acme.id)).all()
        return {
            "status": items["[status]"].status.name,
            "priority": items["[field]"].priority,
            "custom": items["[field]"].custom_values,
            "assignees": [u.username for u in items["[assign]"].assignee_users],
            "teams": [t.name for t in items["[assign]"].assignee_teams],
            "follower_users": [u.username for u in items["[follow]"].follower_users],
            "follower_customers": [c.email for c in items["[follow]"].follower_customers],
            "messages": [(m.is_public, m.author_user_id == automation.id, m.body_html)
                         for m in messages],
            "moved_to": items["[move]"].project_id,
            "org_projects": [(p.name, p.id) for p in org_projects],
            "org_items": [items["[org]"].project_id,
                          session.get(Item, second_org_ticket).project_id],
            "kind": items["[convert]"].kind,
            "convert_type": items["[convert]"].item_type.kind,
            "slas": session.scalar(select(func.count()).select_from(ItemSla)),
        }

    got = hub.read(effects)
    assert got["status"] == "Waiting on customer"
    assert got["priority"] == 4
    assert got["custom"] == {"region": "EMEA for Maria"}
    assert got["assignees"] == ["dana"] and got["teams"] == ["Tier 2"]
    assert got["follower_users"] == ["dana"]
    assert got["follower_customers"] == [boss.email]
    assert got["messages"] == [
        (True, True, '<p>Hello Maria, we got "[reply] case".</p>'),
        (False, True, "<p>Internal: priority 1</p>"),
    ]
    assert got["moved_to"] == escalations.id
    assert len(got["org_projects"]) == 1 and got["org_projects"][0][0] == "Acme"
    assert got["org_items"] == [got["org_projects"][0][1]] * 2  # created once, then reused
    assert got["kind"] == ItemKind.TASK and got["convert_type"] == ItemKind.TASK
    # The shipped default attached the SLA to every new ticket.
    assert got["slas"] == len(ids) + 1

    # (Other mail, such as the shipped notification of public replies, is not this test's.)
    mails = {str(m["Subject"]): m for m in hub.smtp.messages
             if str(m["Subject"]).startswith(("We got", "New:"))}
    mail_id = ids["[mail]"]
    assert set(mails) == {f"We got [mail] case [#{mail_id}]",
                          f"New: [mail] case [#{mail_id}]"}
    to_requester = mails[f"We got [mail] case [#{mail_id}]"]
    assert to_requester["To"] == "maria@acme.example"
    assert to_requester.get_content().strip() == "Dear Maria, thanks."
    to_ops = mails[f"New: [mail] case [#{mail_id}]"]
    assert to_ops["To"] == "ops@example.com"
    assert to_ops.get_content().strip() == "Sent by maria@acme.example"


# ---------------------------------------------------------------- failures, order, loops


def test_failures_order_and_loop_safety(hub: Hub, hub_make: Factory) -> None:
    s = hub_make.session
    api = _admin_api(hub, hub_make)
    project = hub_make.project()
    maria = hub_make.customer("maria@acme.example", name="Maria")
    ticket_type = item_type(s).id

    # A template error kills its own delivery (readable reason) and the recipe's later
    # actions; the event's other recipes run as usual.
    broken = recipe(s, "broken template", "ticket.created", [
        ("set_field", {"field": "title", "value": "{{ item.no_such_field }}"}),
        ("post_message", {"body": "never posted"})], conditions=title_has("[tpl]"))
    bad_input = recipe(s, "bad status", "ticket.created", [
        ("set_status", {"status": "No such status"}), ("noop", {})],
        conditions=title_has("[tpl]"))
    healthy = recipe(s, "healthy neighbour", "ticket.created", [
        ("post_message", {"body": "Hi {{ requester.name }}", "public": False})],
        conditions=title_has("[tpl]"))
    # Actions run in order: the second sees what the first did.
    ordered = recipe(s, "in order", "ticket.created", [
        ("set_status", {"status": "Open"}),
        ("post_message", {"body": "Status is now {{ item.status }}", "public": False}),
        ("set_field", {"field": "priority", "value": "3"})], conditions=title_has("[order]"))
    # Two recipes that trigger each other: bounded by HUB_MAX_DEPTH (3 here).
    ping = recipe(s, "ping", "ticket.updated", [("set_field", {"field": "priority",
                                                              "value": "2"})],
                  trigger_filter={"field": "priority", "to": 1}, conditions=title_has("[loop]"))
    pong = recipe(s, "pong", "ticket.updated", [("set_field", {"field": "priority",
                                                              "value": "1"})],
                  trigger_filter={"field": "priority", "to": 2}, conditions=title_has("[loop]"))
    # A recipe whose action changes what triggers it: its own change never retriggers it.
    selfish = recipe(s, "exclaim", "ticket.updated", [
        ("set_field", {"field": "title", "value": "{{ item.title }}!"})],
        conditions=title_has("[self]"))

    tpl = create_item(api, title="[tpl] case", item_type=ticket_type, project=project.id,
                      requester=maria.id)
    order = create_item(api, title="[order] case", item_type=ticket_type, project=project.id)
    loop = create_item(api, title="[loop] case", item_type=ticket_type, project=project.id)
    self_ = create_item(api, title="[self] case", item_type=ticket_type, project=project.id)
    update_item(api, loop, priority=1)
    update_item(api, self_, description="<p>more detail</p>")

    hub.burst()
    _assert_all_processed(hub)

    [dead, skipped] = _by_recipe(hub, broken.id)
    assert dead["status"] == DeliveryStatus.DEAD and dead["attempts"] == 1
    assert dead["error"].startswith("template error in 'value'")
    assert "no_such_field" in dead["error"]
    assert skipped["status"] == DeliveryStatus.SKIPPED and skipped["attempts"] == 0
    assert skipped["error"] == f"not run: the previous action (delivery {dead['id']}) died"
    [refused, not_run] = _by_recipe(hub, bad_input.id)
    assert refused["status"] == DeliveryStatus.DEAD
    assert refused["error"] == "type 'Ticket' has no status 'No such status'"
    assert not_run["status"] == DeliveryStatus.SKIPPED
    assert [d["status"] for d in _by_recipe(hub, healthy.id)] == [DeliveryStatus.SUCCEEDED]
    sla = hub.deliveries(action_type="attach_sla")
    assert all(d["status"] == DeliveryStatus.SUCCEEDED for d in sla) and len(sla) == 4

    steps = _by_recipe(hub, ordered.id)
    assert [d["status"] for d in steps] == [DeliveryStatus.SUCCEEDED] * 3
    after = hub.read(lambda s: (s.get(Item, order).status.name, s.get(Item, order).priority,
                                [m.body_html for m in s.scalars(select(Message).where(
                                    Message.item_id == order))],
                                s.get(Item, tpl).title,
                                [m.body_html for m in s.scalars(select(Message).where(
                                    Message.item_id == tpl))]))
    assert after[:3] == ("Open", 3, ["<p>Status is now Open</p>"])
    assert after[3] == "[tpl] case"  # the dead action changed nothing
    assert after[4] == ["<p>Hi Maria</p>"]  # only the healthy neighbour's note

    pings, pongs = _by_recipe(hub, ping.id), _by_recipe(hub, pong.id)
    assert [(d["depth"], d["status"]) for d in pings] == [
        (0, DeliveryStatus.SUCCEEDED), (2, DeliveryStatus.SUCCEEDED)]
    assert [(d["depth"], d["status"]) for d in pongs] == [
        (1, DeliveryStatus.SUCCEEDED), (3, DeliveryStatus.SKIPPED)]
    assert pongs[-1]["error"] == "not run: this event is 3 recipe actions deep, the loop " \
                                 "bound is 3"
    assert pongs[-1]["attempts"] == 0
    assert hub.read(lambda s: s.get(Item, loop).priority) == 2

    exclaimed = _by_recipe(hub, selfish.id)
    assert [(d["depth"], d["status"]) for d in exclaimed] == [(0, DeliveryStatus.SUCCEEDED)]
    assert hub.read(lambda s: s.get(Item, self_).title) == "[self] case!"


# ---------------------------------------------------------------- idempotence


def test_processing_an_event_again_never_doubles_an_action(hub: Hub, hub_make: Factory) -> None:
    from hub import jobs, runtime
    from webapp.automation import app_runtime

    s = hub_make.session
    project = hub_make.project()
    greet = recipe(s, "greet", "ticket.created", [
        ("post_message", {"body": "Thanks for {{ item.title }}"}),
        ("send_email", {"to": "address", "address": "ops@example.com",
                        "subject": "New {{ item.title }}", "body": "see the ticket"})])
    ticket = hub_make.item(project, title="Twice")
    [created] = hub.events(type="ticket.created", subject_id=ticket.id)

    # The commit enqueued the event once; enqueue it again, alone and in batches.
    hub.enqueue("hub.jobs.process_event", created["id"])
    hub.enqueue("hub.jobs.process_event_batch", [created["id"], created["id"]])
    hub.enqueue("hub.jobs.process_event", created["id"])
    hub.burst()

    def tally(session: Any) -> tuple[int, int]:
        return (session.scalar(select(func.count()).select_from(Delivery).where(
                    Delivery.recipe_id == greet.id)),
                session.scalar(select(func.count()).select_from(Message).where(
                    Message.item_id == ticket.id)))

    assert hub.read(tally) == (2, 1)
    assert len(hub.smtp.messages) == 1

    # The job functions themselves, called again (here, in this process).
    previous = runtime._runtime
    runtime.configure(app_runtime(hub.app))
    try:
        assert jobs.process_event(created["id"]) == 0
        assert jobs.process_event_batch([created["id"]]) == 0
        # Even with its processed mark cleared, matching keeps the existing deliveries.
        with hub.session() as session:
            session.execute(update(Event).where(Event.id == created["id"]).values(
                processed_at=None))
            session.commit()
        assert jobs.process_event(created["id"]) == 0
    finally:
        runtime._runtime = previous
    assert hub.read(tally) == (2, 1)
    assert [d["status"] for d in hub.deliveries(recipe_id=greet.id)] == [
        DeliveryStatus.SUCCEEDED] * 2
    assert hub.events(id=created["id"])[0]["processed_at"] is not None
    assert len(hub.smtp.messages) == 1
    hub.assert_no_failed_jobs()



# ---------------------------------------------------------------- retries, dead, replay


def test_retry_schedule_dead_state_and_replay(hub: Hub, hub_make: Factory) -> None:
    """send_email to a closed port fails retryably: attempts on the schedule (0, 1 s, 1 s),
    dead after the third; then replayed through the API once the relay is back."""
    from hub.scheduler import Scheduler
    from tests.hub.conftest import free_port
    from webapp.automation import DISPATCHER_KEY, app_runtime

    s = hub_make.session
    api = _admin_api(hub, hub_make)
    project = hub_make.project()
    mail_then_note = recipe(s, "mail, then note", "ticket.created", [
        ("send_email", {"to": "address", "address": "ops@example.com",
                        "subject": "New {{ item.title }}", "body": "a ticket"}),
        ("post_message", {"body": "ops were told", "public": False})],
        conditions=title_has("[one]"))
    mail_only = recipe(s, "mail only", "ticket.created", [
        ("send_email", {"to": "address", "address": "lead@example.com",
                        "subject": "Also {{ item.title }}", "body": "a ticket"})],
        conditions=title_has("[two]"))
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(seconds=1)
    one = hub_make.item(project, title="[one] case")
    two = hub_make.item(project, title="[two] case")
    closed_port = free_port()
    hub.start_worker(SMTP_PORT=closed_port)
    scheduler = Scheduler(app_runtime(hub.app), hub.app.extensions[DISPATCHER_KEY],
                          scan_timers=lambda rt: 0)

    def failed(session: Any, attempt: int) -> list[Delivery] | None:
        rows = session.scalars(select(Delivery).where(
            Delivery.action_type == "send_email", Delivery.attempts == attempt,
            Delivery.status.in_((DeliveryStatus.FAILED, DeliveryStatus.DEAD)))).all()
        return rows if len(rows) == 2 else None

    history: dict[int, list[tuple[int, Any, Any, Any]]] = {}
    for attempt in (1, 2, 3):
        rows = hub.wait_until(lambda s, n=attempt: failed(s, n),
                              message=f"attempt {attempt} of both e-mails to fail")
        for d in rows:
            history.setdefault(d.id, []).append(
                (d.attempts, d.status, d.updated_at, d.next_attempt_at))
            assert "unreachable" in d.last_error and str(closed_port) in d.last_error
        if attempt < 3:
            due = max(d.next_attempt_at for d in rows)
            wait = (due - dt.datetime.now(dt.UTC).replace(tzinfo=None)).total_seconds()
            time.sleep(max(wait, 0) + 0.05)
            # A worker's idle lane wakes for the next due retry by itself (hub.lanes); the
            # scheduler's wake-up is the safety net and may find it already taken.
            scheduler.tick()

    for attempts in history.values():
        assert [(n, status) for n, status, _, _ in attempts] == [
            (1, DeliveryStatus.FAILED), (2, DeliveryStatus.FAILED), (3, DeliveryStatus.DEAD)]
        for _, _, failed_at, next_at in attempts[:2]:
            # The schedule says 1 s after each failure (no jitter in these tests).
            assert abs((next_at - failed_at).total_seconds() - 1.0) < 0.2, attempts
        assert attempts[2][3] is None
    [first, follower] = hub.deliveries(recipe_id=mail_then_note.id)
    assert first["status"] == DeliveryStatus.DEAD and first["finished_at"] is not None
    assert follower["status"] == DeliveryStatus.SKIPPED and follower["attempts"] == 0
    [second] = hub.deliveries(recipe_id=mail_only.id)
    assert second["status"] == DeliveryStatus.DEAD
    assert hub.smtp.messages == []
    hub.stop_processes()

    # Replay: refused while running, then back to pending with the action that waited on it.
    with hub.session() as session:
        session.execute(update(Delivery).where(Delivery.id == first["id"]).values(
            status=DeliveryStatus.RUNNING))
        session.commit()
    response = api.post(f"/api/v1/delivery/{first['id']}/replay")
    assert response.status_code == 422
    assert response.get_json()["message"] == {"status": ["is running; wait for it to end"]}
    with hub.session() as session:
        session.execute(update(Delivery).where(Delivery.id == first["id"]).values(
            status=DeliveryStatus.DEAD))
        session.commit()
    response = api.post(f"/api/v1/delivery/{first['id']}/replay")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["result"] == {"id": first["id"], "status": "pending"}
    assert api.post("/api/v1/delivery/999999/replay").status_code == 404
    [first_now, follower_now] = hub.deliveries(recipe_id=mail_then_note.id)
    # The replay keeps the three attempts counted (the ledger tells the whole story).
    assert (first_now["status"], first_now["attempts"]) == (DeliveryStatus.PENDING, 3)
    assert follower_now["status"] == DeliveryStatus.PENDING

    # Re-run what failed for a recipe since T.
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)).isoformat()
    response = api.post(f"/api/v1/recipe/{mail_only.id}/rerun-failed", json={"since": later})
    assert response.status_code == 200 and response.get_json()["result"] == {"replayed": []}
    response = api.post(f"/api/v1/recipe/{mail_only.id}/rerun-failed", json={})
    assert response.status_code == 422 and "since" in response.get_json()["message"]
    response = api.post(f"/api/v1/recipe/{mail_only.id}/rerun-failed",
                        json={"since": "yesterday"})
    assert response.status_code == 422
    assert api.post("/api/v1/recipe/999999/rerun-failed",
                    json={"since": started.isoformat()}).status_code == 404
    response = api.post(f"/api/v1/recipe/{mail_only.id}/rerun-failed",
                        json={"since": started.isoformat()})
    assert response.status_code == 200
    assert response.get_json()["result"] == {"replayed": [second["id"]]}

    # The relay is back (the default SMTP_PORT is the sink): the replayed deliveries run.
    hub.burst()
    statuses = {d["id"]: (d["status"], d["attempts"]) for d in hub.deliveries()
                if d["recipe_id"] in (mail_then_note.id, mail_only.id)}
    assert statuses == {first["id"]: (DeliveryStatus.SUCCEEDED, 4),
                        follower["id"]: (DeliveryStatus.SUCCEEDED, 1),
                        second["id"]: (DeliveryStatus.SUCCEEDED, 4)}
    assert sorted(hub.smtp.subjects()) == [f"Also [two] case [#{two.id}]",
                                           f"New [one] case [#{one.id}]"]
    assert hub.read(lambda s: [m.body_html for m in s.scalars(
        select(Message).where(Message.item_id == one.id))]) == ["<p>ops were told</p>"]


# ---------------------------------------------------------------- shipped defaults


def test_shipped_defaults_and_disabling_them(hub: Hub, hub_make: Factory) -> None:
    from webapp.commands.attach_sla import working_calendar
    from webapp.models import SlaPolicy

    s = hub_make.session
    api = _admin_api(hub, hub_make)
    project = hub_make.project()
    maria = hub_make.customer("maria@acme.example", name="Maria")
    ticket_type, task_type = item_type(s).id, item_type(s, ItemKind.TASK).id
    solved = status_id(s, "Ticket", "Solved")
    in_progress, done = status_id(s, "Task", "In progress"), status_id(s, "Task", "Done")
    under_test = ("default.attach_sla", "default.satisfaction_survey",
                  "default.task_status_reply")
    defaults = {r.builtin_key: r.id for r in s.scalars(
        select(Recipe).where(Recipe.builtin_key.in_(under_test)))}
    assert set(defaults) == set(under_test)
    # Other shipped recipes (e-mail notifications, …) have tests of their own.
    s.execute(update(Recipe).where(Recipe.builtin_key.is_not(None),
                                   Recipe.builtin_key.not_in(under_test))
              .values(enabled=False))
    s.commit()

    def scenario(tag: str) -> tuple[int, int, int]:
        ticket = create_item(api, title=f"Printer {tag}", item_type=ticket_type,
                             project=project.id, priority=5, requester=maria.id)
        anonymous = create_item(api, title=f"No requester {tag}", item_type=ticket_type,
                                project=project.id)
        task = create_item(api, "task", title=f"Install {tag}", item_type=task_type,
                           project=project.id, requester=maria.id)
        update_item(api, ticket, status=solved)
        update_item(api, anonymous, status=solved)
        update_item(api, task, "task", status=in_progress)
        return ticket, anonymous, task

    ticket, anonymous, task = scenario("one")
    hub.burst()

    def clock(session: Any, item_id: int) -> dict[str, Any] | None:
        row = session.scalars(select(ItemSla).where(ItemSla.item_id == item_id)).first()
        if row is None:
            return None
        calendar = working_calendar(session.scalars(select(SlaPolicy)).one().calendar)
        created = session.get(Item, item_id).created_at
        return {"policy": row.policy.name,
                "first_response_ok": row.first_response_due_at
                == calendar.add_business_minutes(created, 60),
                "resolution_ok": row.resolution_due_at
                == calendar.add_business_minutes(created, 480)}

    assert hub.read(lambda s: clock(s, ticket)) == {
        "policy": "Standard", "first_response_ok": True, "resolution_ok": True}
    assert hub.read(lambda s: clock(s, anonymous)) is not None
    assert hub.read(lambda s: clock(s, task)) is None  # tickets only
    assert hub.smtp.subjects() == [f"How did we do? Printer one [#{ticket}]"]
    assert hub.smtp.recipients == [["maria@acme.example"]]
    survey = hub.smtp.messages[0].get_content()
    assert "Hello Maria" in survey and "Printer one" in survey and "Solved" in survey

    def replies(session: Any, item_id: int) -> list[tuple[str, bool, str]]:
        return [(m.author_user.username, m.is_public, m.body_html) for m in session.scalars(
            select(Message).where(Message.item_id == item_id).order_by(Message.id))]

    assert hub.read(lambda s: replies(s, task)) == [
        ("automation", True, '<p>The status of "Install one" is now In progress.</p>')]
    assert all(d["status"] == DeliveryStatus.SUCCEEDED for d in hub.deliveries())

    # Each default can be switched off (here through the recipe API).
    for recipe_id in defaults.values():
        response = api.put(f"/api/v1/recipe/{recipe_id}", json={"enabled": False})
        assert response.status_code == 200, response.get_json()
    before = len(hub.deliveries())
    ticket2, _, task2 = scenario("two")
    update_item(api, task, "task", status=done)
    hub.burst()
    _assert_all_processed(hub)
    assert len(hub.deliveries()) == before
    assert hub.read(lambda s: clock(s, ticket2)) is None
    assert len(hub.smtp.messages) == 1
    assert hub.read(lambda s: replies(s, task2)) == []
    assert len(hub.read(lambda s: replies(s, task))) == 1
