"""Connections through the API and the screens: credentials are encrypted at rest and never
come back (not in any response, page or the OpenAPI document); bad input is named; the
connector catalogue lists auth fields and action forms."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from tests.clients import Browser
from tests.factories import ApiClient, Factory
from webapp.models import Connection, RecipeAction
from webapp.models.connections import KEY_FILE, CredentialsError, connection_cipher

SECRET = "sk_test_Zq81secretvalue"


def _admin(app, make: Factory) -> ApiClient:
    return ApiClient(app.test_client(), make.user("Admin").username)


def _create(api: ApiClient, **overrides: object) -> object:
    body = {"name": "Stripe live", "connector": "stripe", "base_url": "http://127.0.0.1:9",
            "credentials": {"api_key": SECRET}}
    body.update(overrides)
    return api.post("/api/v1/connection/", json=body)


def test_credentials_are_write_only_and_encrypted_at_rest(app, make: Factory) -> None:
    api = _admin(app, make)
    created = _create(api)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["result"]["credential_names"] == ["api_key"]
    assert body["result"]["connector"] == "stripe" and body["result"]["enabled"] is True
    pk = body["id"]
    answers = [created, api.get(f"/api/v1/connection/{pk}"), api.get("/api/v1/connection/"),
               api.get("/api/v1/connection/_info"), api.get("/api/v1/_openapi"),
               api.get("/api/v1/connection/?q=(columns:!(credentials_encrypted,name))"),
               api.get(f"/api/v1/connection/{pk}?q=(columns:!(credentials_encrypted))")]
    for answer in answers:
        assert answer.status_code in (200, 201)
        text = answer.get_data(as_text=True)
        assert SECRET not in text and "credentials_encrypted" not in text and "gAAAA" not in text
    # Nor can the ciphertext be probed through filters or ordering.
    assert api.get("/api/v1/connection/?q=(filters:!((col:credentials_encrypted,opr:sw,"
                   "value:g)))").status_code == 400
    assert api.get("/api/v1/connection/?q=(order_column:credentials_encrypted,"
                   "order_direction:asc)").status_code == 400

    make.session.expire_all()
    row = make.session.get(Connection, pk)
    assert SECRET not in row.credentials_encrypted
    with app.app_context():
        cipher = connection_cipher(app.config["CONNECTION_KEY"], app.config["DATA_DIR"])
    assert row.credentials(cipher) == {"api_key": SECRET}

    # Update: only the fields given change; the others are kept.
    updated = api.put(f"/api/v1/connection/{pk}", json={
        "name": "Stripe (live)", "credentials": {"api_version": "2020-08-27"}})
    assert updated.status_code == 200, updated.get_json()
    assert updated.get_json()["result"]["credential_names"] == ["api_key", "api_version"]
    assert SECRET not in updated.get_data(as_text=True)
    make.session.expire_all()
    assert make.session.get(Connection, pk).credentials(cipher) == {
        "api_key": SECRET, "api_version": "2020-08-27"}
    assert api.put(f"/api/v1/connection/{pk}", json={"enabled": False}).status_code == 200
    make.session.expire_all()
    assert make.session.get(Connection, pk).credentials(cipher)["api_key"] == SECRET


def test_bad_input_is_named(app, make: Factory) -> None:
    api = _admin(app, make)
    cases = [
        ({"connector": "paypal"}, "connector"),
        ({"credentials": {}}, "credentials"),
        ({"credentials": {"api_key": SECRET, "password": "x"}}, "credentials"),
        ({"base_url": "ftp://example.com"}, "base_url"),
        ({"name": ""}, "name"),
    ]
    for overrides, field in cases:
        answer = _create(api, **overrides)
        assert answer.status_code == 422, (overrides, answer.get_json())
        assert field in answer.get_json()["message"], answer.get_json()
    assert api.post("/api/v1/connection/", data="x", content_type="text/plain"
                    ).status_code == 400
    first = _create(api)
    assert first.status_code == 201
    taken = _create(api, name="stripe LIVE")
    assert taken.status_code == 422
    assert taken.get_json()["message"] == {"name": ["a connection with this name exists"]}
    pk = first.get_json()["id"]
    assert api.put(f"/api/v1/connection/{pk}", json={"connector": "hubspot"}
                   ).get_json()["message"] == {"connector": [
                       "cannot change; create another connection"]}
    removed = api.put(f"/api/v1/connection/{pk}", json={"credentials": {"api_key": None}})
    assert removed.status_code == 422
    assert removed.get_json()["message"] == {"credentials": {"api_key": ["is required"]}}
    assert api.put("/api/v1/connection/999999", json={"name": "x"}).status_code == 404
    make.session.expire_all()
    assert make.session.scalars(select(Connection)).one().name == "Stripe live"


def test_connections_are_the_admins_alone(app, make: Factory) -> None:
    """Connections are integration plumbing (webapp/access/rules.py): agents see none."""
    admin = _admin(app, make)
    created = _create(admin)
    assert created.status_code == 201
    agent = ApiClient(app.test_client(), make.user("Agent").username)
    listed = agent.get("/api/v1/connection/")
    assert listed.status_code == 200 and listed.get_json()["count"] == 0
    assert agent.get(f"/api/v1/connection/{created.get_json()['id']}").status_code == 404
    assert SECRET not in listed.get_data(as_text=True)
    assert _create(agent, name="mine").status_code == 403
    assert agent.get("/api/v1/connector/").status_code == 200


def test_connector_catalogue_lists_auth_fields_and_action_forms(app, make: Factory) -> None:
    api = _admin(app, make)
    answer = api.get("/api/v1/connector/")
    assert answer.status_code == 200
    catalogue = {c["name"]: c for c in answer.get_json()["result"]}
    assert set(catalogue) == {"stripe", "hubspot", "http"}
    stripe = catalogue["stripe"]
    assert stripe["auth_fields"][0] == {"name": "api_key", "label": "Secret key",
                                        "secret": True, "required": True,
                                        "help": stripe["auth_fields"][0]["help"]}
    actions = {a["name"]: a for a in stripe["actions"]}
    assert {"stripe.bill_hours", "stripe.find_or_create_customer", "stripe.create_invoice",
            "stripe.bill"} <= set(actions)
    bill = actions["stripe.bill_hours"]
    assert bill["kind"] == "connector"
    fields = {f["name"]: f for f in bill["fields"]}
    assert bill["fields"][0]["name"] == "connection" and fields["connection"]["required"]
    assert fields["collection_method"]["choices"] == ["send_invoice", "charge_automatically"]
    assert fields["scope"]["choices"] == ["organization", "item"]
    hubspot_actions = {a["name"] for a in catalogue["hubspot"]["actions"]}
    assert {"hubspot.sync_customer", "hubspot.mirror_ticket", "hubspot.upsert_contact"} <= \
        hubspot_actions
    assert [a["name"] for a in catalogue["http"]["actions"]] == ["http.request"]
    assert api.get("/api/v1/connector/stripe").get_json()["result"]["name"] == "stripe"
    assert api.get("/api/v1/connector/paypal").status_code == 404
    # The recipe API checks connector actions' inputs like any other.
    recipes = api.get("/api/v1/recipe/").get_json()["result"]
    refused = api.post("/api/v1/recipe_action/", json={
        "recipe": recipes[0]["id"], "action_type": "stripe.bill_hours",
        "params": {"currency": "dollars"}})
    assert refused.status_code == 422
    assert set(refused.get_json()["message"]["params"]) == {"connection", "currency"}
    make.session.expire_all()
    assert make.session.scalars(select(RecipeAction).where(
        RecipeAction.action_type == "stripe.bill_hours")).first() is None
    # A template stands for a value known at delivery time: only its syntax is checked now.
    bad_email = api.post("/api/v1/recipe_action/", json={
        "recipe": recipes[0]["id"], "action_type": "stripe.bill_hours",
        "params": {"connection": "Stripe live", "email": "billing at acme"}})
    assert bad_email.status_code == 422
    assert list(bad_email.get_json()["message"]["params"]) == ["email"]
    templated = api.post("/api/v1/recipe_action/", json={
        "recipe": recipes[0]["id"], "action_type": "stripe.bill_hours",
        "params": {"connection": "Stripe live", "email": "{{ requester.email }}",
                   "days_until_due": "{{ 7 * 2 }}"}})
    assert templated.status_code == 201, templated.get_json()
    broken = api.post("/api/v1/recipe_action/", json={
        "recipe": recipes[0]["id"], "action_type": "stripe.bill_hours",
        "params": {"connection": "Stripe live", "email": "{{ requester.email"}})
    assert broken.status_code == 422 and "email" in broken.get_json()["message"]["params"]


def test_screens_take_credentials_and_never_show_them(app, client, make: Factory) -> None:
    browser = Browser(app, client, make.user("Admin").username)
    form = browser.page("/connections/add")
    assert "new_credentials" in form and "api_key" in form  # the help names the fields
    refused = browser.post("/connections/add", follow_redirects=True, data={
        "name": "HubSpot", "connector": "hubspot", "base_url": "", "enabled": "y",
        "new_credentials": "{}"})
    assert "credentials: {&#39;access_token&#39;: [&#39;is required&#39;]}" in \
        refused.get_data(as_text=True)
    make.session.expire_all()
    assert make.session.scalars(select(Connection)).first() is None

    browser.post("/connections/add", data={
        "name": "HubSpot", "connector": "hubspot", "base_url": "http://127.0.0.1:9",
        "enabled": "y", "new_credentials": json.dumps({"access_token": SECRET})})
    make.session.expire_all()
    row = make.session.scalars(select(Connection)).one()
    assert row.credential_names == ["access_token"] and SECRET not in row.credentials_encrypted
    for page in (browser.page("/connections/list/"), browser.page(f"/connections/show/{row.id}"),
                 browser.page(f"/connections/edit/{row.id}")):
        assert SECRET not in page and row.credentials_encrypted not in page
    # Editing without credentials keeps them.
    browser.post(f"/connections/edit/{row.id}", data={
        "name": "HubSpot CRM", "base_url": "http://127.0.0.1:9", "enabled": "y",
        "new_credentials": ""})
    make.session.expire_all()
    row = make.session.get(Connection, row.id)
    with app.app_context():
        cipher = connection_cipher(app.config["CONNECTION_KEY"], app.config["DATA_DIR"])
    assert row.name == "HubSpot CRM" and row.credentials(cipher) == {"access_token": SECRET}


def test_the_key_is_generated_once_into_the_data_folder_or_configured(tmp_path: Path) -> None:
    first = connection_cipher("", str(tmp_path))
    key_file = tmp_path / KEY_FILE
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    token = first.encrypt(b"x")
    assert connection_cipher(None, str(tmp_path)).decrypt(token) == b"x"
    # Rotation: a new key first, the old one still reads what it wrote.
    old = key_file.read_text().strip()
    new = Fernet.generate_key().decode()
    rotated = connection_cipher(f"{new},{old}", str(tmp_path / "elsewhere"))
    assert rotated.decrypt(token) == b"x"
    assert connection_cipher(new, str(tmp_path)).decrypt(rotated.encrypt(b"y")) == b"y"
    assert not (tmp_path / "elsewhere").exists()
    with pytest.raises(CredentialsError, match="Fernet"):
        connection_cipher("not-a-key", str(tmp_path))
    row = Connection(name="x", connector="stripe")
    row.set_credentials({"api_key": "k", "api_version": ""}, first)
    assert row.credential_names == ["api_key"]
    with pytest.raises(CredentialsError, match="cannot be decrypted"):
        row.credentials(connection_cipher(new, str(tmp_path)))
