"""Issue 17.11: the ISP's "deal won" recipe duplicates the onboarding template for the new
subscriber: the contact is found or made from the event's e-mail, joins the organization,
and becomes every copied task's requester, so the shipped "tell the requester when a task's
status changes" recipe and the reply mail reach them (real RQ workers, SMTP sink)."""

from __future__ import annotations

import json

from sqlalchemy import select

from tests.factories import ApiClient, Factory
from tests.hub.conftest import Hub
from tests.hub.helpers import item_type, only_builtin_recipes, recipe, status_id, update_item
from tests.triggers.test_inbound_webhooks import standard_headers
from webapp.models import Customer, DeliveryStatus, Item, ItemKind, Project

ALLOW = {"WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1/32"}


def _deal(hub: Hub, secret: str, msg_id: str, company: str, email: str, name: str) -> None:
    body = json.dumps({"type": "deal.won", "data": {
        "company": {"name": company, "domain": email.split("@", 1)[1]},
        "contact": {"email": email, "name": name}}}).encode()
    with hub.app.app_context():
        answer = hub.app.test_client().post(
            "/hooks/in/crm", data=body, headers=standard_headers(secret, msg_id, body),
            content_type="application/json")
    assert answer.status_code == 200, answer.get_json()


def test_deal_won_project_is_for_the_subscriber_and_task_news_reaches_them(
        hub: Hub, hub_make: Factory) -> None:
    s = hub_make.session
    only_builtin_recipes(s, "default.task_status_reply", "default.mail_reply_notification")
    team = hub_make.team()
    admin = hub_make.user("Admin", teams=[team])
    api = ApiClient(hub.app.test_client(), admin.username)
    template = hub_make.project(teams=[team], name="ISP onboarding", is_template=True)
    step = item_type(s, ItemKind.TASK)
    hub_make.item(template, ItemKind.TASK, title="Install the router", item_type=step)
    hub_make.item(template, ItemKind.TASK, title="Activate the line", item_type=step)
    made = api.post("/api/v1/inbound_endpoint/", json={"slug": "crm",
                                                       "scheme": "standardwebhooks"})
    assert made.status_code == 201, made.get_json()
    data = "event.data.payload.data"
    rule = recipe(s, "Deal won → onboarding", "inbound.crm", [("duplicate_project", {
        "template": "ISP onboarding",
        "name": f"Onboarding – {{{{ {data}.contact.name }}}}",
        "organization": f"{{{{ {data}.company.name }}}}",
        "organization_domain": f"{{{{ {data}.company.domain }}}}",
        "requester": f"{{{{ {data}.contact.email }}}}",
        "requester_name": f"{{{{ {data}.contact.name }}}}"})])
    # One subscriber is new; the other is a known contact without an organization yet.
    known = hub_make.customer("joao@casa-lima.example", name="João Lima")

    _deal(hub, made.get_json()["secret"], "msg_deal_1", "Sousa Household",
          "rita@sousa.example", "Rita Sousa")
    _deal(hub, made.get_json()["secret"], "msg_deal_2", "Casa Lima",
          "JOAO@casa-lima.example", "João")
    hub.burst(**ALLOW)

    done = hub.deliveries(recipe_id=rule.id)
    assert [d["status"] for d in done] == [DeliveryStatus.SUCCEEDED] * 2, done
    assert [(d["result"]["requester_created"]) for d in done] == [True, False]
    s.expire_all()
    rita = s.scalars(select(Customer).where(Customer.email == "rita@sousa.example")).one()
    assert rita.name == "Rita Sousa" and rita.organization.name == "Sousa Household"
    s.refresh(known)
    assert known.organization.name == "Casa Lima" and known.name == "João Lima"
    for customer, project_name in ((rita, "Onboarding – Rita Sousa"),
                                   (known, "Onboarding – João")):
        project = s.scalars(select(Project).where(Project.name == project_name)).one()
        assert project.organization_id == customer.organization_id
        tasks = s.scalars(select(Item).where(Item.project_id == project.id)
                          .order_by(Item.id)).all()
        assert [(t.title, t.requester_id) for t in tasks] == [
            ("Install the router", customer.id), ("Activate the line", customer.id)]

    # The shipped recipes tell the subscriber when a task of their project moves on.
    router = s.scalars(select(Item).join(Project).where(
        Project.name == "Onboarding – Rita Sousa", Item.title == "Install the router")).one()
    update_item(api, router.id, resource="task",
                status=status_id(s, step.name, step.statuses[-1].name))
    hub.burst(**ALLOW)
    hub.burst(**ALLOW)  # the public reply the first recipe posted is mailed by the second
    assert hub.smtp.recipients == [["rita@sousa.example"]]
    assert f"[#{router.id}]" in str(hub.smtp.messages[0]["Subject"])
    assert "Install the router" in hub.smtp.messages[0].get_body(("plain",)).get_content()


def test_rest_duplicate_takes_a_requester(hub: Hub, hub_make: Factory) -> None:
    team = hub_make.team()
    api = ApiClient(hub.app.test_client(), hub_make.user("Admin", teams=[team]).username)
    template = hub_make.project(teams=[team], name="Template", is_template=True)
    hub_make.item(template, ItemKind.TASK, title="Step")
    ana = hub_make.customer("ana@example.org")
    refused = api.post(f"/api/v1/project/{template.id}/duplicate",
                       json={"name": "For Ana", "requester_id": 10**6})
    assert refused.status_code == 422 and "requester_id" in refused.get_json()["message"]
    assert api.post(f"/api/v1/project/{template.id}/duplicate", json={
        "name": "For Ana", "requester_id": "x"}).status_code == 422
    made = api.post(f"/api/v1/project/{template.id}/duplicate",
                    json={"name": "For Ana", "requester_id": ana.id})
    assert made.status_code == 201, made.get_json()
    hub_make.session.expire_all()
    [step] = hub_make.session.scalars(select(Item).where(
        Item.project_id == made.get_json()["id"])).all()
    assert step.requester_id == ana.id
