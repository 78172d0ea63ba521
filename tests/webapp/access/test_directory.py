"""Customers are one directory for all staff (README, Permissions): an agent reads and picks
any requester, while what that customer asked of another team stays out of reach."""

from __future__ import annotations

from tests.factories import ApiClient, quick_user
from webapp.models import ItemKind


def test_an_agent_opens_a_ticket_for_another_teams_customer(app, client, make) -> None:
    team_a, team_b = make.team("A"), make.team("B")
    mine, theirs = make.project([team_a]), make.project([team_b])
    organization = make.organization("Bravo Org")
    customer = make.customer("caller@bravo.example", organization_id=organization.id)
    their_ticket = make.item(theirs, title="Bravo's private matter", requester_id=customer.id)
    ticket_type = make.item_type(ItemKind.TICKET).id
    agent = ApiClient(client, quick_user(make, "Agent", teams=[team_a]).username)

    found = agent.get(f"/api/v1/customer/{customer.id}")
    assert found.status_code == 200
    assert found.get_json()["result"]["email"] == "caller@bravo.example"
    created = agent.post("/api/v1/ticket/", json={
        "title": "Called about the invoice", "item_type": ticket_type, "project": mine.id,
        "requester": customer.id})
    assert created.status_code == 201, created.get_json()

    assert agent.get(f"/api/v1/ticket/{their_ticket.id}").status_code == 404
    listed = agent.get("/api/v1/ticket/").get_data(as_text=True)
    assert "Bravo's private matter" not in listed
