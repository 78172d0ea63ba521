"""The customer's requests in the portal: visibility per portal setting, the public thread,
replies with files, reopening, following, downloads, and 404 for every foreign id."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from tests.factories import message
from webapp.commands.attach_file import attachment_store
from webapp.models import (
    Attachment,
    Customer,
    Item,
    Message,
    Portal,
    PortalVisibility,
    StatusCategory,
)

PORTAL = "/portal/help"
PASSWORD = "correct horse battery"


def _get(app, client, url, **kw):
    with app.app_context():
        return client.get(url, **kw)


def _post(app, client, url, **kw):
    with app.app_context():
        return client.post(url, **kw)


def _text(response) -> str:
    return response.get_data(as_text=True)


def _sign_in(app, client, customer: Customer) -> None:
    response = _post(app, client, f"{PORTAL}/sign-in",
                     data={"email": customer.email, "password": PASSWORD})
    assert response.status_code == 302, _text(response)


def _visibility(make, visibility: PortalVisibility) -> None:
    portal = make.session.scalar(select(Portal).where(Portal.slug == "help"))
    portal.visibility = visibility
    make.session.commit()


def _status(item: Item, category: StatusCategory):
    return next(s for s in item.item_type.statuses if s.category == category)


def _file(make, item: Item, note: Message, name: str, content: bytes) -> Attachment:
    stored = attachment_store().save(io.BytesIO(content), name)
    row = Attachment(item_id=item.id, message_id=note.id, filename=name,
                     content_type=stored.content_type, size=stored.size, sha256=stored.sha256,
                     storage_key=stored.storage_key)
    make.session.add(row)
    make.session.commit()
    return row


@pytest.fixture
def world(make):
    """Two organizations: Ana and Bea at Acme, Carl at Globex; requests of each."""
    hashed = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    acme, globex = make.organization("Acme"), make.organization("Globex")
    ana = make.customer("ana@acme.example", organization_id=acme.id, password_hash=hashed)
    bea = make.customer("bea@acme.example", organization_id=acme.id, password_hash=hashed)
    carl = make.customer("carl@globex.example", organization_id=globex.id,
                         password_hash=hashed)
    agent = make.user("Agent")
    project = make.project()
    items = {
        "ana": make.item(project, title="Printer jams", requester_id=ana.id),
        "bea": make.item(project, title="VPN is down", requester_id=bea.id),
        "carl": make.item(project, title="Globex invoice question", requester_id=carl.id),
        "nobody": make.item(project, title="Internal staff ticket"),
    }
    public = message(make, items["ana"], agent, "<p>We are on it.</p>", is_public=True)
    private = message(make, items["ana"], agent, "<p>SECRET internal note</p>",
                      is_public=False)
    carl_public = message(make, items["carl"], agent, "<p>Invoice attached.</p>")
    files = {
        "public": _file(make, items["ana"], public, "manual.txt", b"how to fix the printer"),
        "private": _file(make, items["ana"], private, "internal.txt", b"staff only"),
        "carl": _file(make, items["carl"], carl_public, "invoice.txt", b"globex invoice"),
    }
    return {"ana": ana, "bea": bea, "carl": carl, "agent": agent, "items": items,
            "files": files, "private": private, "project": project}


def _listed_titles(app, client, url=f"{PORTAL}/requests/") -> set[str]:
    body = _text(_get(app, client, url))
    return {title for title in ("Printer jams", "VPN is down", "Globex invoice question",
                                "Internal staff ticket") if title in body}


def test_requests_need_a_signed_in_customer(app, client, make):
    response = _get(app, client, f"{PORTAL}/requests/")
    assert response.status_code == 302
    assert "/sign-in?next=" in response.headers["Location"]


def test_list_follows_the_portal_visibility(app, client, make, world):
    _sign_in(app, client, world["ana"])

    _visibility(make, PortalVisibility.OWN)
    assert _listed_titles(app, client) == {"Printer jams"}
    assert "My organization" not in _text(_get(app, client, f"{PORTAL}/requests/"))
    # Asking for the wider tab on an "own" portal still shows only one's own.
    assert _listed_titles(app, client, f"{PORTAL}/requests/?scope=organization") == \
        {"Printer jams"}

    _visibility(make, PortalVisibility.ORGANIZATION)
    assert _listed_titles(app, client) == {"Printer jams"}
    assert "My organization" in _text(_get(app, client, f"{PORTAL}/requests/"))
    assert _listed_titles(app, client, f"{PORTAL}/requests/?scope=organization") == \
        {"Printer jams", "VPN is down"}

    _visibility(make, PortalVisibility.ALL)
    assert _listed_titles(app, client, f"{PORTAL}/requests/?scope=all") == \
        {"Printer jams", "VPN is down", "Globex invoice question", "Internal staff ticket"}


def test_search_filter_and_pages(app, client, make, world):
    _sign_in(app, client, world["ana"])
    printer = world["items"]["ana"]
    printer.status = _status(printer, StatusCategory.DONE)
    for n in range(22):
        make.item(world["project"], title=f"Laptop {n:02d}", requester_id=world["ana"].id)
    make.session.commit()

    assert _listed_titles(app, client) == set()  # the printer ticket is closed
    assert _listed_titles(app, client, f"{PORTAL}/requests/?state=closed") == {"Printer jams"}
    assert _listed_titles(app, client, f"{PORTAL}/requests/?state=all&q=PRINTER") == \
        {"Printer jams"}
    assert "No requests match." in _text(_get(app, client, f"{PORTAL}/requests/?q=%25"))

    first = _text(_get(app, client, f"{PORTAL}/requests/"))
    second = _text(_get(app, client, f"{PORTAL}/requests/?page=2"))
    assert "Page 1 of 2" in first and "Page 2 of 2" in second
    shown = [f"Laptop {n:02d}" for n in range(22)]
    assert sum(t in first for t in shown) == 20 and sum(t in second for t in shown) == 2


def test_show_has_only_the_public_thread(app, client, make, world):
    _sign_in(app, client, world["ana"])
    item = world["items"]["ana"]
    page = _get(app, client, f"{PORTAL}/requests/{item.id}")
    assert page.status_code == 200
    body = _text(page)
    assert "Printer jams" in body and "We are on it." in body
    assert "SECRET" not in body and "internal.txt" not in body
    assert "manual.txt" in body


def test_attachments_download_only_from_the_public_thread(app, client, make, world):
    _sign_in(app, client, world["ana"])
    files = world["files"]
    public = _get(app, client, f"{PORTAL}/attachments/{files['public'].id}")
    assert public.status_code == 200
    assert public.data == b"how to fix the printer"
    assert public.headers["Content-Disposition"].startswith("attachment")
    assert public.headers["X-Content-Type-Options"] == "nosniff"
    assert _get(app, client, f"{PORTAL}/attachments/{files['private'].id}").status_code == 404
    assert _get(app, client, f"{PORTAL}/attachments/999999").status_code == 404


def test_reply_with_file_and_errors_keep_the_text(app, client, make, world):
    _sign_in(app, client, world["ana"])
    item = world["items"]["ana"]
    empty = _post(app, client, f"{PORTAL}/requests/{item.id}/reply", data={"body": "   "})
    assert empty.status_code == 422
    assert "Write a message or attach a file." in _text(empty)

    sent = _post(app, client, f"{PORTAL}/requests/{item.id}/reply", data={
        "body": "Still jammed <b>today</b>",
        "files": (io.BytesIO(b"photo bytes"), "jam.txt")}, content_type="multipart/form-data")
    assert sent.status_code == 302
    make.session.expire_all()
    reply = make.session.scalars(select(Message).where(
        Message.item_id == item.id, Message.author_customer_id == world["ana"].id)).one()
    assert reply.is_public and "&lt;b&gt;today" in reply.body_html
    assert [a.filename for a in reply.attachments] == ["jam.txt"]
    page = _text(_get(app, client, f"{PORTAL}/requests/{item.id}"))
    assert "Still jammed" in page and "jam.txt" in page
    download = _get(app, client, f"{PORTAL}/attachments/{reply.attachments[0].id}")
    assert download.data == b"photo bytes"


def test_too_large_file_is_named_and_text_kept(app, client, make, world):
    _sign_in(app, client, world["ana"])
    item = world["items"]["ana"]
    before = app.config["ATTACHMENT_MAX_BYTES"]
    app.config["ATTACHMENT_MAX_BYTES"] = 10
    try:
        refused = _post(app, client, f"{PORTAL}/requests/{item.id}/reply", data={
            "body": "my typed words", "files": (io.BytesIO(b"x" * 100), "big.bin")},
            content_type="multipart/form-data")
    finally:
        app.config["ATTACHMENT_MAX_BYTES"] = before
    assert refused.status_code == 422
    body = _text(refused)
    assert "big.bin" in body and "my typed words</textarea>" in body
    make.session.expire_all()
    assert make.session.scalar(select(Message).where(
        Message.author_customer_id == world["ana"].id)) is None


def test_reply_reopens_a_done_ticket(app, client, make, world):
    _sign_in(app, client, world["ana"])
    item = world["items"]["ana"]
    item.status = _status(item, StatusCategory.DONE)
    make.session.commit()
    assert "Replying opens it again" in _text(_get(app, client, f"{PORTAL}/requests/{item.id}"))
    _post(app, client, f"{PORTAL}/requests/{item.id}/reply", data={"body": "Not fixed"})
    make.session.expire_all()
    assert make.session.get(Item, item.id).status.category != StatusCategory.DONE


def test_follow_and_unfollow(app, client, make, world):
    _visibility(make, PortalVisibility.ORGANIZATION)
    _sign_in(app, client, world["ana"])
    vpn = world["items"]["bea"]
    followed = _post(app, client, f"{PORTAL}/requests/{vpn.id}/follow", data={"follow": "1"})
    assert followed.headers["Location"] == f"{PORTAL}/requests/{vpn.id}"
    make.session.expire_all()
    assert world["ana"].id in [c.id for c in make.session.get(Item, vpn.id).follower_customers]
    assert "Unfollow" in _text(_get(app, client, f"{PORTAL}/requests/{vpn.id}"))
    # Followed requests count as one's own.
    assert _listed_titles(app, client) == {"Printer jams", "VPN is down"}

    _post(app, client, f"{PORTAL}/requests/{vpn.id}/follow", data={"follow": "0"})
    make.session.expire_all()
    assert make.session.get(Item, vpn.id).follower_customers == []

    # On an "own" portal, unfollowing something one only followed leads back to the list.
    carl_item = world["items"]["carl"]
    carl_item.follower_customers.append(world["ana"])
    make.session.commit()
    _visibility(make, PortalVisibility.OWN)
    gone = _post(app, client, f"{PORTAL}/requests/{carl_item.id}/follow", data={"follow": "0"})
    assert gone.headers["Location"] == f"{PORTAL}/requests/"


def test_foreign_ids_give_404_on_every_route(app, client, make, world):
    """Carl (another organization) tries Ana's real ids on each route, on every setting but
    "all"; nothing is written."""
    _sign_in(app, client, world["carl"])
    item = world["items"]["ana"]
    attachment = world["files"]["public"]
    for visibility in (PortalVisibility.OWN, PortalVisibility.ORGANIZATION):
        _visibility(make, visibility)
        assert _get(app, client, f"{PORTAL}/requests/{item.id}").status_code == 404
        assert _post(app, client, f"{PORTAL}/requests/{item.id}/reply",
                     data={"body": "hi"}).status_code == 404
        assert _post(app, client, f"{PORTAL}/requests/{item.id}/follow",
                     data={"follow": "1"}).status_code == 404
        assert _get(app, client, f"{PORTAL}/attachments/{attachment.id}").status_code == 404
        assert "Printer jams" not in _text(_get(
            app, client, f"{PORTAL}/requests/?scope=organization&state=all"))
    make.session.expire_all()
    assert make.session.get(Item, item.id).follower_customers == []
    assert make.session.scalar(select(Message).where(
        Message.author_customer_id == world["carl"].id)) is None
    # Even on an "all" portal the private note's file stays internal.
    _visibility(make, PortalVisibility.ALL)
    assert _get(app, client, f"{PORTAL}/requests/{item.id}").status_code == 200
    assert _get(app, client, f"{PORTAL}/attachments/{world['files']['private'].id}") \
        .status_code == 404
