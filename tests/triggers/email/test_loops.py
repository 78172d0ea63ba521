"""Automatic-mail detection against Zammad's auto-response and out-of-office cases
(mail/zammad/auto-response-cases.json) and the derived flags of its parser corpus."""

from __future__ import annotations

import json

import pytest

from tests.triggers.email.conftest import MAIL_DATA, sample
from triggers.email.loops import classify
from triggers.email.parse import parse_message

CASES = json.loads((MAIL_DATA / "zammad" / "auto-response-cases.json").read_text())
FQDN = "desk.example"
# Zammad treats any Message-ID at its own host name as its own mail. We recognise our
# mail by the exact Message-IDs we sent (stored) and our own id prefix: a colleague on
# the helpdesk's domain writing in is not a robot.
DIFFERS = {"ar-06-message-id-at-own-fqdn": False}


def _verdict(raw: str):
    parsed = parse_message(raw.replace("{FQDN}", FQDN).replace("{TICKET_REF}", "[#7]")
                           .encode())
    return classify(parsed.headers, subject=parsed.subject, sender=parsed.sender.email,
                    content_type=parsed.top_content_type, message_id=parsed.message_id)


@pytest.mark.parametrize("case", CASES["auto_response_cases"],
                         ids=[c["id"] for c in CASES["auto_response_cases"]])
def test_zammad_auto_response_cases(case: dict) -> None:
    verdict = _verdict(case["raw"])
    expected = DIFFERS.get(case["id"], case["expected"]["is_auto_response"])
    assert verdict.automatic is expected, verdict
    if verdict.automatic:
        assert verdict.reason  # names the header that decided


@pytest.mark.parametrize("case", CASES["out_of_office_cases"],
                         ids=[c["id"] for c in CASES["out_of_office_cases"]])
def test_zammad_out_of_office_cases(case: dict) -> None:
    verdict = _verdict(case["raw"])
    expected = case["expected"]["x-zammad-out-of-office"]
    assert verdict.out_of_office is expected
    assert verdict.automatic is expected  # the plain follow-ups are answered by people


def test_corpus_flags_and_bounces_without_headers() -> None:
    fixtures = json.loads((MAIL_DATA / "zammad" / "expected.json").read_text())["fixtures"]
    for fixture in fixtures:
        parsed = parse_message(sample(f"zammad/{fixture['box']}"))
        sender = parsed.sender.email if parsed.sender else None
        verdict = classify(parsed.headers, subject=parsed.subject, sender=sender,
                           content_type=parsed.top_content_type, message_id=parsed.message_id)
        machine = fixture["derived_auto_response"]["is_auto_response"] \
            or fixture["derived_is_bounce"]
        assert verdict.automatic is machine, (fixture["id"], verdict)


@pytest.mark.parametrize("headers,envelope_from,sender,reason", [
    ({"x-autorespond": ["Vacation"]}, None, "ana@x.example", "X-Autorespond"),
    ({"x-autoreply": ["yes"]}, None, "ana@x.example", "X-Autoreply"),
    ({"list-id": ["<news.x.example>"]}, None, "ana@x.example", "List-Id"),
    ({"precedence": ["list"]}, None, "ana@x.example", "Precedence"),
    ({}, "", "ana@x.example", "empty envelope sender"),
    ({}, None, "MAILER-DAEMON@x.example", "MAILER-DAEMON"),
    ({}, None, "list-bounces@x.example", "list-bounces"),
    ({"auto-submitted": ["no"]}, None, "ana@x.example", None),
])
def test_other_machine_signs(headers, envelope_from, sender, reason) -> None:
    verdict = classify(headers, sender=sender, envelope_from=envelope_from)
    if reason is None:
        assert not verdict
    else:
        assert verdict and reason in verdict.reason


def test_our_own_mail_and_addresses() -> None:
    assert classify({}, sender="ana@x.example",
                    message_id="relaydesk.0123abcd@desk.example").kind == "loop"
    assert classify({}, sender="support@desk.example",
                    own_addresses=["support@desk.example"]).kind == "loop"
