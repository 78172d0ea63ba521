"""Generated screens show values as words: no None, True, {}, [..], microseconds or tags."""

from __future__ import annotations

import datetime as dt
import re

from tests.clients import Browser
from tests.factories import quick_user
from webapp.extensions import db
from webapp.models import Portal, WebForm
from webapp.views.display import EMPTY, readable


def test_readable_values(app) -> None:
    with app.test_request_context("/"):
        assert readable(None) == readable("") == readable([]) == readable({}) == EMPTY
        assert (readable(True), readable(False)) == ("Yes", "No")
        assert readable(dt.datetime(2026, 12, 7, 21, 41, 27, 585420)) == "7 Dec 2026, 21:41"
        assert readable(dt.date(2026, 12, 7)) == "7 Dec 2026"
        assert readable(["Alice", "Bob"]) == "Alice, Bob"
        assert readable({"size": "L", "rush": True}) == "size: L; rush: Yes"
        assert readable("<p>POS terminal <b>down</b></p>").strip() == "POS terminal down"


def test_a_show_screen_has_no_raw_values(app, make) -> None:
    admin = quick_user(make, "Admin", name="display_admin")
    portal = db.session.query(Portal).first()
    form = WebForm(portal_id=portal.id, slug="display", name="Display form",
                   item_type_id=make.item_type().id)
    db.session.add(form)
    db.session.commit()
    page = Browser(app, app.test_client(), admin.username).page(f"/web-forms/show/{form.id}")
    cells = re.findall(r"<td>\s*<span[^>]*>(.*?)</span>", page, re.S)
    assert cells, page[:500]
    shown = " | ".join(cell.strip() for cell in cells)
    for raw in ("None", "True", "False", "{}", "[]"):
        assert raw not in shown.split(" | "), shown
    assert not re.search(r"\d\d:\d\d:\d\d\.\d{6}", page), shown
    assert "No" in shown and EMPTY in shown
