"""The Stripe connector against a Stripe-like server that checks every request with Stripe's
OpenAPI document."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from connectors.base import MemoryJournal
from connectors.errors import Permanent, RateLimited, Retryable
from connectors.stripe import CONNECTOR, ORG_METADATA_KEY, minor_units
from tests.connectors.vendors import StripeLike

CREDENTIALS = {"api_key": StripeLike.token}


def _http(vendor: StripeLike, journal: MemoryJournal | None = None, **kw: Any) -> Any:
    return CONNECTOR.http(CREDENTIALS, base_url=vendor.url, journal=journal, **kw)


def _bill_inputs(**overrides: Any) -> dict[str, Any]:
    inputs: dict[str, Any] = {
        "organization_id": "7", "name": "Acme Clinics", "email": "billing@acme.example",
        "currency": "usd", "days_until_due": 14,
        "lines": [
            {"reference": "p1", "description": "Website: 2.50 h × 120.00", "quantity": "2.5",
             "unit_amount": "120.00"},
            {"reference": "p2", "description": "Support: 1.25 h × 80.00", "quantity": "1.25",
             "unit_amount": "80"},
        ],
        "metadata": {ORG_METADATA_KEY: "7"},
    }
    inputs.update(overrides)
    return inputs


def test_minor_units_round_half_up_and_know_zero_decimal_currencies() -> None:
    assert minor_units(Decimal("2.5") * Decimal("120.00"), "usd") == 30000
    assert minor_units(Decimal("0.333") * Decimal("10"), "eur") == 333
    assert minor_units(Decimal("0.005"), "usd") == 1
    assert minor_units(Decimal("1.5") * Decimal("1000"), "JPY") == 1500


def test_bill_creates_customer_invoice_items_and_finalizes(stripe_vendor: StripeLike) -> None:
    result = CONNECTOR.action("bill").run(_bill_inputs(), CREDENTIALS, _http(stripe_vendor))

    customer, invoice = result["customer"], result["invoice"]
    assert customer["metadata"] == {ORG_METADATA_KEY: "7", "source": "relaydesk"}
    assert customer["email"] == "billing@acme.example"
    assert invoice["status"] == "open" and invoice["customer"] == customer["id"]
    assert invoice["amount_due"] == 30000 + 10000
    assert [line["amount"] for line in invoice["lines"]["data"]] == [30000, 10000]
    assert invoice["lines"]["data"][0]["metadata"]["quantity"] == "2.5"
    stored = stripe_vendor.invoices[invoice["id"]]
    assert stored["collection_method"] == "send_invoice" and stored["days_until_due"] == 14
    assert stored["metadata"] == {ORG_METADATA_KEY: "7"}
    # Every POST carried an idempotency key, each a different one.
    posts = stripe_vendor.posts_with_keys()
    assert [p for p, _, _ in posts] == ["/v1/customers", "/v1/invoices", "/v1/invoiceitems",
                                        "/v1/invoiceitems",
                                        f"/v1/invoices/{invoice['id']}/finalize"]
    keys = [k for _, k, _ in posts]
    assert all(keys) and len(set(keys)) == len(keys)


def test_a_second_bill_finds_the_customer_by_metadata(stripe_vendor: StripeLike) -> None:
    first = CONNECTOR.action("bill").run(_bill_inputs(), CREDENTIALS, _http(stripe_vendor))
    second = CONNECTOR.action("bill").run(_bill_inputs(), CREDENTIALS, _http(stripe_vendor))
    assert second["customer"]["id"] == first["customer"]["id"]
    assert len(stripe_vendor.customers) == 1 and len(stripe_vendor.invoices) == 2
    # A known id is used as it is; a stale one is looked up again by metadata.
    known = CONNECTOR.action("find_or_create_customer").run(
        {"organization_id": "7", "name": "Acme", "customer_id": first["customer"]["id"]},
        CREDENTIALS, _http(stripe_vendor))
    assert known["id"] == first["customer"]["id"]
    stale = CONNECTOR.action("find_or_create_customer").run(
        {"organization_id": "7", "name": "Acme", "customer_id": "cus_gone"}, CREDENTIALS,
        _http(stripe_vendor))
    assert stale["id"] == first["customer"]["id"]
    assert len(stripe_vendor.customers) == 1


def test_a_retry_with_the_same_journal_never_bills_twice(stripe_vendor: StripeLike) -> None:
    """The answer to the invoice item POST is lost (a 500 after Stripe acted is the same as a
    dead worker): the retry sends the same keys, Stripe replays, one invoice results."""
    journal = MemoryJournal("delivery-42")
    # The first item is made, but its answer comes after the client stopped waiting.
    lost = stripe_vendor.hold("POST /v1/invoiceitems")
    with pytest.raises(Retryable, match="did not answer in time"):
        CONNECTOR.action("bill").run(_bill_inputs(), CREDENTIALS,
                                     _http(stripe_vendor, journal, timeout=(2.0, 0.5)))
    lost.release.set()
    assert len(stripe_vendor.items) == 1 and "item-p1" not in journal.results

    result = CONNECTOR.action("bill").run(_bill_inputs(), CREDENTIALS,
                                          _http(stripe_vendor, journal))
    assert len(stripe_vendor.customers) == 1 and len(stripe_vendor.invoices) == 1
    assert len(stripe_vendor.items) == 2
    assert result["invoice"]["amount_due"] == 40000
    # Steps answered before were not sent again; the lost one was, with its key.
    again = [s for s in stripe_vendor.requests("POST .*") if s.replayed]
    assert [s.idempotency_key for s in again] == ["delivery-42-item-p1"]
    # A third run of the finished work calls nothing at all.
    before = len(stripe_vendor.seen)
    assert CONNECTOR.action("bill").run(_bill_inputs(), CREDENTIALS,
                                        _http(stripe_vendor, journal)) == result
    assert len([s for s in stripe_vendor.seen[before:] if s.method == "POST"]) == 0


def test_rate_limits_server_errors_and_refusals_are_typed(stripe_vendor: StripeLike) -> None:
    stripe_vendor.fail("POST /v1/customers", 429, headers={"Retry-After": "7"})
    with pytest.raises(RateLimited) as limited:
        CONNECTOR.action("bill").run(_bill_inputs(), CREDENTIALS, _http(stripe_vendor))
    assert limited.value.after == 7.0 and limited.value.from_vendor
    assert "429" in str(limited.value)

    stripe_vendor.fail("POST /v1/invoices", 503, headers={"Retry-After": "3"})
    with pytest.raises(Retryable) as unavailable:
        CONNECTOR.action("bill").run(_bill_inputs(), CREDENTIALS, _http(stripe_vendor))
    assert not isinstance(unavailable.value, RateLimited) and unavailable.value.after == 3.0

    stripe_vendor.fail("POST /v1/invoices", 500)
    with pytest.raises(Retryable) as failed:
        CONNECTOR.action("bill").run(_bill_inputs(), CREDENTIALS, _http(stripe_vendor))
    assert failed.value.after is None

    with pytest.raises(Permanent) as refused:
        CONNECTOR.action("bill").run(_bill_inputs(), {"api_key": "sk_test_wrong"},
                                     CONNECTOR.http({"api_key": "sk_test_wrong"},
                                                    base_url=stripe_vendor.url))
    assert "401" in str(refused.value) and "Invalid API key" in str(refused.value)


def test_inputs_are_validated_before_any_call(stripe_vendor: StripeLike) -> None:
    with pytest.raises(Permanent) as bad:
        CONNECTOR.action("bill").run(_bill_inputs(currency="dollars", lines=[]), CREDENTIALS,
                                     _http(stripe_vendor))
    assert "currency" in str(bad.value) and "lines" in str(bad.value)
    duplicate = _bill_inputs(lines=[_bill_inputs()["lines"][0]] * 2)
    with pytest.raises(Permanent, match="distinct references"):
        CONNECTOR.action("bill").run(duplicate, CREDENTIALS, _http(stripe_vendor))
    assert stripe_vendor.requests("POST /v1/invoices.*") == []


def test_the_spec_check_catches_a_request_stripe_would_refuse(
        stripe_vendor: StripeLike) -> None:
    """The checking server is not a rubber stamp: unknown parameters, wrong types, missing
    required ones and unknown paths are refused and recorded."""
    http = _http(stripe_vendor)
    with pytest.raises(Permanent):
        http.post("/v1/invoiceitems", form={"amount": 100, "currency": "usd"}, step="a")
    with pytest.raises(Permanent):
        http.post("/v1/customers", form={"name": "x", "nickname": "y"}, step="b")
    with pytest.raises(Permanent):
        http.post("/v1/invoices", form={"customer": "cus_1",
                                        "pending_invoice_items_behavior": "all"}, step="c")
    with pytest.raises(Permanent):
        http.get("/v1/customerz")
    problems = list(stripe_vendor.invalid)
    stripe_vendor.invalid.clear()
    assert len(problems) == 4
    assert "'customer' is a required property" in problems[0]
    assert "unknown parameter 'nickname'" in problems[1]
    assert "is not one of" in problems[2]
    assert "Path not found" in problems[3]


def test_create_invoice_as_a_draft_charged_automatically(stripe_vendor: StripeLike) -> None:
    customer = CONNECTOR.action("find_or_create_customer").run(
        {"organization_id": "9", "name": "Beta Ltd"}, CREDENTIALS, _http(stripe_vendor))
    invoice = CONNECTOR.action("create_invoice").run({
        "customer": customer["id"], "currency": "JPY", "finalize": False,
        "collection_method": "charge_automatically",
        "lines": [{"reference": "x", "description": "Setup", "quantity": "1.5",
                   "unit_amount": "1000"}]}, CREDENTIALS, _http(stripe_vendor))
    assert invoice["status"] == "draft" and invoice["relaydesk_items"]
    stored = stripe_vendor.invoices[invoice["id"]]
    assert stored["collection_method"] == "charge_automatically"
    assert stored["days_until_due"] is None  # only sent for invoices sent to the customer
    [item] = stripe_vendor.items.values()
    assert (item["amount"], item["currency"]) == (1500, "jpy")  # no minor unit for yen
    assert stripe_vendor.requests("POST .*/finalize") == []
