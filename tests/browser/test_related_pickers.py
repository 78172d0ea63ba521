"""Related-row pickers in Chromium: on /tasks/add the project is found by typing, two assignees
are picked, the task is saved with them; on a phone (390 px) the pickers fit the screen."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import screenshot
from tests.browser.test_board import log_in
from tests.factories import Factory, quick_user
from webapp.models import Item, ItemKind, Project


@pytest.fixture
def office(app: Any) -> SimpleNamespace:
    with app.app_context():
        make = Factory(app)
        team = make.team("Field crew")
        agent = quick_user(make, "Agent", teams=[team])
        people = []
        for first, last in (("Grace", "Hopper"), ("Alan", "Turing"), ("Edsger", "Dijkstra")):
            user = quick_user(make, "Agent", teams=[team])
            user.first_name, user.last_name = first, last
            people.append(user)
        make.session.add_all([Project(name=f"Harbor site {n:02d}", teams=[team])
                              for n in range(60)])
        make.session.add(Project(name="Lighthouse retrofit", teams=[team]))
        make.session.add(Project(name="Lighthouse hidden", teams=[make.team("Elsewhere")]))
        make.session.commit()
        task_type = make.item_type(ItemKind.TASK)
        return SimpleNamespace(agent=agent.username, type_name=task_type.name,
                               status=task_type.statuses[0].name,
                               people=[u.id for u in people])


def open_picker(page: Any, name: str) -> None:
    page.locator(f"select[name={name}] + .select2-container .select2-selection").click()


def pick(page: Any, name: str, text: str, label: str | None = None) -> None:
    """Type ``text`` into the picker of column ``name`` and choose the result reading
    ``label`` (default: ``text``)."""
    open_picker(page, name)
    page.keyboard.type(text)
    results = page.locator(".select2-container--open .select2-results__option")
    # Wait for the answer to the whole text: results of a shorter one may still be on screen
    # and be redrawn under the click (on a busy machine that picked another row).
    expect(results.first).to_contain_text(label or text)
    # has_text with a string ignores case ("Task" would match "Milestone (task)"): a pattern.
    results.filter(has_text=re.compile(re.escape(label or text))).first.click()
    chosen = page.locator(f"select[name={name}] + .select2-container .select2-selection")
    expect(chosen).to_contain_text(label or text)


def test_pick_project_and_assignees_then_save(live_server, new_page, app, office):
    url = live_server.url
    page = new_page(viewport={"width": 1280, "height": 900})
    log_in(page, url, office.agent)
    page.goto(f"{url}/tasks/add")
    assert page.locator("option").count() < 60
    page.fill("input[name=title]", "Replace the lamp")
    pick(page, "item_type", office.type_name)
    # Status names repeat across types: the label names the type.
    pick(page, "status", office.status, f"{office.status} ({office.type_name})")

    open_picker(page, "project")
    page.keyboard.type("lighthouse")
    results = page.locator(".select2-container--open .select2-results__option")
    expect(results).to_have_count(1)  # not the other team's "Lighthouse hidden"
    expect(results.first).to_have_text("Lighthouse retrofit")
    screenshot(page, "related-picker-desktop")
    results.first.click()
    expect(page.locator("select[name=project] + .select2-container")).to_contain_text(
        "Lighthouse retrofit")

    pick(page, "assignee_users", "Hopper")
    pick(page, "assignee_users", "Turing")
    chosen = page.locator("select[name=assignee_users] + .select2-container "
                          ".select2-selection__choice")
    expect(chosen).to_have_count(2)
    page.click("#model_form button[type=submit], form[method=post] button[type=submit]")
    page.wait_for_url(lambda u: "/tasks/add" not in u)
    # The screen says what it did (a refusal would be flashed here instead).
    expect(page.locator(".alert")).to_contain_text("Added Row")

    with app.app_context():
        make = Factory(app)
        task = make.session.scalars(select(Item).where(Item.title == "Replace the lamp")).one()
        assert task.project.name == "Lighthouse retrofit"
        assert sorted(u.id for u in task.assignee_users) == sorted(office.people[:2])


def test_pickers_fit_a_phone(live_server, new_page, app, office):
    url = live_server.url
    page = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    log_in(page, url, office.agent)
    page.goto(f"{url}/tasks/add")
    pick(page, "assignee_users", "Dijkstra")
    open_picker(page, "project")
    page.keyboard.type("harbor 1")
    results = page.locator(".select2-container--open .select2-results__option")
    expect(results.first).to_have_text("Harbor site 01")
    for selector in ("select[name=project] + .select2-container",
                     ".select2-container--open .select2-dropdown"):
        box = page.locator(selector).last.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (selector, box)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "related-picker-390px")


def test_list_filter_searches_too(live_server, new_page, app, office):
    url = live_server.url
    page = new_page(viewport={"width": 1280, "height": 900})
    log_in(page, url, office.agent)
    page.goto(f"{url}/tasks/list/")
    page.click("a.accordion-toggle[href='#accordion1_href']")
    page.click("#filter_form button.dropdown-toggle")
    page.click("#filter_form a.filter[name=project]")
    page.locator("#filter_form select[name=_flt_0_project] + .select2-container "
                 ".select2-selection").click()
    page.keyboard.type("lighthouse")
    results = page.locator(".select2-container--open .select2-results__option")
    expect(results).to_have_count(1)
    results.first.click()
    page.click("#filter_form button[type=submit]")
    page.wait_for_url(lambda u: "_flt_0_project=" in u)
    # The active filter shows the project's name, not its id.
    expect(page.locator("#filter_form .select2-selection__rendered").last).to_contain_text(
        "Lighthouse retrofit")


def test_recipe_editor_suggests_projects_while_typing(live_server, new_page, app, office):
    with app.app_context():
        admin = quick_user(Factory(app), "Admin").username
    page = new_page(viewport={"width": 390, "height": 844})
    log_in(page, live_server.url, admin)
    page.goto(f"{live_server.url}/recipe-editor/")
    page.select_option(".rd-action-type", "move_to_project")
    field = page.locator("input[data-field=project]")
    field.fill("lighth")
    options = page.locator("#" + field.get_attribute("list") + " option")
    expect(options).to_have_count(2)  # an admin sees every project
    assert sorted(options.evaluate_all("os => os.map(o => o.value)")) == [
        "Lighthouse hidden", "Lighthouse retrofit"]
