"""Stripe billing: customers for organizations, invoice items from hours, invoices.

Every POST is a journal step, so it carries an ``Idempotency-Key`` that stays the same on each
retry and replay of the same work: Stripe answers a repeated key with its first answer, so an
attempt that died after Stripe acted (but before we recorded it) cannot bill twice.

Requests are form-encoded as Stripe's API (and its OpenAPI spec) wants; amounts are integers
in the currency's minor unit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from marshmallow import ValidationError, fields, validate

from connectors.base import (
    JSON,
    Action,
    AuthField,
    Connector,
    Credentials,
    Http,
    Inputs,
    Refused,
)
from connectors.errors import Permanent
from connectors.money import STRIPE_ZERO_DECIMAL, stripe_amount

#: Where the organization's id is kept in the Stripe customer's metadata.
ORG_METADATA_KEY = "relaydesk_organization_id"
#: Currencies Stripe counts in whole units (no cents).
ZERO_DECIMAL = STRIPE_ZERO_DECIMAL
COLLECTION_METHODS = ("send_invoice", "charge_automatically")
#: Stripe's limits on metadata (https://docs.stripe.com/api/metadata): checked here, so a
#: delivery fails with our words before the request instead of dying at Stripe.
METADATA_MAX_KEYS = 50
METADATA_MAX_KEY = 40
METADATA_MAX_VALUE = 500


def minor_units(amount: Decimal, currency: str) -> int:
    """``amount`` (major units, e.g. dollars) as Stripe's integer amount (e.g. cents, or
    thousandths ending in 0 for KWD), by the one table in ``connectors.money``."""
    return stripe_amount(amount, currency)


def metadata_problems(metadata: Mapping[str, object], where: str = "metadata") -> list[str]:
    """What in ``metadata`` Stripe would refuse, in words (empty: nothing)."""
    problems = []
    if len(metadata) > METADATA_MAX_KEYS:
        problems.append(f"{where} has {len(metadata)} keys; Stripe allows {METADATA_MAX_KEYS}")
    for key, value in metadata.items():
        if len(key) > METADATA_MAX_KEY:
            problems.append(f"{where} key {key[:60]!r} is {len(key)} characters long; Stripe "
                            f"allows {METADATA_MAX_KEY}")
        if value is not None and len(str(value)) > METADATA_MAX_VALUE:
            problems.append(f"{where} value of {key!r} is {len(str(value))} characters long; "
                            f"Stripe allows {METADATA_MAX_VALUE}")
    return problems


def check_metadata(metadata: Mapping[str, object], where: str = "metadata") -> None:
    """Raise ``Permanent`` naming every metadata limit ``metadata`` breaks."""
    problems = metadata_problems(metadata, where)
    if problems:
        raise Permanent("; ".join(problems))


def id_list(ids: Iterable[object], limit: int = METADATA_MAX_VALUE) -> str:
    """Ids joined by commas within ``limit`` characters, never cutting one: what does not
    fit is counted ("…,100069 and 49 more"), so the value stays true about what it lists."""
    values = [str(i) for i in ids]
    best, length = 0, -1  # ids shown, length of "a,b,c" for them
    for shown, value in enumerate(values, 1):
        length += len(value) + 1
        rest = len(values) - shown
        if length + (len(f" and {rest} more") if rest else 0) > limit:
            break
        best = shown
    rest = len(values) - best
    text = ",".join(values[:best]) + (f" and {rest} more" if rest else "")
    return text.strip() if len(text) <= limit else f"{len(values)} ids"


def _valid_metadata(metadata: Mapping[str, object]) -> None:
    problems = metadata_problems(metadata)
    if problems:
        raise ValidationError("; ".join(problems))


def _is_deleted(obj: JSON) -> bool:
    return isinstance(obj, Mapping) and bool(obj.get("deleted"))


# ---------------------------------------------------------------- find or create a customer


class CustomerInput(Inputs):
    organization_id = fields.String(required=True, metadata={
        "label": "Organization id", "help": "kept in the customer's metadata to find it again"})
    name = fields.String(required=True, validate=validate.Length(min=1, max=256),
                         metadata={"label": "Customer name"})
    email = fields.Email(load_default=None, allow_none=True,
                         metadata={"label": "Billing e-mail"})
    customer_id = fields.String(load_default=None, allow_none=True, metadata={
        "label": "Known Stripe customer id", "help": "cus_…; found or created when empty"})


def find_or_create_customer(inputs: Mapping[str, Any], credentials: Credentials,
                            http: Http) -> JSON:
    """The organization's Stripe customer: the known id, else the one whose metadata names
    the organization, else a new one."""
    known = inputs.get("customer_id")
    if known:
        try:
            customer = http.get(f"/v1/customers/{quote(str(known), safe='')}")
        except Refused as exc:
            if exc.status != 404:
                raise
            customer = None  # a stale link (deleted in Stripe, or another account)
        if customer is not None and not _is_deleted(customer):
            return customer
    org_id = str(inputs["organization_id"])
    found = http.get("/v1/customers/search", params={
        "query": f"metadata['{ORG_METADATA_KEY}']:'{_quoted(org_id)}'", "limit": 1})
    data = found.get("data") if isinstance(found, Mapping) else None
    if data:
        return data[0]
    return http.post("/v1/customers", step="customer", form={
        "name": inputs["name"], "email": inputs.get("email"),
        "metadata": {ORG_METADATA_KEY: org_id, "source": "relaydesk"},
    })


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


# ---------------------------------------------------------------- invoices


class LineInput(Inputs):
    reference = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.:-]{1,80}$"),
                              metadata={"label": "Reference",
                                        "help": "unique within the invoice (letters, digits, _.:-)"})
    description = fields.String(required=True, validate=validate.Length(min=1, max=500),
                                metadata={"label": "Description"})
    quantity = fields.Decimal(required=True, validate=validate.Range(min=0, min_inclusive=False),
                              metadata={"label": "Quantity (e.g. hours)"})
    unit_amount = fields.Decimal(required=True, validate=validate.Range(min=0),
                                 metadata={"label": "Price per unit (e.g. 120.00)"})
    metadata = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict,
                           validate=_valid_metadata)


class InvoiceOptions(Inputs):
    currency = fields.String(load_default="usd", validate=validate.Regexp(r"^[A-Za-z]{3}$"),
                             metadata={"label": "Currency (ISO code)"})
    collection_method = fields.String(load_default="send_invoice",
                                      validate=validate.OneOf(COLLECTION_METHODS),
                                      metadata={"label": "Collection"})
    days_until_due = fields.Integer(load_default=30, validate=validate.Range(min=1, max=365),
                                    metadata={"label": "Days until due (sent invoices)"})
    description = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(max=1000),
                                metadata={"label": "Invoice memo"})
    metadata = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict,
                           validate=_valid_metadata)
    finalize = fields.Boolean(load_default=True, metadata={
        "label": "Finalize", "help": "off: leave the invoice as a draft in Stripe"})


class InvoiceInput(InvoiceOptions):
    customer = fields.String(required=True, metadata={"label": "Stripe customer id"})
    lines = fields.List(fields.Nested(LineInput), required=True,
                        validate=validate.Length(min=1, max=250), metadata={"label": "Lines"})


def _line_amount(line: Mapping[str, Any], currency: str) -> int:
    return minor_units(Decimal(line["quantity"]) * Decimal(line["unit_amount"]), currency)


def _line_metadata(line: Mapping[str, Any]) -> dict[str, str]:
    return {"quantity": format(Decimal(line["quantity"]), "f"),
            "unit_amount": format(Decimal(line["unit_amount"]), "f"),
            "reference": line["reference"], **(line.get("metadata") or {})}


def create_invoice(inputs: Mapping[str, Any], credentials: Credentials, http: Http) -> JSON:
    """A draft invoice with one invoice item per line, then finalized (unless told not to)."""
    currency = str(inputs["currency"]).lower()
    customer = str(inputs["customer"])
    references = [line["reference"] for line in inputs["lines"]]
    if len(set(references)) != len(references):
        raise Permanent("invoice lines need distinct references")
    sent = inputs["collection_method"] == "send_invoice"
    check_metadata(inputs.get("metadata") or {}, "invoice metadata")
    for line in inputs["lines"]:
        check_metadata(_line_metadata(line), f"metadata of line {line['reference']!r}")
    invoice = http.post("/v1/invoices", step="invoice", form={
        "customer": customer,
        "collection_method": inputs["collection_method"],
        "days_until_due": inputs["days_until_due"] if sent else None,
        "pending_invoice_items_behavior": "exclude",  # only the lines given here
        "auto_advance": False,  # finalized below, after the lines are added
        "description": inputs.get("description"),
        "metadata": dict(inputs.get("metadata") or {}) or None,
    })
    invoice_id = str(invoice["id"])
    items = []
    for line in inputs["lines"]:
        items.append(http.post("/v1/invoiceitems", step=f"item-{line['reference']}", form={
            "customer": customer, "invoice": invoice_id, "currency": currency,
            "amount": _line_amount(line, currency), "description": line["description"],
            "metadata": _line_metadata(line),
        }))
    if inputs["finalize"]:
        invoice = http.post(f"/v1/invoices/{quote(invoice_id, safe='')}/finalize",
                            step="finalize", form={"auto_advance": True})
    return {**invoice, "relaydesk_items": [item.get("id") for item in items]}


class BillInput(CustomerInput, InvoiceOptions):
    lines = fields.List(fields.Nested(LineInput), required=True,
                        validate=validate.Length(min=1, max=250), metadata={"label": "Lines"})


def bill(inputs: Mapping[str, Any], credentials: Credentials, http: Http) -> JSON:
    """Find or create the organization's customer, then invoice the lines."""
    customer = find_or_create_customer(inputs, credentials, http)
    invoice = create_invoice({**inputs, "customer": customer["id"]}, credentials, http)
    return {"customer": customer, "invoice": invoice}


def _auth(credentials: Credentials) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {credentials.get('api_key', '')}"}
    if credentials.get("api_version"):
        headers["Stripe-Version"] = credentials["api_version"]
    return headers


CONNECTOR = Connector(
    name="stripe",
    label="Stripe",
    help="Billing: customers for organizations, invoices from billable hours.",
    base_url="https://api.stripe.com",
    auth_fields=(
        AuthField("api_key", "Secret key", help="sk_… or a restricted key (rk_…) that may "
                  "write customers, invoices and invoice items"),
        AuthField("api_version", "API version", secret=False, required=False,
                  help="pins Stripe-Version, e.g. 2020-08-27; empty: the account's default"),
    ),
    actions=(
        Action("find_or_create_customer", "Find or create customer", CustomerInput,
               find_or_create_customer),
        Action("create_invoice", "Create invoice from lines", InvoiceInput, create_invoice),
        Action("bill", "Find customer and invoice lines", BillInput, bill),
    ),
    auth_headers=_auth,
    # 409: a request with the same idempotency key is still being processed.
    retry_statuses=frozenset({408, 409, 425}),
    default_retry_after=1.0,
)
