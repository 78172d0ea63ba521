"""The recipe editor in Chromium: the trigger is a picker of the event types that exist
(inbound endpoints found by typing), picking one shows the fields it carries and offers them
to the conditions, every control has a visible label, and the recipe saves."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import screenshot
from tests.browser.test_board import log_in
from tests.factories import Factory, quick_user
from webapp.models import InboundEndpoint, Recipe

UNLABELLED = """root => Array.from(root.querySelectorAll("input, select, textarea"))
  .filter(c => !Array.from(c.labels || []).some(l => l.textContent.trim()))
  .map(c => c.id || c.outerHTML)"""


def test_pick_trigger_see_its_fields_and_save(live_server, new_page, app: Any) -> None:
    with app.app_context():
        make = Factory(app)
        admin = quick_user(make, "Admin").username
        if make.session.scalar(select(InboundEndpoint).where(
                InboundEndpoint.slug == "billing-crm")) is None:
            make.session.add(InboundEndpoint(slug="billing-crm", name="Billing CRM",
                                             scheme="standardwebhooks", secret_encrypted="x"))
            make.session.commit()
    page = new_page(viewport={"width": 1280, "height": 900})
    log_in(page, live_server.url, admin)
    page.goto(f"{live_server.url}/recipe-editor/")
    editor = page.locator("#rd-editor")

    # A picker, not a free-text box: the known events by family, wildcards too.
    trigger = page.locator("select#rd-trigger")
    assert "ticket.status_changed" in trigger.locator("option").all_inner_texts()
    trigger.select_option("ticket.status_changed")
    fields = page.locator("#rd-event-fields-list")
    expect(fields).to_contain_text("item.status")
    expect(fields).to_contain_text("event.diff.status.after")
    expect(fields).to_contain_text("requester.email")

    page.click("#rd-add-rule")
    suggestions = page.locator("#rd-context-fields option")
    assert "item.priority" in suggestions.evaluate_all("os => os.map(o => o.value)")
    rule = page.locator(".rd-rule").first
    rule.locator(".rd-rule-field").fill("item.priority")
    rule.locator(".rd-rule-op").select_option("gte")
    rule.locator(".rd-rule-value").fill("4")
    page.select_option(".rd-action-type", "post_message")
    page.fill("textarea[data-field=body]", "Status is now {{ item.status }}")
    page.fill("#rd-name", "Tell the team about urgent status changes")

    # Every control of the page has a visible label (no bare "0" box).
    assert editor.evaluate(UNLABELLED) == []
    screenshot(page, "recipe-editor-trigger-picker")

    # An inbound endpoint is found by typing, then joins the picker.
    inbound = page.locator("#rd-inbound")
    inbound.fill("billing")
    options = page.locator("#rd-events option")
    expect(options).to_have_count(1)
    assert options.first.get_attribute("value") == "inbound.billing-crm"
    inbound.fill("inbound.billing-crm")
    inbound.dispatch_event("change")
    expect(trigger).to_have_value("inbound.billing-crm")
    expect(fields).to_contain_text("event.data.payload")
    rule.locator(".rd-rule-field").fill("event.data.type")
    rule.locator(".rd-rule-op").select_option("eq")
    rule.locator(".rd-rule-value").fill("deal.won")
    assert editor.evaluate(UNLABELLED) == []

    page.click("#rd-save")
    expect(page.locator("#rd-status")).to_contain_text("Saved recipe")
    screenshot(page, "recipe-editor-saved")
    with app.app_context():
        saved = Factory(app).session.scalar(select(Recipe).where(
            Recipe.name == "Tell the team about urgent status changes"))
        assert saved is not None and saved.trigger_event == "inbound.billing-crm"
        assert saved.conditions["rules"] == [
            {"field": "event.data.type", "op": "eq", "value": "deal.won"}]

    # Reopened: the saved trigger is picked again.
    page.goto(f"{live_server.url}/recipe-editor/{saved.id}")
    expect(page.locator("select#rd-trigger")).to_have_value("inbound.billing-crm")
    expect(page.locator("#rd-event-fields-list")).to_contain_text("event.data.payload")
