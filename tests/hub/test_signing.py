"""Standard Webhooks signing: our signer against the upstream test vectors, and our headers
verified by the ``standardwebhooks`` library (not our own code), during a rotation too."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from hub import signing
from tests.conftest import SHARED_DATA

VECTORS = json.loads((SHARED_DATA / "webhooks" / "vectors.json").read_text())
FIXED = VECTORS["fixed_sign_vectors"] + VECTORS["derived_fixed_vectors_NOT_upstream"]["vectors"]


@pytest.mark.parametrize("vector", FIXED, ids=lambda v: v["secret"][-8:])
def test_signer_matches_the_vectors(vector: dict) -> None:
    assert signing.sign(vector["secret"], vector["msg_id"], vector["timestamp"],
                        vector["payload"]) == vector["expected_signature"]
    # The library agrees on the same vector (a cross-check of the vectors themselves).
    when = dt.datetime.fromtimestamp(vector["timestamp"], tz=dt.UTC)
    assert Webhook(vector["secret"]).sign(vector["msg_id"], when, vector["payload"]) == \
        vector["expected_signature"]


def test_a_wrong_signature_from_the_vectors_is_not_ours() -> None:
    vector = VECTORS["fixed_sign_vectors"][0]
    assert signing.sign(vector["secret"], vector["msg_id"], vector["timestamp"] + 1,
                        vector["payload"]) != vector["expected_signature"]
    assert signing.sign(vector["secret"], vector["msg_id"] + "x", vector["timestamp"],
                        vector["payload"]) != vector["expected_signature"]


def test_library_verifies_our_headers_with_either_secret_during_rotation() -> None:
    old, new = signing.new_secret(), signing.new_secret()
    assert old.startswith("whsec_") and old != new
    body = json.dumps({"type": "ticket.created", "data": {"id": 1}})
    headers = signing.headers([new, old], "msg_relaydesk_7", int(time.time()), body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert Webhook(new).verify(body, headers) == json.loads(body)
    assert Webhook(old).verify(body, headers) == json.loads(body)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):  # a changed body
        Webhook(new).verify(body.replace("1", "2"), headers)
    after = signing.headers([new], "msg_relaydesk_8", int(time.time()), body)
    with pytest.raises(WebhookVerificationError):  # the grace period is over
        Webhook(old).verify(body, after)


@pytest.mark.parametrize("bad", ["", "whsec_", "whsec_***not base64***"])
def test_unusable_secrets_are_refused(bad: str) -> None:
    with pytest.raises(signing.SecretError):
        signing.sign(bad, "msg", 1, "{}")
