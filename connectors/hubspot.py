"""HubSpot CRM (v3 objects API): contacts by e-mail, companies by domain, associations, tickets.

"Upsert" means search by the natural key, then update the match or create a new object, so
running an action again converges instead of duplicating. HubSpot's search index lags writes
by a few seconds: a retry right after a create that HubSpot did but whose answer was lost may
not find it yet; the hub keeps the ids it learnt (external links) and passes them back in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from marshmallow import fields, validate

from connectors.base import (
    JSON,
    Action,
    AuthField,
    Connector,
    Credentials,
    Http,
    Inputs,
    Refused,
    strings,
)
from connectors.names import split_name

OBJECT_TYPES = ("contacts", "companies", "tickets", "deals")
_SINGULAR = {"contacts": "contact", "companies": "company", "tickets": "ticket", "deals": "deal"}
PRIORITIES = ("LOW", "MEDIUM", "HIGH")


def _path(object_type: str, *parts: str) -> str:
    return "/".join([f"/crm/v3/objects/{object_type}", *(quote(p, safe="") for p in parts)])


def search_one(http: Http, object_type: str, prop: str, value: str,
               properties: list[str]) -> JSON | None:
    """The first object whose ``prop`` equals ``value``, or None."""
    found = http.post(_path(object_type, "search"), json={
        "filterGroups": [{"filters": [{"propertyName": prop, "operator": "EQ",
                                       "value": value}]}],
        "sorts": [], "properties": properties, "limit": 1, "after": 0,
    })
    results = found.get("results") if isinstance(found, Mapping) else None
    return results[0] if results else None


def upsert(http: Http, object_type: str, key: str, value: str,
           properties: Mapping[str, Any], known_id: str | None = None) -> JSON:
    """Update the object with ``known_id`` or whose ``key`` is ``value``; else create it."""
    props = strings(properties)
    if known_id:
        try:
            return http.patch(_path(object_type, known_id), json={"properties": props})
        except Refused as exc:
            if exc.status != 404:
                raise
            # gone (merged or deleted): find it again by its key
    match = search_one(http, object_type, key, value, sorted({key, *props}))
    if match is not None:
        return http.patch(_path(object_type, str(match["id"])), json={"properties": props})
    return http.post(_path(object_type), json={"properties": props})


def associate(http: Http, from_type: str, from_id: str, to_type: str, to_id: str,
              association_type: str | None = None) -> JSON:
    kind = association_type or f"{_SINGULAR[from_type]}_to_{_SINGULAR[to_type]}"
    return http.put(_path(from_type, from_id, "associations", to_type, to_id, kind))


# ---------------------------------------------------------------- contacts and companies


class ContactInput(Inputs):
    email = fields.Email(required=True, metadata={"label": "E-mail"})
    name = fields.String(load_default=None, allow_none=True, metadata={
        "label": "Full name", "help": "split into first and last name (\"Müller, Bernd\", "
        "\"Dr. Anna Schmidt\"); first/last name given beside it win"})
    firstname = fields.String(load_default=None, allow_none=True,
                              metadata={"label": "First name"})
    lastname = fields.String(load_default=None, allow_none=True,
                             metadata={"label": "Last name"})
    phone = fields.String(load_default=None, allow_none=True, metadata={"label": "Phone"})
    contact_id = fields.String(load_default=None, allow_none=True, metadata={
        "label": "Known contact id", "help": "found by e-mail when empty"})
    properties = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict,
                             metadata={"label": "More properties"})


def contact_names(inputs: Mapping[str, Any], prefix: str = "") -> tuple[Any, Any]:
    """(firstname, lastname): the ones given, else split from the full ``name``."""
    first, last = inputs.get(f"{prefix}firstname"), inputs.get(f"{prefix}lastname")
    if not first and not last and inputs.get(f"{prefix}name"):
        return split_name(inputs[f"{prefix}name"])
    return first, last


def _contact_properties(inputs: Mapping[str, Any]) -> dict[str, Any]:
    first, last = contact_names(inputs)
    return {**(inputs.get("properties") or {}), "email": inputs["email"],
            "firstname": first, "lastname": last, "phone": inputs.get("phone")}


def upsert_contact(inputs: Mapping[str, Any], credentials: Credentials, http: Http) -> JSON:
    email = str(inputs["email"]).strip().lower()
    return upsert(http, "contacts", "email", email,
                  {**_contact_properties(inputs), "email": email}, inputs.get("contact_id"))


class CompanyInput(Inputs):
    domain = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$", error="must be a domain such as example.com"),
        metadata={"label": "Domain"})
    name = fields.String(load_default=None, allow_none=True, metadata={"label": "Name"})
    company_id = fields.String(load_default=None, allow_none=True, metadata={
        "label": "Known company id", "help": "found by domain when empty"})
    properties = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict,
                             metadata={"label": "More properties"})


def upsert_company(inputs: Mapping[str, Any], credentials: Credentials, http: Http) -> JSON:
    domain = str(inputs["domain"]).strip().lower()
    props = {**(inputs.get("properties") or {}), "domain": domain, "name": inputs.get("name")}
    return upsert(http, "companies", "domain", domain, props, inputs.get("company_id"))


class AssociateInput(Inputs):
    from_type = fields.String(required=True, validate=validate.OneOf(OBJECT_TYPES),
                              metadata={"label": "From object type"})
    from_id = fields.String(required=True, metadata={"label": "From object id"})
    to_type = fields.String(required=True, validate=validate.OneOf(OBJECT_TYPES),
                            metadata={"label": "To object type"})
    to_id = fields.String(required=True, metadata={"label": "To object id"})
    association_type = fields.String(load_default=None, allow_none=True, metadata={
        "label": "Association type", "help": "e.g. contact_to_company (the default for the "
        "two types)"})


def associate_action(inputs: Mapping[str, Any], credentials: Credentials, http: Http) -> JSON:
    return associate(http, inputs["from_type"], inputs["from_id"], inputs["to_type"],
                     inputs["to_id"], inputs.get("association_type"))


class ContactCompanyInput(ContactInput):
    company_domain = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(
        r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$", error="must be a domain such as example.com"),
        metadata={"label": "Company domain"})
    company_name = fields.String(load_default=None, allow_none=True,
                                 metadata={"label": "Company name"})
    company_id = fields.String(load_default=None, allow_none=True,
                               metadata={"label": "Known company id"})


def sync_contact_company(inputs: Mapping[str, Any], credentials: Credentials,
                         http: Http) -> JSON:
    """Upsert the contact and (given a domain) its company, and associate them."""
    contact = upsert_contact(inputs, credentials, http)
    if not inputs.get("company_domain"):
        return {"contact": contact, "company": None}
    company = upsert_company({"domain": inputs["company_domain"],
                              "name": inputs.get("company_name"),
                              "company_id": inputs.get("company_id")}, credentials, http)
    associate(http, "contacts", str(contact["id"]), "companies", str(company["id"]))
    return {"contact": contact, "company": company}


# ---------------------------------------------------------------- tickets


class TicketInput(Inputs):
    subject = fields.String(required=True, validate=validate.Length(min=1, max=1000),
                            metadata={"label": "Subject"})
    content = fields.String(load_default=None, allow_none=True,
                            metadata={"label": "Description"})
    pipeline = fields.String(load_default="0", metadata={
        "label": "Pipeline id", "help": "0 is HubSpot's default support pipeline"})
    stage = fields.String(load_default="4", metadata={
        "label": "Pipeline stage id", "help": "4 is Closed in the default pipeline"})
    priority = fields.String(load_default=None, allow_none=True,
                             validate=validate.OneOf(PRIORITIES), metadata={"label": "Priority"})
    ticket_id = fields.String(load_default=None, allow_none=True, metadata={
        "label": "Known ticket id", "help": "found by subject when empty"})
    contact_email = fields.Email(load_default=None, allow_none=True,
                                 metadata={"label": "Contact e-mail"})
    contact_name = fields.String(load_default=None, allow_none=True, metadata={
        "label": "Contact full name", "help": "split into first and last name"})
    contact_firstname = fields.String(load_default=None, allow_none=True,
                                      metadata={"label": "Contact first name"})
    contact_lastname = fields.String(load_default=None, allow_none=True,
                                     metadata={"label": "Contact last name"})
    contact_id = fields.String(load_default=None, allow_none=True,
                               metadata={"label": "Known contact id"})


def mirror_ticket(inputs: Mapping[str, Any], credentials: Credentials, http: Http) -> JSON:
    """Create or update a HubSpot ticket (found by its subject) and associate it with the
    contact of ``contact_email``."""
    contact = None
    if inputs.get("contact_email"):
        first, last = contact_names(inputs, "contact_")
        contact = upsert_contact({"email": inputs["contact_email"],
                                  "firstname": first, "lastname": last,
                                  "contact_id": inputs.get("contact_id")}, credentials, http)
    ticket = upsert(http, "tickets", "subject", inputs["subject"], {
        "subject": inputs["subject"], "content": inputs.get("content"),
        "hs_pipeline": inputs["pipeline"], "hs_pipeline_stage": inputs["stage"],
        "hs_ticket_priority": inputs.get("priority"),
    }, inputs.get("ticket_id"))
    if contact is not None:
        associate(http, "tickets", str(ticket["id"]), "contacts", str(contact["id"]))
    return {"ticket": ticket, "contact": contact}


def _auth(credentials: Credentials) -> dict[str, str]:
    return {"Authorization": f"Bearer {credentials.get('access_token', '')}"}


CONNECTOR = Connector(
    name="hubspot",
    label="HubSpot",
    help="CRM: contacts, companies and tickets (CRM v3 API).",
    base_url="https://api.hubapi.com",
    auth_fields=(
        AuthField("access_token", "Private app access token", help="pat-…, with the "
                  "crm.objects.contacts/companies and tickets scopes"),
    ),
    actions=(
        Action("upsert_contact", "Create or update contact (by e-mail)", ContactInput,
               upsert_contact),
        Action("upsert_company", "Create or update company (by domain)", CompanyInput,
               upsert_company),
        Action("associate", "Associate two objects", AssociateInput, associate_action),
        Action("sync_contact_company", "Contact with its company", ContactCompanyInput,
               sync_contact_company),
        Action("mirror_ticket", "Mirror ticket (with its contact)", TicketInput,
               mirror_ticket),
    ),
    auth_headers=_auth,
    # HubSpot's limits are per 10 s window; its 429s do not always say how long to wait.
    default_retry_after=10.0,
)
