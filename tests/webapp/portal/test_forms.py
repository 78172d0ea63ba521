"""Public web-form pages through HTTP: render, refuse with every answer kept (422), create,
thank; embedding, the sign-in rule, other portals' and inactive forms, the rate limit."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from tests.webapp.web_forms.builders import portal, web_form
from webapp.models import BuiltinField, FormSubmission, Item, Portal
from webapp.portal.session import CUSTOMER_KEY


@pytest.fixture
def call(app, client):
    """client.<method>(…) in an app context of its own, as in production."""
    def _call(method, url, **kw):
        with app.app_context():
            return getattr(client, method)(url, **kw)
    return _call


def _sign_in(client, customer):
    with client.session_transaction() as session:
        session[CUSTOMER_KEY] = customer.id


def _count(make, model):
    make.session.expire_all()
    return make.session.scalar(select(func.count()).select_from(model))


def test_the_new_request_page_without_a_form_asks_subject_text_and_files(make, call):
    portal(make)
    page = call("get", "/portal/help/new").get_data(as_text=True)
    for name in ("name", "email", "title", "description", "attachment"):
        assert f'name="{name}"' in page
    assert 'enctype="multipart/form-data"' in page
    assert 'id="kb-suggestions"' in page and "/portal/help/kb/suggest" in page
    assert "portal/suggest.js" in page


def test_a_closed_portal_sends_visitors_to_sign_in(make, call, client):
    row, _ = portal(make, login_required=True)
    web_form(make, row)
    for url in ("/portal/help/new", "/portal/help/forms/contact"):
        response = call("get", url)
        assert response.status_code == 302
        assert "/portal/help/sign-in?next=" in response.headers["Location"]
    _sign_in(client, make.customer())
    assert call("get", "/portal/help/forms/contact").status_code == 200


def test_inactive_and_other_portals_forms_are_404(make, call):
    row, _ = portal(make)
    other = Portal(slug="other", name="Other", login_required=False)
    make.session.add(other)
    make.session.commit()
    web_form(make, other, slug="theirs")
    web_form(make, row, slug="retired", active=False)
    assert call("get", "/portal/help/forms/theirs").status_code == 404
    assert call("get", "/portal/help/forms/retired").status_code == 404
    assert call("post", "/portal/help/forms/retired", data={"title": "x"}).status_code == 404
    assert call("get", "/portal/help/forms/nothing").status_code == 404
    assert call("get", "/portal/other/forms/theirs").status_code == 200


def test_errors_show_at_their_fields_and_what_was_typed_stays(make, call, client):
    row, _ = portal(make)
    web_form(make, row, required=("ref",))
    _sign_in(client, make.customer())
    response = call("post", "/portal/help/forms/contact", data={
        "title": "Broken <printer>", "description": "It smokes", "cf-qty": "lots",
        "cf-due": "2025-13-01", "cf-plan": "Pro", "cf-areas": ["Web", "API"], "cf-urgent": "1"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="Broken &lt;printer&gt;"' in page and ">It smokes</textarea>" in page
    assert 'value="lots"' in page and 'value="2025-13-01"' in page
    assert '<option value="Pro" selected>' in page
    assert 'value="Web"\n               checked' in page or 'value="Web" checked' in " ".join(
        page.split())
    assert "Enter a number, like 12 or 3.5." in page
    assert "Enter a date like 2025-01-31." in page
    assert page.count("This field is required.") == 1  # cf-ref
    assert 'id="f-cf-qty-error"' in page and 'class="field has-error"' in page
    assert _count(make, Item) == 0 and _count(make, FormSubmission) == 0


def test_a_signed_in_customer_creates_a_request_and_may_open_it(make, call, client):
    row, project = portal(make)
    form = web_form(make, row, success_message="Thanks, we are on it.")
    customer = make.customer("ana@client.example")
    _sign_in(client, customer)
    response = call("post", "/portal/help/forms/contact", data={
        "title": "Printer", "description": "Smoke", "cf-qty": "2", "cf-plan": "Basic",
        "cf-areas": ["Mobile"], "attachment": (io.BytesIO(b"log line"), "log.txt")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    assert response.headers["Location"] == "/portal/help/forms/contact/done"
    item = make.session.scalars(select(Item)).one()
    assert (item.requester_id, item.project_id) == (customer.id, project.id)
    assert item.custom_values == {"qty": 2, "plan": "Basic", "areas": ["Mobile"],
                                  "urgent": False}
    record = make.session.scalars(select(FormSubmission)).one()
    assert (record.form_id, record.item_id) == (form.id, item.id)
    done = call("get", "/portal/help/forms/contact/done").get_data(as_text=True)
    assert "Thanks, we are on it." in done
    assert f"/portal/help/requests/{item.id}" in done
    # The page shows what was just sent once; a reload does not link a request again.
    assert f"/requests/{item.id}" not in call("get", "/portal/help/forms/contact/done") \
        .get_data(as_text=True)


def test_a_visitor_sends_a_request_with_name_and_email(make, call):
    portal(make)
    response = call("post", "/portal/help/new", data={
        "name": "Bo", "email": "bo@client.example", "title": "Hello", "description": "Hi"})
    assert response.status_code == 302
    item = make.session.scalars(select(Item)).one()
    assert item.requester.email == "bo@client.example" and item.requester.name == "Bo"
    done = call("get", response.headers["Location"]).get_data(as_text=True)
    assert "We received your request" in done
    assert "/requests/" not in done  # a visitor is not signed in: no link to the request


def test_a_survey_stores_answers_only(make, call):
    row, _ = portal(make)
    web_form(make, row, slug="feedback", survey=True, builtins=(BuiltinField.EMAIL,),
             custom=("plan", "qty"), success_message="Obrigado!")
    page = call("get", "/portal/help/forms/feedback").get_data(as_text=True)
    assert "kb-suggestions" not in page and 'name="attachment"' not in page
    response = call("post", "/portal/help/forms/feedback", data={"cf-plan": "Pro",
                                                                 "cf-qty": "4"})
    assert response.status_code == 302
    assert _count(make, Item) == 0
    record = make.session.scalars(select(FormSubmission)).one()
    assert record.answers == {"plan": "Pro", "qty": 4}
    assert "Obrigado!" in call("get", response.headers["Location"]).get_data(as_text=True)


def test_an_embedded_form_has_no_header_and_stays_embedded(make, call):
    row, _ = portal(make)
    web_form(make, row, builtins=(BuiltinField.TITLE,), custom=())
    page = call("get", "/portal/help/forms/contact?embed=1").get_data(as_text=True)
    assert "portal-header" not in page and 'class="embedded"' in page
    assert 'action="/portal/help/forms/contact?embed=1"' in page
    refused = call("post", "/portal/help/forms/contact?embed=1", data={"title": ""})
    assert refused.status_code == 422 and "portal-header" not in refused.get_data(as_text=True)
    response = call("post", "/portal/help/forms/contact?embed=1", data={
        "title": "From the iframe", "email": "x@client.example"})
    assert response.headers["Location"] == "/portal/help/forms/contact/done?embed=1"
    assert "portal-header" not in call("get", response.headers["Location"]).get_data(
        as_text=True)


def test_a_file_too_large_is_refused_and_nothing_kept(app, make, call, monkeypatch):
    portal(make)
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", 5)
    response = call("post", "/portal/help/new", data={
        "email": "f@client.example", "title": "File", "attachment": (io.BytesIO(b"123456"),
                                                                     "six.txt")},
        content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "A file could not be attached: it is empty or larger than 5 bytes." in page
    assert 'value="File"' in page
    assert _count(make, Item) == 0


def test_form_posts_are_rate_limited_per_address(app, make, call, monkeypatch):
    portal(make)
    monkeypatch.setitem(app.config, "PUBLIC_FORM_RATE_LIMIT", "2 per minute")
    for _ in range(2):
        assert call("post", "/portal/help/new", data={"title": ""}).status_code == 422
    limited = call("post", "/portal/help/new", data={"title": "x", "email": "a@b.example"})
    assert limited.status_code == 429
    assert "Too many forms were sent" in limited.get_data(as_text=True)
    assert _count(make, Item) == 0
    other = call("post", "/portal/help/new", data={"title": ""},
                 environ_base={"REMOTE_ADDR": "127.0.0.2"})
    assert other.status_code == 422
    assert call("get", "/portal/help/new").status_code == 200  # reading is not limited
