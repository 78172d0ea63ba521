"""The portal's request page: staff authors by their display (first) name, never their
username; the answers the customer gave in the form's own fields, with the form's labels."""

from __future__ import annotations

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from tests.factories import message
from tests.webapp.web_forms.builders import portal, web_form
from webapp.models import BuiltinField, Item, WebFormField

PASSWORD = "correct horse battery"


def _signed_in(app, client, make, email: str = "carla@client.example"):
    customer = make.customer(email, name="Carla",
                             password_hash=generate_password_hash(PASSWORD))
    with app.app_context():
        assert client.post("/portal/help/sign-in", data={
            "email": email, "password": PASSWORD}).status_code == 302
    return customer


def _page(app, client, url: str) -> str:
    with app.app_context():
        response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_staff_authors_show_by_display_name_never_username(app, client, make):
    _row, project = portal(make)
    customer = _signed_in(app, client, make)
    item = make.item(project, requester_id=customer.id, title="Printer")
    admin = make.user("Admin", name="admin")  # as `relaydesk create-admin` makes it
    assert admin.first_name == "admin"
    agent = make.user("Agent")
    agent.first_name, agent.last_name = "Omar Luis", "Operator"
    make.session.commit()
    message(make, item, admin, "<p>From the admin</p>")
    message(make, item, agent, "<p>From Omar</p>")
    page = _page(app, client, f"/portal/help/requests/{item.id}")
    assert "<strong>admin</strong>" not in page and agent.username not in page
    assert "<strong>Support team</strong>" in page and "<strong>Omar</strong>" in page


def test_the_request_shows_the_form_answers_with_their_labels(app, client, make):
    row, _project = portal(make)
    form = web_form(make, row, slug="contact",
                    builtins=(BuiltinField.TITLE, BuiltinField.DESCRIPTION,
                              BuiltinField.DUE_DATE, BuiltinField.PRIORITY),
                    custom=("ref", "plan", "areas", "urgent", "qty"))
    relabelled = make.session.scalar(select(WebFormField).where(
        WebFormField.form_id == form.id, WebFormField.custom_field_id.is_not(None)))
    relabelled.label = "Purchase order"  # the form's own label wins over the field's
    make.session.commit()
    _signed_in(app, client, make)
    with app.app_context():
        response = client.post("/portal/help/forms/contact", data={
            "title": "Flyer", "description": "Spring", "due_date": "2026-03-12",
            "priority": "3", "cf-ref": "PO-7", "cf-plan": "Pro",
            "cf-areas": ["Web", "API"], "cf-urgent": "1"})
    assert response.status_code == 302, response.get_data(as_text=True)
    item = make.session.scalars(select(Item)).one()
    page = _page(app, client, f"/portal/help/requests/{item.id}")
    answers = page[page.index('class="form-answers"'):page.index("</dl>")]
    for label, value in [("Purchase order", "PO-7"), ("Plan", "Pro"), ("Areas", "Web, API"),
                         ("Urgent", "Yes"), ("Due date", "2026-03-12"), ("Priority", "High")]:
        assert f"<dt>{label}</dt><dd>{value}</dd>" in answers
    assert "Qty" not in answers  # not answered: not shown
    # In the customer's language.
    pt = _page(app, client, f"/portal/help/requests/{item.id}?lang=pt")
    assert "<dd>Sim</dd>" in pt and "<dt>Data de entrega</dt>" in pt
