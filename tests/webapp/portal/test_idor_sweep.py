"""Every customer-facing route, tried by a signed-in customer of one organization with the real
identifiers of another organization's rows: each answer is a 404, and nothing is written.

The sweep walks the URL map, so a new portal or widget route is covered (or the test fails,
asking for its identifier to be added to GUESSES)."""

from __future__ import annotations

import io
import secrets
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.webapp.knowledge import add_article, add_category
from webapp.content.files import AttachmentStore
from webapp.extensions import db
from webapp.models import (
    ArticleVisibility,
    Attachment,
    ChatConversation,
    ChatMessage,
    Item,
    Message,
    Portal,
    PortalVisibility,
    WebForm,
)
from webapp.portal.session import CUSTOMER_KEY

CUSTOMER_BLUEPRINTS = ("portal", "widget", "portal_root")
# Route arguments that are bearer secrets (possessing one is the permission); a forged one
# is refused, which their own tests show (links, ratings, widget keys).
BEARER_ARGUMENTS = {"token"}


@pytest.fixture
def world(app, make) -> dict[str, Any]:
    """Organizations A and B; Ann (A) signed in; rows of Bob (B) she must never reach."""
    portal = db.session.scalar(select(Portal).where(Portal.slug == "help"))
    portal.visibility = PortalVisibility.ORGANIZATION
    other_portal = Portal(slug="partners", name="Partners")
    db.session.add(other_portal)
    db.session.commit()
    org_a, org_b = make.organization("Org A"), make.organization("Org B")
    ann = make.customer("ann@a.example", organization_id=org_a.id)
    bob = make.customer("bob@b.example", organization_id=org_b.id)
    project = make.project()
    portal.project_id = project.id
    item = make.item(project, requester_id=bob.id, title="Bob's secret")
    message = Message(item_id=item.id, is_public=True, body_html="<p>hi</p>",
                      author_customer_id=bob.id)
    db.session.add(message)
    db.session.flush()
    stored = AttachmentStore(app.config["ATTACHMENT_DIR"], 10_000).save(
        io.BytesIO(b"bob's file"), "b.txt")
    attachment = Attachment(item_id=item.id, message_id=message.id, filename="b.txt",
                            content_type=stored.content_type, size=stored.size,
                            sha256=stored.sha256, storage_key=stored.storage_key)
    db.session.add(attachment)
    category = add_category(db.session)
    article = add_article(db.session, category, "Org B only", "<p>x</p>",
                          visibility=ArticleVisibility.ORGANIZATIONS, organizations=[org_b])
    form = WebForm(portal_id=other_portal.id, slug="partner-form", name="Partner form",
                   item_type_id=item.item_type_id, project_id=project.id)
    db.session.add(form)
    chat = ChatConversation(portal_id=portal.id, visitor_key_hash="b" * 64,
                            customer_id=bob.id, messages=[ChatMessage(from_visitor=True,
                                                                      body="Bob's chat")])
    db.session.add(chat)
    db.session.commit()
    return {"portal": portal, "ann": ann, "item": item, "attachment": attachment,
            "article": article, "form": form, "chat": chat}


def _guesses(world: dict[str, Any], endpoint: str) -> dict[str, Any]:
    """The other organization's identifier for each route argument."""
    slug = world["form"].slug if endpoint.startswith("portal.web_form") else \
        world["article"].slug
    return {"item_id": world["item"].id, "attachment_id": world["attachment"].id,
            "chat_id": world["chat"].id,
            "slug": slug, "portal_slug": world["portal"].slug}


def _rows(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_no_customer_route_reveals_another_organizations_rows(app, client, world) -> None:
    with client.session_transaction() as session:
        session[CUSTOMER_KEY] = world["ann"].id
    before = {m: _rows(m) for m in (Item, Message, Attachment, ChatMessage)}
    tried = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in CUSTOMER_BLUEPRINTS:
            continue
        arguments = set(rule.arguments) - {"portal_slug"}
        if not arguments or arguments & BEARER_ARGUMENTS:
            continue  # nothing of anyone's to guess, or a bearer secret
        guesses = _guesses(world, rule.endpoint)
        unknown = arguments - set(guesses)
        assert not unknown, f"{rule.rule}: add a foreign value for {unknown} to the sweep"
        url = rule.build({**guesses}, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={"body": "let me in",
                                                              "follow": "1"},
                                    headers={"X-Widget-Key": secrets.token_urlsafe(16)})
            tried.append(f"{method} {url}")
            assert response.status_code == 404, (method, url, response.status_code,
                                                 response.get_data(as_text=True)[:300])
    item_id, attachment_id = world["item"].id, world["attachment"].id
    assert {f"GET /portal/help/requests/{item_id}",
            f"POST /portal/help/requests/{item_id}/reply",
            f"GET /portal/help/attachments/{attachment_id}",
            f"GET /portal/help/kb/{world['article'].slug}",
            "GET /portal/help/forms/partner-form"} <= set(tried), tried
    db.session.expire_all()
    assert {m: _rows(m) for m in before} == before


def test_widget_chat_routes_refuse_an_unknown_key(app, client, world) -> None:
    """The widget's chat is reached by its visitor key only; any other key is a 404."""
    with client.session_transaction() as session:
        session[CUSTOMER_KEY] = world["ann"].id
    key = {"X-Widget-Key": secrets.token_urlsafe(24)}
    for method, path in (("GET", "/widget/help/api/chat?after=0"),
                         ("POST", "/widget/help/api/chat/messages"),
                         ("POST", "/widget/help/api/chat/close")):
        response = client.open(path, method=method, headers=key, json={"body": "hi"})
        assert response.status_code == 404, (method, path, response.status_code)
