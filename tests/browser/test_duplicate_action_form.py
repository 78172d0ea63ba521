"""Issue 17.11 on screen: the recipe editor's "Duplicate a template project" action offers
the subscriber's e-mail and name (templates) beside the organization, each labelled."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_board import log_in
from tests.factories import Factory, quick_user


def test_duplicate_action_takes_the_subscriber(live_server, new_page, app: Any) -> None:
    with app.app_context():
        admin = quick_user(Factory(app), "Admin").username
    page = new_page(viewport={"width": 1280, "height": 1000})
    log_in(page, live_server.url, admin)
    page.goto(f"{live_server.url}/recipe-editor/")
    page.select_option(".rd-action-type", "duplicate_project")
    action = page.locator("#rd-editor")
    for label in ("Requester e-mail (template)", "Requester name (template)",
                  "Create the requester when unknown", "Organization (name or id)"):
        expect(action.get_by_label(label, exact=True)).to_be_visible()
    page.get_by_label("Requester e-mail (template)", exact=True).fill(
        "{{ event.data.payload.data.contact.email }}")
    screenshot(page, "recipe-editor-duplicate-for-subscriber")
