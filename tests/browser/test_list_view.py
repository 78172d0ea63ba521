"""The flat list in Chromium: rows load, grouping with counts opens a group, a view is saved,
reopened and shared with a team whose member opens it, and the CSV export downloaded from
the page equals the data endpoint's rows; on a phone the rows stack."""

from __future__ import annotations

import csv
import io
from types import SimpleNamespace
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_board import log_in
from tests.factories import Factory, quick_user
from webapp.work_views.export import cell


@pytest.fixture
def shop(app: Any) -> SimpleNamespace:
    with app.app_context():
        make = Factory(app)
        team = make.team("Store support")
        project = make.project(teams=[team], name="Stores")
        hidden = make.project(teams=[make.team("Back office")], name="Finance")
        agent = quick_user(make, "Agent", teams=[team])
        mate = quick_user(make, "Agent", teams=[team])
        for n in range(7):
            item = make.item(project, title=f"Printer fault {n}", priority=n % 3 + 1)
            if n % 2:
                item.assignee_users = [agent]
        make.item(project, title="Till roll order", priority=0)
        make.item(hidden, title="Printer invoice", priority=1)
        make.session.commit()
        return SimpleNamespace(agent=agent.username, mate=mate.username, team=team.name)


def table_rows(page: Any) -> list[str]:
    return page.locator("#rd-list tbody tr").evaluate_all(
        "rows => rows.map(r => r.getAttribute('data-id'))")


def test_save_share_reopen_and_export(live_server, new_page, app, shop):
    url = live_server.url
    page = new_page(accept_downloads=True)
    log_in(page, url, shop.agent)
    page.goto(f"{url}/views/list/?q=printer&columns=id,title,priority,assignee&sort=-priority"
              "&page_size=3")
    expect(page.locator("#rd-list tbody tr").first).to_be_visible()
    page.click(".rd-load-more")
    expect(page.locator("#rd-list tbody tr")).to_have_count(6)
    page.click(".rd-load-more")
    expect(page.locator("#rd-list tbody tr")).to_have_count(7)  # not the hidden project's
    expect(page.locator(".rd-load-more")).to_be_hidden()
    priorities = page.locator("#rd-list tbody td:nth-child(3)").all_inner_texts()
    assert priorities == sorted(priorities, reverse=True)
    screenshot(page, "view-list")

    # export CSV from the page = the data endpoint's rows
    with page.expect_download() as info:
        page.click("#rd-export-csv")
    with open(info.value.path(), encoding="utf-8") as handle:
        exported = list(csv.reader(handle))
    api = page.request.get(f"{url}/views/list/items?q=printer&columns=id,title,priority,"
                           "assignee&sort=-priority&page_size=500").json()
    assert exported[1:] == [[cell(r[c]) for c in ("id", "title", "priority", "assignee")]
                            for r in api["rows"]]
    assert len(exported) == 8

    # save the view (private), reopen it
    page.click(".rd-saved summary")
    page.fill(".rd-save-form input[name=name]", "Printers by priority")
    with page.expect_navigation():  # the page reloads once the view is saved
        page.click(".rd-save-form button[type=submit]")
    page.click(".rd-saved summary")
    mine = page.locator(".rd-saved-mine li", has_text="Printers by priority")
    expect(mine).to_be_visible()
    page.goto(f"{url}/views/list/")
    page.click(".rd-saved summary")
    page.click(".rd-saved-mine a:has-text('Printers by priority')")
    page.wait_for_url(lambda u: "q=printer" in u and "sort=-priority" in u)
    expect(page.locator("#rd-list tbody tr")).to_have_count(7)

    # share it with the team
    page.click(".rd-saved summary")
    with page.expect_navigation():  # …and once it is shared (not before: that was a race)
        page.select_option(".rd-saved-mine li:has-text('Printers by priority') select",
                           label=shop.team)
    page.click(".rd-saved summary")
    expect(page.locator(".rd-saved-mine li", has_text=f"shared with {shop.team}")) \
        .to_be_visible()

    # a team member opens it and sees the same rows
    other = new_page()
    log_in(other, url, shop.mate)
    other.goto(f"{url}/views/list/")
    other.click(".rd-saved summary")
    other.click(".rd-saved-shared a:has-text('Printers by priority')")
    other.wait_for_url(lambda u: "q=printer" in u)
    expect(other.locator("#rd-list tbody tr")).to_have_count(7)
    assert sorted(table_rows(other)) == sorted(str(r["id"]) for r in api["rows"])


def test_grouping_and_phone_layout(live_server, new_page, app, shop):
    url = live_server.url
    page = new_page(viewport={"width": 390, "height": 844})
    log_in(page, url, shop.agent)
    page.goto(f"{url}/views/list/?group_by=priority&columns=id,title,priority")
    groups = page.locator(".rd-group")
    expect(groups).to_have_count(4)  # priorities 0, 1, 2, 3
    counts = page.locator(".rd-group-count").all_inner_texts()
    assert sorted(map(int, counts)) == [1, 2, 2, 3]
    biggest = groups.first
    biggest.locator(".rd-group-toggle").click()
    expect(biggest.locator("tbody tr")).to_have_count(int(counts[0]))
    cells = biggest.locator("tbody tr").first.locator("td")
    first, second = cells.nth(0).bounding_box(), cells.nth(1).bounding_box()
    assert second["y"] > first["y"]  # stacked on a phone, not side by side
    screenshot(page, "view-list-phone")
    csv_text = page.request.get(f"{url}/views/export/csv?priority=2&columns=id").text()
    assert len(list(csv.reader(io.StringIO(csv_text)))) == 1 + 2
