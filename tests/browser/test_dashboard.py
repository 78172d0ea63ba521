"""The dashboard in Chromium: every chart drawn from the data endpoint's figures for the
page's range and filters, a chart exported as a PNG (opaque, with the chart on it), and on a
phone the cards stacked in one column."""

from __future__ import annotations

import base64
import datetime as dt
import struct
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from tests.browser.conftest import screenshot
from tests.browser.test_board import log_in
from tests.factories import Factory, quick_user, timesheet
from webapp.extensions import db
from webapp.models import Item, ItemSla, Message, SlaPolicy, StatusCategory
from webapp.models.satisfaction import SatisfactionRating

RANGE = "from=2026-03-01&to=2026-03-31&bucket=week"
CHARTS = ["opened", "backlog", "sla", "times", "satisfaction", "hours_project", "hours_person"]


@pytest.fixture
def desk(app: Any) -> SimpleNamespace:
    with app.app_context():
        make = Factory(app)
        team = make.team()
        project = make.project(teams=[team], name="Store openings")
        agent = quick_user(make, "Agent", teams=[team])
        policy = SlaPolicy(name="Store SLA")
        db.session.add(policy)
        db.session.commit()
        for day, priority, solved_day, score in [(2, 2, 4, 5), (3, 2, None, None),
                                                 (10, 4, 12, 2), (17, 4, 24, 4),
                                                 (18, 1, None, None)]:
            item = make.item(project, title=f"Opened on {day} March", priority=priority,
                             created_at=dt.datetime(2026, 3, day, 9, 0))
            # Replied after 2 h (due 4 h: met); resolution due after 3 days.
            db.session.add(ItemSla(item_id=item.id, policy_id=policy.id,
                                   started_at=item.created_at,
                                   first_response_due_at=item.created_at + dt.timedelta(hours=4),
                                   resolution_due_at=item.created_at + dt.timedelta(days=3)))
            db.session.add(Message(item_id=item.id, body_html="<p>On it</p>", is_public=True,
                                   author_user_id=agent.id,
                                   created_at=dt.datetime(2026, 3, day, 11, 0)))
            if solved_day:
                done = next(s for s in item.item_type.statuses
                            if s.category == StatusCategory.DONE)
                db.session.execute(update(Item).where(Item.id == item.id).values(
                    status_id=done.id, status_changed_at=dt.datetime(2026, 3, solved_day, 9)))
            if score:
                db.session.add(SatisfactionRating(
                    item_id=item.id, score=score, created_at=dt.datetime(2026, 3, day + 3, 8)))
            db.session.commit()
            timesheet(make, item, agent, "2.5", work_date=dt.date(2026, 3, day))
        desk = SimpleNamespace(agent=agent.username)
        db.session.remove()
    return desk


def drawn(page: Any, chart: str) -> list[list[Any]]:
    """The data of each dataset the page drew on ``chart``."""
    return page.evaluate(
        "name => window.RelaydeskDashboard.charts[name].data.datasets.map(d => d.data)", chart)


def png_size(content: bytes) -> tuple[int, int]:
    assert content[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert content[12:16] == b"IHDR"
    return struct.unpack(">II", content[16:24])


def test_the_charts_show_the_data_endpoints_figures(app, live_server, page, desk):
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server.url, desk.agent)
    page.goto(f"{live_server.url}/views/dashboard/?{RANGE}")
    expect(page.locator("#rd-dashboard")).to_have_attribute("data-state", "ready")
    figures = page.request.get(f"{live_server.url}/views/dashboard/data?{RANGE}").json()
    assert figures["totals"] == {"opened": 5, "solved": 3, "backlog": 2}
    assert drawn(page, "opened") == [figures["opened"], figures["solved"]]
    assert drawn(page, "backlog") == [[row["count"] for row in figures["backlog"]]]
    assert drawn(page, "sla") == [figures["sla"]["first_response"]["by_bucket"],
                                  figures["sla"]["resolution"]["by_bucket"]]
    assert drawn(page, "times") == [figures["times"]["first_response"]["by_bucket"],
                                    figures["times"]["resolution"]["by_bucket"]]
    assert drawn(page, "satisfaction") == [[figures["satisfaction"]["per_score"][s]
                                            for s in "12345"]]
    assert figures["satisfaction"]["per_score"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}
    assert drawn(page, "hours_project") == [[12.5]]
    assert drawn(page, "hours_person") == [[12.5]]
    expect(page.locator('.rd-chart-card[data-chart="hours_person"] .rd-chart-summary')) \
        .to_have_text("12.5 h logged by 1 person.")
    card = page.locator('.rd-chart-card[data-chart="opened"]')
    expect(card.locator(".rd-chart-summary")).to_have_text("5 opened, 3 solved; 2 open now.")
    expect(page.locator('.rd-chart-card[data-chart="times"] .rd-chart-summary')).to_contain_text(
        "First response: median 2.0 h, average 2.0 h (5 replied)")
    # Solved after 2, 2 and 7 days, two never: resolution met twice, breached three times.
    expect(page.locator('.rd-chart-card[data-chart="sla"] .rd-chart-summary')).to_have_text(
        "First response: 100% met (5 met, 0 breached, 0 pending). "
        "Resolution: 40% met (2 met, 3 breached, 0 pending).")
    for chart in CHARTS:
        box = page.locator(f'.rd-chart-card[data-chart="{chart}"] canvas').bounding_box()
        assert box["width"] > 300 and box["height"] > 200, chart
    screenshot(page, "view-dashboard")

    # The filter bar narrows every chart and keeps the range.
    page.select_option('select[name="priority"]', "4")
    page.click(".rd-filter-bar button[type=submit]")
    expect(page.locator("#rd-dashboard")).to_have_attribute("data-state", "ready")
    assert "from=2026-03-01" in page.url and "priority=4" in page.url
    expect(card.locator(".rd-chart-summary")).to_have_text("2 opened, 2 solved; 0 open now.")
    assert drawn(page, "hours_project") == [[5.0]]

    # The range form keeps the filter.
    page.fill('.rd-range input[name="from"]', "2026-03-15")
    page.select_option('.rd-range select[name="bucket"]', "day")
    page.click(".rd-range button[type=submit]")
    expect(page.locator("#rd-dashboard")).to_have_attribute("data-state", "ready")
    assert "priority=4" in page.url and "bucket=day" in page.url
    assert page.evaluate("window.RelaydeskDashboard.charts.opened.data.labels.length") == 17
    expect(card.locator(".rd-chart-summary")).to_have_text("1 opened, 1 solved; 0 open now.")


def test_a_chart_exports_as_a_png(app, live_server, page, desk, tmp_path: Path):
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server.url, desk.agent)
    page.goto(f"{live_server.url}/views/dashboard/?{RANGE}")
    expect(page.locator("#rd-dashboard")).to_have_attribute("data-state", "ready")
    with page.expect_download() as download:
        page.click('.rd-export[data-chart="opened"]')
    assert download.value.suggested_filename == \
        "relaydesk-opened-2026-03-01-to-2026-03-31.png"
    target = tmp_path / "opened.png"
    download.value.save_as(target)
    content = target.read_bytes()
    canvas = page.evaluate("""() => {
        const c = window.RelaydeskDashboard.charts.opened.canvas;
        return [c.width, c.height]; }""")
    assert list(png_size(content)) == canvas
    # Decoded in the browser: opaque white corners, and lines and labels on it.
    corners, colours = page.evaluate("""async data => {
        const image = new Image();
        image.src = "data:image/png;base64," + data;
        await image.decode();
        const canvas = document.createElement("canvas");
        canvas.width = image.width; canvas.height = image.height;
        const ctx = canvas.getContext("2d");
        ctx.drawImage(image, 0, 0);
        const pixels = ctx.getImageData(0, 0, image.width, image.height).data;
        const at = (x, y) => Array.from(pixels.slice((y * image.width + x) * 4,
                                                     (y * image.width + x) * 4 + 4));
        const seen = new Set();
        for (let i = 0; i < pixels.length; i += 4 * 7) {
            seen.add(pixels[i] + "," + pixels[i + 1] + "," + pixels[i + 2]);
        }
        return [[at(0, 0), at(image.width - 1, image.height - 1)], seen.size];
    }""", base64.b64encode(content).decode())
    assert corners == [[255, 255, 255, 255], [255, 255, 255, 255]]
    assert colours > 20


def test_a_bad_range_is_named_on_the_page(app, live_server, page, desk):
    log_in(page, live_server.url, desk.agent)
    page.goto(f"{live_server.url}/views/dashboard/?from=2026-03-31&to=2026-03-01")
    expect(page.locator(".alert-danger").first).to_contain_text("to: is before from")
    expect(page.locator("#rd-dashboard")).to_have_attribute("data-state", "ready")


def test_on_a_phone_the_charts_are_one_column(app, live_server, new_page, desk):
    phone = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    log_in(phone, live_server.url, desk.agent)
    phone.goto(f"{live_server.url}/views/dashboard/?{RANGE}")
    expect(phone.locator("#rd-dashboard")).to_have_attribute("data-state", "ready")
    boxes = [phone.locator(f'.rd-chart-card[data-chart="{c}"]').bounding_box()
             for c in ("opened", "backlog")]
    assert boxes[1]["y"] > boxes[0]["y"] and boxes[1]["x"] == boxes[0]["x"]
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "view-dashboard-phone")
