"""Staff screens of web forms: the embed code, fields limited to the form's item type, the
"add all custom fields" action, submissions per form and their CSV export."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from tests.clients import Browser
from tests.webapp.web_forms.builders import portal, web_form
from webapp.models import (
    BuiltinField,
    Customer,
    CustomField,
    FieldType,
    FormSubmission,
    ItemKind,
    ItemType,
    WebForm,
    WebFormField,
)


def test_the_show_page_gives_the_public_url_and_embed_code(app, make, client):
    row, _ = portal(make)
    form = web_form(make, row, slug="contact")
    page = Browser(app, client, make.user("Admin").username).page(f"/web-forms/show/{form.id}")
    assert "/portal/help/forms/contact" in page
    assert "&lt;iframe src=&#34;" in page and "/portal/help/forms/contact?embed=1" in page


def test_a_custom_field_of_another_type_is_refused(app, make, client):
    row, _ = portal(make)
    form = web_form(make, row, builtins=(), custom=())
    task_type = make.session.scalars(select(ItemType).where(
        ItemType.kind == ItemKind.TASK)).first()
    foreign = CustomField(item_type_id=task_type.id, key="effort", label="Effort",
                          field_type=FieldType.NUMBER)
    make.session.add(foreign)
    make.session.commit()
    browser = Browser(app, client, make.user("Admin").username)
    response = browser.post("/web-form-fields/add", data={
        "form": form.id, "custom_field": foreign.id, "builtin": "", "position": 0}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "&#39;Effort&#39; is a field of item type" in page
    assert make.session.scalars(select(WebFormField)).all() == []
    ok = browser.post("/web-form-fields/add", data={"form": form.id, "builtin": "title",
                                                    "position": 0})
    assert ok.status_code == 302
    make.session.expire_all()
    assert [f.builtin for f in make.session.scalars(select(WebFormField))] == [
        BuiltinField.TITLE]


def test_add_all_custom_fields_adds_the_missing_ones(app, make, client):
    row, _ = portal(make)
    form = web_form(make, row, builtins=(BuiltinField.TITLE,), custom=("qty",))
    browser = Browser(app, client, make.user("Admin").username)
    response = browser.post("/web-forms/action_post",
                            data={"action": "add_custom_fields", "rowid": [form.id]})
    assert response.status_code == 302
    make.session.expire_all()
    keys = [f.custom_field.key if f.custom_field else f.builtin.value
            for f in make.session.get(type(form), form.id).fields]
    assert keys == ["title", "qty", "ref", "notes", "due", "plan", "areas", "urgent"]


def test_submissions_are_listed_per_form_and_exported_as_csv(app, make, client):
    row, _ = portal(make)
    survey = web_form(make, row, slug="feedback", survey=True,
                      builtins=(BuiltinField.EMAIL,), custom=("plan", "areas"))
    other = web_form(make, row, slug="other", survey=True, builtins=(), custom=("qty",))
    customer = make.customer("ana@client.example")
    make.session.add_all([
        FormSubmission(form_id=survey.id, customer_id=customer.id,
                       answers={"plan": "Pro", "areas": ["Web", "API"]}),
        FormSubmission(form_id=survey.id, answers={"email": "x@y.example", "plan": "Basic"}),
        FormSubmission(form_id=other.id, answers={"qty": 7}),
    ])
    make.session.commit()
    browser = Browser(app, client, make.user("Admin").username)
    listed = browser.page(f"/form-submissions/list/?_flt_0_form={survey.id}")
    assert "<b>areas</b>: Web; API" in listed and "<b>qty</b>" not in listed
    response = browser.get(f"/form-submissions/export/{survey.id}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["submission", "submitted_at", "item", "customer", "email", "plan",
                       "areas"]
    assert [r[3:] for r in rows[1:]] == [["ana@client.example", "", "Pro", "Web; API"],
                                         ["", "x@y.example", "Basic", ""]]
    assert browser.get("/form-submissions/export/999999").status_code == 404


def test_an_agent_may_read_answers_but_not_build_forms(app, make, client):
    row, _ = portal(make)
    form = web_form(make, row, slug="feedback", survey=True, builtins=(), custom=("qty",))
    agent = Browser(app, client, make.user("Agent").username)
    assert agent.get(f"/form-submissions/export/{form.id}").status_code == 200
    assert agent.get("/web-forms/add").status_code in (302, 403)
    assert make.session.scalar(select(Customer.id)) is None


def _keys(make, form_id):
    make.session.expire_all()
    form = make.session.get(WebForm, form_id)
    return [(f.custom_field.key if f.custom_field else f.builtin.value, f.required)
            for f in form.fields]


def test_a_new_form_starts_with_title_description_name_and_email(app, make, client):
    row, _ = portal(make)
    item_type = make.item_type(ItemKind.TICKET)
    browser = Browser(app, client, make.user("Admin").username)
    response = browser.post("/web-forms/add", data={
        "portal": row.id, "slug": "contact", "name": "Contact us", "item_type": item_type.id,
        "active": "y"})
    assert response.status_code == 302
    form = make.session.scalar(select(WebForm).where(WebForm.slug == "contact"))
    assert _keys(make, form.id) == [("title", True), ("description", False),
                                    ("name", False), ("email", True)]
    browser.post("/web-forms/add", data={
        "portal": row.id, "slug": "poll", "name": "Poll", "item_type": item_type.id,
        "is_survey": "y", "active": "y"})
    survey = make.session.scalar(select(WebForm).where(WebForm.slug == "poll"))
    assert _keys(make, survey.id) == [("name", False), ("email", False)]


def test_fields_are_added_in_one_step_item_fields_and_custom_fields(app, make, client):
    row, _ = portal(make)
    form = web_form(make, row, builtins=(BuiltinField.TITLE,), custom=())
    by_key = {f.key: f for f in form.item_type.custom_fields}
    browser = Browser(app, client, make.user("Admin").username)
    page = browser.page(f"/web-forms/show/{form.id}")
    assert 'value="builtin:due_date"' in page and "Due date (the item&#39;s due date)" in page
    assert f'value="custom:{by_key["qty"].id}"' in page
    assert 'value="builtin:title"' not in page  # already asked
    response = browser.post(f"/web-forms/add_fields/{form.id}", data={
        "field": ["builtin:due_date", "builtin:priority", f"custom:{by_key['qty'].id}"]})
    assert response.status_code == 302
    assert _keys(make, form.id) == [("title", False), ("due_date", False),
                                    ("priority", False), ("qty", False)]
    browser.post(f"/web-forms/add_fields/{form.id}", data={"field": "all-custom"})
    assert [k for k, _ in _keys(make, form.id)] == [
        "title", "due_date", "priority", "qty", "ref", "notes", "due", "plan", "areas", "urgent"]
    refused = browser.post(f"/web-forms/add_fields/{form.id}",
                           data={"field": ["builtin:due_date", "custom:999999"]},
                           follow_redirects=True).get_data(as_text=True)
    assert "not offered: builtin:due_date, custom:999999" in refused
    assert len(_keys(make, form.id)) == 10


def test_read_only_staff_cannot_add_fields(app, make, client):
    row, _ = portal(make)
    form = web_form(make, row, builtins=(BuiltinField.TITLE,), custom=())
    browser = Browser(app, client, make.user("Read-only").username)
    response = browser.post(f"/web-forms/add_fields/{form.id}",
                            data={"field": ["builtin:due_date"]})
    assert response.status_code in (302, 403)
    assert _keys(make, form.id) == [("title", False)]
