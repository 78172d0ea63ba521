"""Opening a folder of the tree in Chromium loads its items; the roll-ups are on the nodes."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_gantt import login
from tests.factories import Factory, folder, timesheet
from webapp.extensions import db
from webapp.models import ItemKind, Portfolio


def test_expand_a_folder_and_see_its_items(app, live_server, new_page):
    with app.app_context():
        make = Factory(app)
        team = make.team()
        agent = make.user("Agent", teams=[team])
        portfolio = Portfolio(name="Infrastructure")
        make.session.add(portfolio)
        make.session.commit()
        project = make.project(teams=[team], name="Data centre", portfolio_id=portfolio.id)
        racks = folder(make, project, "Racks")
        titles = [f"Mount rack {n}" for n in range(3)]
        for title in titles:
            item = make.item(project, ItemKind.TASK, title=title, folder_id=racks.id,
                             percent_complete=50)
        timesheet(make, item, agent, hours="2.5")
        make.item(project, ItemKind.TICKET, title="Loose ticket")
        username, folder_id = agent.username, racks.id
        db.session.remove()
    page = new_page(viewport={"width": 390, "height": 844})
    login(page, live_server.url, username)
    page.goto(f"{live_server.url}/views/tree/")
    node = page.locator(f"details[data-kind=folder][data-id='{folder_id}']")
    expect(node.locator("> summary .rd-tree-totals").first).to_have_attribute("data-items", "3")
    expect(node.locator("> summary .rd-tree-totals").first).to_have_attribute("data-hours", "2.5")
    expect(node.locator(".rd-tree-item")).to_have_count(0)  # not loaded before it is opened
    page.locator("details[data-kind=project] > summary").first.click()
    node.locator("> summary").click()
    expect(node.locator(".rd-tree-item")).to_have_count(3)
    expect(node.locator(".rd-tree-more")).to_be_hidden()  # three items: one page
    expect(node.locator(".rd-tree-item a").first).to_have_text(f"#{node.locator('.rd-tree-item').first.get_attribute('data-id')} {titles[0]}")
    screenshot(page, "view-tree")
