"""A chat after an agent turned it into a ticket, over HTTP: the visitor's further messages
are public replies on the ticket (the agent sees them, in the ticket and the chat), the chat
leaves the "waiting" list for a "Turned into tickets" tab, and the agent picks the type.
A signed-in customer's chats that never became a request are in their portal history."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from tests.clients import Browser
from tests.factories import quick_user
from webapp.models import (
    ChatConversation,
    Item,
    ItemKind,
    ItemType,
    Message,
    Portal,
    Status,
    StatusCategory,
)
from webapp.widget.conversations import key_hash

API = "/widget/help/api/chat"
PASSWORD = "correct horse battery"


def _call(app, client, method, url=API, key="new", **kw):
    with app.app_context():
        return client.open(url, method=method, headers={"X-Widget-Key": key}, **kw)


@pytest.fixture
def desk(app, make) -> SimpleNamespace:
    team = make.team()
    project = make.project(teams=[team])
    portal = make.session.scalar(select(Portal).where(Portal.slug == "help"))
    portal.project_id = project.id
    hardware = ItemType(kind=ItemKind.TICKET, name="Hardware", statuses=[
        Status(name="Received", category=StatusCategory.NEW, position=0)])
    make.session.add(hardware)
    make.session.commit()
    agent = quick_user(make, "Agent", teams=[team])
    return SimpleNamespace(make=make, portal=portal, project=project, agent=agent,
                           hardware=hardware,
                           staff=Browser(app, app.test_client(), agent.username))


def _visitor_chat(app, client, make) -> tuple[str, ChatConversation]:
    started = _call(app, client, "POST", json={
        "name": "Vera Visitor", "email": "vera@site.example", "body": "My router blinks red"})
    assert started.status_code == 201
    key = started.get_json()["key"]
    make.session.expire_all()
    return key, make.session.scalar(select(ChatConversation).where(
        ChatConversation.visitor_key_hash == key_hash(key)))


def _inbox_ids(desk, tab: str = "") -> str:
    return desk.staff.page("/chat/inbox" + (f"?status={tab}" if tab else ""))


def test_messages_after_conversion_reach_the_ticket_and_the_agent(app, client, desk):
    make = desk.make
    key, chat = _visitor_chat(app, client, make)
    assert f'data-chat="{chat.id}"' in _inbox_ids(desk)
    converted = desk.staff.post(f"/chat/convert_to_ticket/{chat.id}",
                                data={"item_type": str(desk.hardware.id)})
    assert converted.status_code == 302
    make.session.expire_all()
    item = make.session.get(Item, make.session.get(ChatConversation, chat.id).item_id)
    assert item.item_type_id == desk.hardware.id  # the agent's choice: type routing applies

    posted = _call(app, client, "POST", f"{API}/messages", key=key,
                   json={"body": "It is a Fritzbox 7590"})
    assert posted.status_code == 201
    make.session.expire_all()
    thread = make.session.scalars(select(Message).where(Message.item_id == item.id)
                                  .order_by(Message.id)).all()
    assert len(thread) == 2 and thread[-1].is_public
    assert thread[-1].author_customer_id == item.requester_id
    assert "It is a Fritzbox 7590" in thread[-1].body_html
    assert "It is a Fritzbox 7590" in desk.staff.page(f"/tickets/show/{item.id}")
    polled = desk.staff.get(f"/chat/messages/{chat.id}").get_json()
    assert polled["messages"][-1]["body"] == "It is a Fritzbox 7590"
    # The visitor sees their line in the panel; the chat is no longer "waiting".
    state = _call(app, client, "GET", API, key=key).get_json()
    assert state["messages"][-1]["body"] == "It is a Fritzbox 7590"
    assert state["ticket"]["number"] == item.id
    assert f'data-chat="{chat.id}"' not in _inbox_ids(desk)
    assert f'data-chat="{chat.id}"' not in _inbox_ids(desk, "closed")
    tickets = _inbox_ids(desk, "tickets")
    assert f'data-chat="{chat.id}"' in tickets and "waiting for an answer" not in tickets


def test_a_visitor_writing_after_the_ticket_is_done_reopens_it(app, client, desk):
    make = desk.make
    key, chat = _visitor_chat(app, client, make)
    desk.staff.post(f"/chat/convert_to_ticket/{chat.id}")
    make.session.expire_all()
    item = make.session.get(Item, make.session.get(ChatConversation, chat.id).item_id)
    done = next(s for s in item.item_type.statuses if s.category == StatusCategory.DONE)
    item.status_id = done.id
    make.session.commit()
    assert _call(app, client, "POST", f"{API}/messages", key=key,
                 json={"body": "It broke again"}).status_code == 201
    make.session.expire_all()
    assert make.session.get(Item, item.id).status.category != StatusCategory.DONE


@pytest.mark.parametrize("bad", ["999999", "task", "abc", "99999999999999999999", "²"])
def test_a_type_that_is_not_a_ticket_type_is_refused_and_nothing_written(app, client, desk,
                                                                         bad):
    make = desk.make
    _key, chat = _visitor_chat(app, client, make)
    task_type = make.session.scalar(select(ItemType).where(ItemType.kind == ItemKind.TASK))
    value = str(task_type.id) if bad == "task" else bad
    page = desk.staff.post(f"/chat/convert_to_ticket/{chat.id}", data={"item_type": value},
                           follow_redirects=True).get_data(as_text=True)
    assert "was not turned into a ticket" in page and "item_type" in page
    assert make.session.scalar(select(func.count(Item.id))) == 0


def test_the_conversion_offers_the_ticket_types(app, client, desk):
    _key, chat = _visitor_chat(app, client, desk.make)
    page = desk.staff.page(f"/chat/conversation/{chat.id}")
    assert 'id="rd-convert-type"' in page
    assert f'<option value="{desk.hardware.id}" >Hardware</option>' in page


def test_a_customers_unconverted_chats_are_in_their_portal_history(app, client, desk):
    make = desk.make
    carla = make.customer("carla@client.example", name="Carla",
                          password_hash=generate_password_hash(PASSWORD))
    with app.app_context():
        assert client.post("/portal/help/sign-in", data={
            "email": carla.email, "password": PASSWORD}).status_code == 302
    kept = _call(app, client, "POST", json={"body": "Do you ship to Lisbon?"}).get_json()
    converted = _call(app, client, "POST", json={"body": "My order is late"}).get_json()
    make.session.expire_all()
    chats = {c.messages[0].body: c for c in make.session.scalars(select(ChatConversation))}
    desk.staff.post(f"/chat/convert_to_ticket/{chats['My order is late'].id}")
    assert kept["key"] != converted["key"]
    with app.app_context():
        page = client.get("/portal/help/requests/").get_data(as_text=True)
        assert "My chats" in page and "Do you ship to Lisbon?" in page
        assert f'data-chat-id="{chats["My order is late"].id}"' not in page
        shown = client.get(f"/portal/help/chats/{chats['Do you ship to Lisbon?'].id}")
        assert shown.status_code == 200 and "Do you ship to Lisbon?" in shown.get_data(
            as_text=True)
        moved = client.get(f"/portal/help/chats/{chats['My order is late'].id}")
        make.session.expire_all()
        item_id = make.session.get(ChatConversation, chats["My order is late"].id).item_id
        assert moved.status_code == 302
        assert moved.headers["Location"].endswith(f"/portal/help/requests/{item_id}")
