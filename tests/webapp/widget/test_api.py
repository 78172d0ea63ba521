"""The visitor's chat API: start, post, poll, close; key isolation; validation; rate limit;
a signed-in customer's chat tied to their profile; nothing of staff in any answer."""

from __future__ import annotations

import contextlib
import json

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from webapp.models import ChatConversation, ChatMessage, ChatStatus, Portal
from webapp.widget import conversations
from webapp.widget.conversations import MAX_BODY, key_hash

API = "/widget/help/api/chat"


def _call(app, client, method, url=API, key="new", **kw):
    headers = {"X-Widget-Key": key} if key is not None else {}
    with app.app_context():
        return client.open(url, method=method, headers=headers, **kw)


def _start(app, client, **data):
    data.setdefault("body", "Hello, my printer is on fire")
    return _call(app, client, "POST", json=data)


def _chat(make, key: str) -> ChatConversation:
    make.session.expire_all()
    return make.session.scalar(select(ChatConversation).where(
        ChatConversation.visitor_key_hash == key_hash(key)))


def _portal(make, slug: str = "help") -> Portal:
    return make.session.scalar(select(Portal).where(Portal.slug == slug))


@contextlib.contextmanager
def _limit(app, setting: str, value: str):
    before = app.config[setting]
    app.config[setting] = value
    try:
        yield
    finally:
        app.config[setting] = before


def test_a_visitor_starts_writes_reads_the_answer_and_closes(app, client, make):
    agent = make.user("Agent")
    agent.first_name = "Omar"
    make.session.commit()
    started = _start(app, client, name="Vera Visitor", email="Vera@Site.example",
                     page_url="https://site.example/pricing")
    assert started.status_code == 201, started.get_data(as_text=True)
    data = started.get_json()
    key = data["key"]
    assert len(key) >= 40
    assert [m["body"] for m in data["messages"]] == ["Hello, my printer is on fire"]
    assert data["status"] == "open" and data["ticket"] is None

    chat = _chat(make, key)
    assert chat.visitor_key_hash != key  # only the hash is stored
    assert chat.visitor_name == "Vera Visitor"
    assert chat.visitor_email == "vera@site.example"
    assert chat.page_url == "https://site.example/pricing"
    assert chat.customer_id is None

    first_id = data["messages"][0]["id"]
    answer = conversations.add_message(make.session, chat, "Is it plugged in?",
                                       user_id=agent.id)
    polled = _call(app, client, "GET", f"{API}?after={first_id}", key=key)
    assert polled.status_code == 200
    assert polled.get_json()["messages"] == [{
        "id": answer.id, "from_visitor": False, "author": agent.first_name,
        "body": "Is it plugged in?",
        "created_at": answer.created_at.isoformat() + "Z"}]

    posted = _call(app, client, "POST", f"{API}/messages", key=key,
                   json={"body": "  It is, and now it smokes.  "})
    assert posted.status_code == 201
    assert posted.get_json()["message"]["body"] == "It is, and now it smokes."
    everything = _call(app, client, "GET", API, key=key).get_json()
    assert [m["from_visitor"] for m in everything["messages"]] == [True, False, True]

    closed = _call(app, client, "POST", f"{API}/close", key=key, json={})
    assert closed.status_code == 200 and closed.get_json() == {"status": "closed"}
    assert _chat(make, key).status == ChatStatus.CLOSED
    # Writing again reopens the chat, so the message is not lost on a closed chat.
    again = _call(app, client, "POST", f"{API}/messages", key=key, json={"body": "Hello?"})
    assert again.status_code == 201
    assert _chat(make, key).status == ChatStatus.OPEN


def test_a_key_reaches_only_its_own_conversation(app, client, make):
    make.session.add(Portal(slug="other", name="Other help"))
    make.session.commit()
    key_a = _start(app, client, body="I am A").get_json()["key"]
    key_b = _start(app, client, body="I am B").get_json()["key"]
    seen_by_b = _call(app, client, "GET", API, key=key_b).get_json()["messages"]
    assert [m["body"] for m in seen_by_b] == ["I am B"]

    for key in ("", "new", "x" * 43, key_a[:-1] + ("A" if key_a[-1] != "A" else "B")):
        for method, url, body in (("GET", API, None), ("POST", f"{API}/messages", {"body": "hi"}),
                                  ("POST", f"{API}/close", {})):
            response = _call(app, client, method, url, key=key, json=body)
            assert response.status_code == 404, (key, url)
            assert "errors" in response.get_json()
    # The right key on another portal's widget is no key at all.
    response = _call(app, client, "GET", "/widget/other/api/chat", key=key_a)
    assert response.status_code == 404
    # No key header at all.
    assert _call(app, client, "GET", API, key=None).status_code == 404
    assert _chat(make, key_a).status == ChatStatus.OPEN
    assert make.session.scalar(select(ChatMessage).where(ChatMessage.body == "hi")) is None


def test_bad_input_gets_clear_json_errors_and_nothing_is_stored(app, client, make):
    empty = _start(app, client, body="   ")
    assert empty.status_code == 422
    assert list(empty.get_json()["errors"]) == ["body"]
    both = _start(app, client, body="", email="not-an-address", name="n" * 201)
    assert both.status_code == 422
    assert set(both.get_json()["errors"]) == {"body", "email", "name"}
    too_long = _start(app, client, body="x" * (MAX_BODY + 1))
    assert too_long.status_code == 422
    assert str(MAX_BODY) in too_long.get_json()["errors"]["body"][0]
    garbage = _call(app, client, "POST", data="{not json", content_type="application/json")
    assert garbage.status_code == 422 and "_schema" in garbage.get_json()["errors"]
    assert make.session.scalar(select(ChatConversation.id)) is None

    key = _start(app, client).get_json()["key"]
    for body in ({"body": ""}, {"body": None}, {"body": "y" * (MAX_BODY + 1)}, {}):
        response = _call(app, client, "POST", f"{API}/messages", key=key, json=body)
        assert response.status_code == 422
        assert list(response.get_json()["errors"]) == ["body"]
    assert len(_chat(make, key).messages) == 1
    # A page address that is not a web address is dropped, not stored.
    odd = _start(app, client, page_url="javascript:alert(1)").get_json()["key"]
    assert _chat(make, odd).page_url is None


def test_nothing_of_staff_reaches_the_visitor(app, client, make):
    agent = make.user("Agent", name="secretagent")
    agent.first_name, agent.last_name = "Ana Maria", "Hiddenlast"
    make.session.commit()
    started = _start(app, client, email="v@site.example")
    key = started.get_json()["key"]
    chat = _chat(make, key)
    conversations.add_message(make.session, chat, "Hi, Ana here", user_id=agent.id)
    chat.assigned_user_id = agent.id
    make.session.commit()
    answers = [started, _call(app, client, "GET", API, key=key),
               _call(app, client, "POST", f"{API}/messages", key=key, json={"body": "ok"}),
               _call(app, client, "GET", "/widget/help/widget.js", key=None),
               _call(app, client, "GET", "/widget/help/panel", key=None)]
    polled = answers[1].get_json()
    assert polled["messages"][1]["author"] == "Ana"
    assert all(set(m) == {"id", "from_visitor", "author", "body", "created_at"}
               for m in polled["messages"])
    for response in answers:
        text = response.get_data(as_text=True)
        for secret in ("secretagent", "staff.example", "Hiddenlast", "Ana Maria",
                       f'"user_id": {agent.id}', "assigned"):
            assert secret not in text, (secret, response.request.path)


def test_a_signed_in_customer_chats_under_their_profile(app, client, make):
    customer = make.customer("carla@client.example", name="Carla Cliente",
                             password_hash=generate_password_hash("correct horse battery"))
    with app.app_context():
        signed_in = client.post("/portal/help/sign-in", data={
            "email": customer.email, "password": "correct horse battery"})
    assert signed_in.status_code == 302
    panel = _call(app, client, "GET", "/widget/help/panel", key=None)
    assert "Carla Cliente" in panel.get_data(as_text=True)
    # What the visitor typed does not override who they are.
    key = _start(app, client, name="Someone Else", email="else@elsewhere.example").get_json()["key"]
    chat = _chat(make, key)
    assert chat.customer_id == customer.id
    assert (chat.visitor_name, chat.visitor_email) == ("Carla Cliente", "carla@client.example")


def test_starts_and_posts_are_rate_limited_per_client_address(app, client, make):
    with _limit(app, "PUBLIC_FORM_RATE_LIMIT", "2 per minute"):
        answers = [_start(app, client).status_code for _ in range(3)]
        assert answers == [201, 201, 429]
        blocked = _start(app, client)
        assert blocked.status_code == 429
        assert int(blocked.headers["Retry-After"]) >= 1
        assert "_schema" in blocked.get_json()["errors"]
    assert len(make.session.scalars(select(ChatConversation)).all()) == 2

    with _limit(app, "PUBLIC_FORM_RATE_LIMIT", "2 per minute"):
        app.appbuilder.sm.limiter.reset()
        key = _start(app, client).get_json()["key"]
        posts = [_call(app, client, "POST", f"{API}/messages", key=key,
                       json={"body": f"n{i}"}).status_code for i in range(3)]
        assert posts == [201, 201, 429]
        # Another client address has its own counter.
        other = _call(app, client, "POST", f"{API}/messages", key=key, json={"body": "n9"},
                      environ_base={"REMOTE_ADDR": "127.0.0.9"})
        assert other.status_code == 201


@pytest.mark.parametrize("url,method", [(API, "POST"), (API, "GET"), (f"{API}/messages", "POST")])
def test_chat_is_gone_when_the_portal_turns_it_off(app, client, make, url, method):
    key = _start(app, client).get_json()["key"]
    _portal(make).chat_enabled = False
    make.session.commit()
    response = _call(app, client, method, url, key=key,
                     json={"body": "hi"} if method == "POST" else None)
    assert response.status_code == 404
    assert json.loads(response.get_data(as_text=True))["errors"]


def test_the_csrf_exemption_needs_the_widget_header(app, client, make):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        refused = _call(app, client, "POST", key=None, json={"body": "hi"})
        accepted = _start(app, client)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert refused.status_code == 400
    assert accepted.status_code == 201
