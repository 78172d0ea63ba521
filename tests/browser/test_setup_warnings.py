"""The admin's home page in Chromium: a support address filing into a project no agent can
see is listed under "Setup warnings" with links to fix it; agents do not get the block."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_board import log_in
from tests.factories import Factory, quick_user
from webapp.models import SupportAddress


def test_admin_home_shows_setup_warnings(live_server, new_page, app: Any) -> None:
    with app.app_context():
        make = Factory(app)
        admin = quick_user(make, "Admin").username
        agent = quick_user(make, "Agent", teams=[make.team()]).username
        project = make.project(name="Orphan onboarding")
        make.session.add(SupportAddress(address="onboarding@isp.example", project_id=project.id,
                                        item_type_id=make.item_type().id, enabled=True))
        make.session.commit()
        project_id = project.id
    page = new_page(viewport={"width": 1280, "height": 800})
    log_in(page, live_server.url, admin)
    page.goto(f"{live_server.url}/")
    block = page.locator("#rd-setup-warnings")
    expect(block).to_contain_text("Setup warnings")
    warning = block.locator(".rd-setup-warning", has_text="onboarding@isp.example")
    expect(warning).to_contain_text("Orphan onboarding")
    expect(warning).to_contain_text("no agent can see")
    screenshot(page, "admin-home-setup-warnings")
    warning.get_by_role("link", name="Edit the project").click()
    page.wait_for_url(f"**/projects/edit/{project_id}**")

    other = new_page(viewport={"width": 1280, "height": 800})
    log_in(other, live_server.url, agent)
    other.goto(f"{live_server.url}/")
    expect(other.locator("#rd-setup-warnings")).to_have_count(0)
