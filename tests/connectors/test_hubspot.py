"""The HubSpot connector against a HubSpot-like server that checks every request with
HubSpot's CRM v3 OpenAPI documents."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.errors import Permanent, RateLimited, Retryable
from connectors.hubspot import CONNECTOR
from tests.connectors.vendors import HubSpotLike

CREDENTIALS = {"access_token": HubSpotLike.token}


def _run(vendor: HubSpotLike, action: str, inputs: dict[str, Any]) -> Any:
    return CONNECTOR.action(action).run(inputs, CREDENTIALS,
                                        CONNECTOR.http(CREDENTIALS, base_url=vendor.url))


def test_contacts_are_upserted_by_email(hubspot_vendor: HubSpotLike) -> None:
    created = _run(hubspot_vendor, "upsert_contact", {
        "email": "Maria@Acme.example", "firstname": "Maria", "lastname": "", "phone": None})
    assert created["properties"]["email"] == "maria@acme.example"
    assert "lastname" not in created["properties"]  # blanks are not sent
    updated = _run(hubspot_vendor, "upsert_contact", {
        "email": "maria@acme.example", "lastname": "Silva", "properties": {"jobtitle": "CTO"}})
    assert updated["id"] == created["id"]
    [contact] = hubspot_vendor.all("contacts")
    assert contact["properties"].items() >= {"firstname": "Maria", "lastname": "Silva",
                                             "jobtitle": "CTO"}.items()
    lines = [f"{s.method} {s.path}" for s in hubspot_vendor.seen]
    assert lines == ["POST /crm/v3/objects/contacts/search", "POST /crm/v3/objects/contacts",
                     "POST /crm/v3/objects/contacts/search",
                     f"PATCH /crm/v3/objects/contacts/{created['id']}"]


def test_contact_with_company_by_domain_and_association(hubspot_vendor: HubSpotLike) -> None:
    inputs = {"email": "maria@acme.example", "firstname": "Maria",
              "company_domain": "acme.example", "company_name": "Acme Clinics"}
    first = _run(hubspot_vendor, "sync_contact_company", inputs)
    second = _run(hubspot_vendor, "sync_contact_company", {**inputs, "company_name": "Acme"})
    assert second["contact"]["id"] == first["contact"]["id"]
    assert second["company"]["id"] == first["company"]["id"]
    [company] = hubspot_vendor.all("companies")
    assert company["properties"]["name"] == "Acme" and company["properties"]["domain"] == \
        "acme.example"
    assert hubspot_vendor.associations == [
        ("contacts", first["contact"]["id"], "companies", first["company"]["id"],
         "contact_to_company")]
    # Without a domain only the contact is synced.
    alone = _run(hubspot_vendor, "sync_contact_company", {"email": "solo@example.org"})
    assert alone["company"] is None and len(hubspot_vendor.all("contacts")) == 2


def test_a_solved_ticket_is_mirrored_once_with_its_contact(hubspot_vendor: HubSpotLike) -> None:
    inputs = {"subject": "[Relaydesk #12] Printer on fire", "content": "Solved by Alice",
              "priority": "HIGH", "contact_email": "maria@acme.example",
              "contact_firstname": "Maria"}
    first = _run(hubspot_vendor, "mirror_ticket", inputs)
    ticket = first["ticket"]
    assert ticket["properties"].items() >= {"hs_pipeline": "0", "hs_pipeline_stage": "4",
                                            "hs_ticket_priority": "HIGH"}.items()
    assert ("tickets", ticket["id"], "contacts", first["contact"]["id"],
            "ticket_to_contact") in hubspot_vendor.associations
    # Mirrored again (re-solved): the same ticket is updated, by id or found by subject.
    again = _run(hubspot_vendor, "mirror_ticket", {**inputs, "content": "Solved again"})
    by_id = _run(hubspot_vendor, "mirror_ticket", {**inputs, "ticket_id": ticket["id"]})
    assert again["ticket"]["id"] == by_id["ticket"]["id"] == ticket["id"]
    assert len(hubspot_vendor.all("tickets")) == 1 and len(hubspot_vendor.all("contacts")) == 1
    # A known id that HubSpot no longer has: found again by subject, not duplicated.
    gone = _run(hubspot_vendor, "mirror_ticket", {**inputs, "ticket_id": "999999"})
    assert gone["ticket"]["id"] == ticket["id"]


def test_associate_and_errors(hubspot_vendor: HubSpotLike) -> None:
    contact = _run(hubspot_vendor, "upsert_contact", {"email": "a@b.example"})
    company = _run(hubspot_vendor, "upsert_company", {"domain": "b.example"})
    _run(hubspot_vendor, "associate", {"from_type": "companies", "from_id": company["id"],
                                       "to_type": "contacts", "to_id": contact["id"]})
    assert hubspot_vendor.associations[-1][-1] == "company_to_contact"
    with pytest.raises(Permanent, match="404"):
        _run(hubspot_vendor, "associate", {"from_type": "companies", "from_id": "1",
                                           "to_type": "contacts", "to_id": contact["id"]})
    with pytest.raises(Permanent, match="domain"):
        _run(hubspot_vendor, "upsert_company", {"domain": "not a domain"})

    hubspot_vendor.fail("POST /crm/v3/objects/contacts/search", 429)
    with pytest.raises(RateLimited) as limited:
        _run(hubspot_vendor, "upsert_contact", {"email": "a@b.example"})
    assert limited.value.after == 10.0  # HubSpot's window when it does not say
    hubspot_vendor.fail("POST /crm/v3/objects/contacts/search", 429,
                        headers={"Retry-After": "2"})
    with pytest.raises(RateLimited) as told:
        _run(hubspot_vendor, "upsert_contact", {"email": "a@b.example"})
    assert told.value.after == 2.0
    hubspot_vendor.fail("PATCH /crm/v3/objects/contacts/.*", 502)
    with pytest.raises(Retryable, match="502"):
        _run(hubspot_vendor, "upsert_contact", {"email": "a@b.example"})
    with pytest.raises(Permanent, match="401"):
        CONNECTOR.action("upsert_contact").run(
            {"email": "a@b.example"}, {"access_token": "wrong"},
            CONNECTOR.http({"access_token": "wrong"}, base_url=hubspot_vendor.url))


def test_the_spec_check_catches_a_request_hubspot_would_refuse(
        hubspot_vendor: HubSpotLike) -> None:
    http = CONNECTOR.http(CREDENTIALS, base_url=hubspot_vendor.url)
    with pytest.raises(Permanent):
        http.post("/crm/v3/objects/contacts/search", json={"filterGroups": [], "limit": 1})
    with pytest.raises(Permanent):
        http.post("/crm/v3/objects/contacts", json={"properties": {"age": 5}})
    with pytest.raises(Permanent):
        http.post("/crm/v3/objects/tickets", json={"properties": {}, "associations": []})
    problems = list(hubspot_vendor.invalid)
    hubspot_vendor.invalid.clear()
    assert len(problems) == 3, problems
    assert "'after' is a required property" in problems[0]
    assert "5 is not of type 'string'" in problems[1]
    assert "associations" in problems[2]
