"""Generated forms answer a bad enum value with a field error, not a 500."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.clients import Browser
from tests.factories import quick_user
from webapp.extensions import db
from webapp.models import ItemType


def test_a_made_up_enum_value_is_a_field_error(app, make) -> None:
    admin = quick_user(make, "Admin", name="enum_admin")
    before = db.session.scalar(select(func.count()).select_from(ItemType))
    browser = Browser(app, app.test_client(), admin.username)
    for kind in ("nonsense", None):
        data = {"name": "Hardware"} | ({"kind": kind} if kind else {})
        response = browser.post("/item-types/add", data=data)
        assert response.status_code == 200
        assert 'class="alert alert-danger"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(ItemType)) == before
