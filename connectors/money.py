"""Money for vendors: one table of how many decimals each currency has in Stripe's API (with
Stripe's special rules), and amounts written for people by the currency's own exponent.

Stripe counts amounts in the currency's minor unit, but not always ISO 4217's: its
zero-decimal currencies are sent as whole units, its three-decimal ones (KWD, BHD, JOD, OMR,
TND) as thousandths whose last digit must be 0, and ISK — whole krónur since 2023 — stays
two-decimal in the API with amounts divisible by 100 (https://stripe.com/docs/currencies).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import UnknownCurrencyError, format_currency, get_currency_precision

#: Stripe's zero-decimal currencies: the amount is the number of whole units.
STRIPE_ZERO_DECIMAL = frozenset({
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf"})
#: Stripe's three-decimal currencies: thousandths, rounded to a multiple of 10.
STRIPE_THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})
#: Two-decimal in the API, but only whole units are accepted (amount divisible by 100).
STRIPE_WHOLE_UNITS_ONLY = frozenset({"isk"})


@dataclass(frozen=True)
class StripeCurrency:
    exponent: int  # amount = major units × 10**exponent
    step: int  # the amount must be a multiple of this


def stripe_currency(currency: str) -> StripeCurrency:
    """How Stripe wants amounts in ``currency`` (ISO code, any case)."""
    code = currency.strip().lower()
    if code in STRIPE_ZERO_DECIMAL:
        return StripeCurrency(0, 1)
    if code in STRIPE_THREE_DECIMAL:
        return StripeCurrency(3, 10)
    if code in STRIPE_WHOLE_UNITS_ONLY:
        return StripeCurrency(2, 100)
    return StripeCurrency(2, 1)


def stripe_amount(amount: Decimal, currency: str) -> int:
    """``amount`` in major units (e.g. 25.5 KWD) as Stripe's integer amount (25500),
    rounded half up to the nearest amount Stripe accepts for the currency."""
    rule = stripe_currency(currency)
    scaled = amount * (Decimal(10) ** rule.exponent) / rule.step
    return int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_UP)) * rule.step


def currency_digits(currency: str) -> int:
    """Decimals people write for ``currency`` (ISO 4217 as CLDR knows it; 2 if unknown)."""
    try:
        return int(get_currency_precision(currency.strip().upper()))
    except (UnknownCurrencyError, KeyError, ValueError):
        return 2


def format_money(amount: Decimal, currency: str, locale: str = "en") -> str:
    """``amount`` as people read it in ``locale``: the currency's own number of decimals
    (12,345 JPY, 25.500 KWD, 120.00 USD) and its code, never float noise."""
    code = currency.strip().upper()
    digits = currency_digits(code)
    rounded = Decimal(amount).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    try:
        return str(format_currency(rounded, code, format="#,##0.## ¤¤", locale=locale,
                                   currency_digits=True))
    except (UnknownCurrencyError, ValueError):
        return f"{rounded:,f} {code}"
