"""Amounts Stripe accepts for every currency in its list, metadata within Stripe's limits,
names HubSpot files right, and amounts written by the currency's exponent (issue 18)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from babel.numbers import get_currency_precision

from connectors.errors import Permanent
from connectors.hubspot import CONNECTOR as HUBSPOT
from connectors.money import format_money, stripe_amount, stripe_currency
from connectors.names import split_name
from connectors.stripe import CONNECTOR as STRIPE
from connectors.stripe import id_list
from tests.connectors.vendors import HubSpotLike, StripeLike

# Stripe's presentment currencies (docs.stripe.com/currencies, "Supported presentment
# currencies", with the three-decimal ones its API accepts).
STRIPE_CURRENCIES = """
usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl bsd bwp
byn bzd cad cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel gip
gmd gnf gtq gyd hkd hnl htg huf idr ils inr isk jmd jod jpy kes kgs khr kmf krw kwd kyd kzt
lak lbp lkr lrd lsl mad mdl mga mkd mmk mnt mop mur mvr mwk mxn myr mzn nad ngn nio nok npr
nzd omr pab pen pgk php pkr pln pyg qar ron rsd rub rwf sar sbd scr sek sgd shp sle sos srd
std szl thb tjs tnd top try ttd twd tzs uah ugx uyu uzs vnd vuv wst xaf xcd xof xpf yer zar
zmw""".split()
ZERO = {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd",
        "vuv", "xaf", "xof", "xpf"}
THREE = {"bhd", "jod", "kwd", "omr", "tnd"}
CREDENTIALS = {"api_key": StripeLike.token}


@pytest.mark.parametrize("currency", STRIPE_CURRENCIES)
def test_every_stripe_currency_has_one_rule(currency: str) -> None:
    rule = stripe_currency(currency)
    amount = stripe_amount(Decimal("2") * Decimal("25.00"), currency)  # 2 h × 25.00
    if currency in ZERO:
        assert (rule.exponent, amount) == (0, 50)
    elif currency in THREE:
        assert (rule.exponent, amount) == (3, 50000) and amount % 10 == 0
        assert stripe_amount(Decimal("5.124"), currency) == 5120  # nearest ten, as Stripe asks
    elif currency == "isk":
        assert amount == 5000 and stripe_amount(Decimal("40.10"), currency) == 4000
    else:
        assert (rule.exponent, amount) == (2, 5000)
    # People read the amount by the currency's own exponent (CLDR knows each code).
    assert get_currency_precision(currency.upper()) in (0, 2, 3)
    written = format_money(Decimal("12345"), currency)
    assert written.endswith(currency.upper()) and "12" in written


def test_amounts_are_written_by_the_currency_exponent() -> None:
    assert format_money(Decimal("12345"), "JPY") == "12,345 JPY"
    assert format_money(Decimal("25.5"), "kwd") == "25.500 KWD"
    assert format_money(Decimal("120"), "usd") == "120.00 USD"
    assert format_money(Decimal("1234.5"), "EUR", "pt_BR") == "1.234,50 EUR"


def _invoice(vendor: StripeLike, currency: str, lines: list[dict[str, Any]],
             metadata: dict[str, str] | None = None) -> Any:
    http = STRIPE.http(CREDENTIALS, base_url=vendor.url)
    return STRIPE.action("bill").run({
        "organization_id": "9", "name": "Kuwait Clinics", "currency": currency,
        "lines": lines, "metadata": metadata or {}}, CREDENTIALS, http)


@pytest.mark.parametrize(("currency", "rate", "expected"), [
    ("kwd", "25.00", 50000), ("bhd", "12.345", 24690), ("isk", "1500.40", 300100),
    ("jpy", "12345", 24690), ("usd", "120.00", 24000)])
def test_stripe_accepts_the_amounts_sent(stripe_vendor: StripeLike, currency: str, rate: str,
                                         expected: int) -> None:
    result = _invoice(stripe_vendor, currency, [
        {"reference": "p1", "description": "2 h", "quantity": "2", "unit_amount": rate}])
    assert result["invoice"]["amount_due"] == expected
    stripe_vendor.assert_all_valid()


def test_metadata_over_stripes_limits_fails_before_any_request(
        stripe_vendor: StripeLike) -> None:
    line = {"reference": "p1", "description": "2 h", "quantity": "2", "unit_amount": "10"}
    cases = [
        ({f"k{i}": "v" for i in range(51)}, "has 51 keys; Stripe allows 50"),
        ({"k" * 41: "v"}, "is 41 characters long; Stripe allows 40"),
        ({"timesheets": "1" * 501}, "is 501 characters long; Stripe allows 500"),
    ]
    for metadata, words in cases:
        with pytest.raises(Permanent, match=words):
            STRIPE.action("create_invoice").run(
                {"customer": "cus_x", "currency": "usd", "metadata": metadata,
                 "lines": [line]}, CREDENTIALS, STRIPE.http(CREDENTIALS,
                                                            base_url=stripe_vendor.url))
        # A line's own metadata (with the keys the connector adds) is checked too.
        with pytest.raises(Permanent, match=words.split(";")[0][-20:]):
            _invoice(stripe_vendor, "usd", [{**line, "metadata": metadata}])
    assert stripe_vendor.requests("POST /v1/invoice.*") == []


def test_a_list_of_ids_is_never_cut_inside_an_id() -> None:
    ids = list(range(100000, 100120))  # 120 timesheets: 839 characters in full
    value = id_list(ids)
    assert len(value) <= 500
    shown, more = value.split(" and ")
    assert more.endswith(" more")
    listed = shown.split(",")
    assert listed == [str(i) for i in ids[:len(listed)]]  # whole ids, in order
    assert len(listed) + int(more.split()[0]) == 120
    assert id_list([7, 8]) == "7,8"


# Names as they stand in real address books (the cases, Zammad's and talon's
# corpora senders: "Last, First", titles, particles, suffixes).
NAMES = [
    ("Müller, Bernd", "Bernd", "Müller"),
    ("Dr. Anna Schmidt", "Anna", "Schmidt"),
    ("Prof. Dr. Hans-Peter Müller-Lüdenscheidt", "Hans-Peter", "Müller-Lüdenscheidt"),
    ("van der Berg, Jan", "Jan", "van der Berg"),
    ("Bernd Müller Jr.", "Bernd", "Müller"),
    ("Ana Maria Lima", "Ana Maria", "Lima"),
    ("Íñigo Muñoz", "Íñigo", "Muñoz"),
    ("Madonna", "Madonna", None),
]


@pytest.mark.parametrize(("full", "first", "last"), NAMES)
def test_names_split_for_crms(full: str, first: str, last: str | None) -> None:
    assert split_name(full) == (first, last)


def test_hubspot_gets_first_and_last_name_from_a_full_name(
        hubspot_vendor: HubSpotLike) -> None:
    http = HUBSPOT.http({"access_token": HubSpotLike.token}, base_url=hubspot_vendor.url)
    creds = {"access_token": HubSpotLike.token}
    HUBSPOT.action("upsert_contact").run(
        {"email": "bernd@example.de", "name": "Müller, Bernd"}, creds, http)
    HUBSPOT.action("mirror_ticket").run(
        {"subject": "[Relaydesk #3] Heizung", "contact_email": "anna@example.de",
         "contact_name": "Dr. Anna Schmidt"}, creds, http)
    people = {c["properties"]["email"]: c["properties"] for c in hubspot_vendor.all("contacts")}
    assert (people["bernd@example.de"]["firstname"], people["bernd@example.de"]["lastname"]) \
        == ("Bernd", "Müller")
    assert (people["anna@example.de"]["firstname"], people["anna@example.de"]["lastname"]) \
        == ("Anna", "Schmidt")
    # First and last names given beside the full name win.
    HUBSPOT.action("upsert_contact").run(
        {"email": "bernd@example.de", "name": "Müller, Bernd", "firstname": "B."}, creds, http)
    assert next(c for c in hubspot_vendor.all("contacts")
                if c["properties"]["email"] == "bernd@example.de")["properties"]["firstname"] \
        == "B."
    hubspot_vendor.assert_all_valid()
