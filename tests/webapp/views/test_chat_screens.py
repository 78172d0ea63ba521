"""Agents' chat screens: inbox, one chat, answering, closing, converting; who may do what."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from tests.clients import Browser
from tests.factories import quick_user
from webapp.models import ChatConversation, ChatMessage, ChatStatus, Item, Portal
from webapp.widget import conversations
from webapp.widget.conversations import Visitor


@pytest.fixture
def desk(app, client, make) -> SimpleNamespace:
    team = make.team()
    project = make.project(teams=[team])
    portal = make.session.scalar(select(Portal).where(Portal.slug == "help"))
    portal.project_id = project.id
    make.session.commit()
    users = {role: quick_user(make, role, teams=[team])
             for role in ("Admin", "Agent", "Collaborator", "Read-only")}
    waiting, _ = conversations.start(make.session, portal, Visitor("Wanda Waiting",
                                     "wanda@site.example"), "Is anyone there?", None)
    answered, _ = conversations.start(make.session, portal, Visitor("Andy Answered", None),
                                      "Thanks in advance", None)
    conversations.add_message(make.session, answered, "You are welcome",
                              user_id=users["Agent"].id)
    return SimpleNamespace(make=make, portal=portal, project=project, users=users,
                           waiting=waiting, answered=answered)


def login(app, client, desk, role: str) -> Browser:
    return Browser(app, client, desk.users[role].username)


def test_the_inbox_lists_open_chats_newest_first_unanswered_marked(app, client, desk):
    page = login(app, client, desk, "Agent").page("/chat/inbox")
    body = page[page.index('id="rd-chat-rows"'):page.index("</tbody>")]
    rows = [row for row in body.split("</tr>") if "data-chat" in row]
    # Newest activity first; the one the visitor waits on is marked.
    assert ["Andy Answered" in rows[0], "Wanda Waiting" in rows[1]] == [True, True]
    assert 'class="rd-unanswered"' in rows[1] and "waiting for an answer" in rows[1]
    assert 'class="rd-unanswered"' not in rows[0] and "waiting for an answer" not in rows[0]
    assert "widget.js" not in page  # the snippet is for admins

    conversations.close(desk.make.session, desk.answered)
    page = login(app, client, desk, "Agent").page("/chat/inbox")
    assert "Andy Answered" not in page
    assert "Andy Answered" in login(app, client, desk, "Agent").page("/chat/inbox?status=closed")


def test_admins_find_the_widget_snippet_in_the_inbox(app, client, desk):
    page = login(app, client, desk, "Admin").page("/chat/inbox")
    assert ('value="&lt;script src=&#34;http://localhost/widget/help/widget.js&#34; '
            'async&gt;&lt;/script&gt;"') in page


def test_an_agent_answers_live_and_polls_new_messages(app, client, desk):
    agent = login(app, client, desk, "Agent")
    page = agent.page(f"/chat/conversation/{desk.waiting.id}")
    assert "Is anyone there?" in page and 'id="rd-answer"' in page
    first_id = desk.waiting.messages[0].id

    answered = agent.post(f"/chat/answer/{desk.waiting.id}", json={"body": "Yes, hello!"})
    assert answered.status_code == 201
    assert answered.get_json()["message"]["from_visitor"] is False
    empty = agent.post(f"/chat/answer/{desk.waiting.id}", json={"body": "  "})
    assert empty.status_code == 422 and list(empty.get_json()["errors"]) == ["body"]

    conversations.add_message(desk.make.session, desk.waiting, "Great")
    polled = agent.get(f"/chat/messages/{desk.waiting.id}?after={first_id}").get_json()
    assert [m["body"] for m in polled["messages"]] == ["Yes, hello!", "Great"]
    assert polled["status"] == "open" and polled["item_id"] is None
    desk.make.session.expire_all()
    chat = desk.make.session.get(ChatConversation, desk.waiting.id)
    assert chat.assigned_user_id == desk.users["Agent"].id
    assert agent.get("/chat/messages/999999").status_code == 404


def test_an_agent_closes_a_chat_and_converts_one_to_a_ticket(app, client, desk):
    agent = login(app, client, desk, "Agent")
    closed = agent.post(f"/chat/close/{desk.answered.id}")
    assert closed.status_code == 302
    converted = agent.post(f"/chat/convert_to_ticket/{desk.waiting.id}")
    assert converted.status_code == 302
    desk.make.session.expire_all()
    item = desk.make.session.scalar(select(Item))
    assert converted.headers["Location"].endswith(f"/tickets/show/{item.id}")
    assert item.requester.email == "wanda@site.example"
    assert desk.make.session.get(ChatConversation, desk.answered.id).status == ChatStatus.CLOSED
    assert "Wanda Waiting" in agent.page(f"/tickets/show/{item.id}")

    # Andy gave no e-mail: refused with the reason, back on the chat.
    refused = agent.post(f"/chat/convert_to_ticket/{desk.answered.id}",
                         follow_redirects=True)
    text = refused.get_data(as_text=True)
    assert "was not turned into a ticket" in text and "no e-mail address" in text
    assert desk.make.session.scalar(select(func.count(Item.id))) == 1


@pytest.mark.parametrize("role", ["Collaborator", "Read-only"])
def test_collaborators_and_read_only_users_read_but_cannot_answer(app, client, desk, role):
    user = login(app, client, desk, role)
    assert "Wanda Waiting" in user.page("/chat/inbox")
    page = user.page(f"/chat/conversation/{desk.waiting.id}")
    assert "Is anyone there?" in page
    assert 'id="rd-answer"' not in page and "Convert to ticket" not in page
    assert user.get(f"/chat/messages/{desk.waiting.id}").status_code == 200

    assert user.post(f"/chat/answer/{desk.waiting.id}", json={"body": "hi"}).status_code in (
        401, 403)
    user.post(f"/chat/close/{desk.waiting.id}")
    user.post(f"/chat/convert_to_ticket/{desk.waiting.id}")
    desk.make.session.expire_all()
    chat = desk.make.session.get(ChatConversation, desk.waiting.id)
    assert chat.status == ChatStatus.OPEN and chat.item_id is None
    assert desk.make.session.scalar(select(func.count(ChatMessage.id)).where(
        ChatMessage.conversation_id == desk.waiting.id)) == 1
    assert desk.make.session.scalar(select(func.count(Item.id))) == 0


def test_a_user_without_a_staff_role_sees_no_chats(app, client, make, desk):
    with app.app_context():
        response = client.get("/chat/inbox")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
