"""What a form shows: its fields, the built-in request form, who is asked for an e-mail."""

from __future__ import annotations

from tests.webapp.web_forms.builders import portal, web_form
from webapp.models import BuiltinField, WebForm
from webapp.web_forms.fields import default_request_form, form_fields, portal_form


def _names(fields):
    return [f.name for f in fields]


def test_without_a_form_a_visitor_gives_name_email_subject_text_and_files(make):
    fields = form_fields(None, signed_in=False)
    assert _names(fields) == ["name", "email", "title", "description", "attachment"]
    required = {f.name for f in fields if f.required}
    assert required == {"email", "title"}
    assert [f.kind for f in fields] == ["text", "email", "text", "long_text", "file"]


def test_a_signed_in_customer_is_not_asked_who_they_are(make):
    row, _ = portal(make)
    form = web_form(make, row, builtins=(BuiltinField.NAME, BuiltinField.EMAIL,
                                         BuiltinField.TITLE), custom=("qty",))
    assert _names(form_fields(form, signed_in=True)) == ["title", "cf-qty"]
    visitor = form_fields(form, signed_in=False)
    assert _names(visitor) == ["name", "email", "title", "cf-qty"]
    assert next(f for f in visitor if f.name == "email").required  # even if the form says not


def test_custom_fields_carry_label_kind_choices_and_required(make):
    row, _ = portal(make)
    form = web_form(make, row, builtins=(), custom=("plan", "areas", "urgent"),
                    required=("plan",))
    form.fields[1].label = "Which areas?"
    form.fields[1].help_text = "Tick all that apply"
    fields = {f.key: f for f in form_fields(form, signed_in=True)}
    assert fields["plan"].kind == "choice" and fields["plan"].choices == ["Basic", "Pro"]
    assert fields["plan"].required and not fields["urgent"].required
    assert fields["areas"].label == "Which areas?" and fields["areas"].multiple
    assert fields["areas"].help_text == "Tick all that apply"
    assert fields["urgent"].label == "Urgent" and fields["urgent"].kind == "checkbox"


def test_a_survey_asks_only_its_own_fields_and_never_for_files(make):
    row, _ = portal(make)
    survey = web_form(make, row, slug="feedback", survey=True,
                      builtins=(BuiltinField.EMAIL, BuiltinField.ATTACHMENT), custom=("plan",))
    fields = form_fields(survey, signed_in=False)
    assert _names(fields) == ["email", "cf-plan"]
    assert not fields[0].required


def test_the_default_request_form_is_the_first_active_request_form(make):
    row, _ = portal(make)
    assert default_request_form(row) is None
    web_form(make, row, slug="survey", survey=True)
    inactive = web_form(make, row, slug="old", active=False)
    first = web_form(make, row, slug="first")
    web_form(make, row, slug="second")
    assert default_request_form(row).id == first.id
    inactive.active = True
    make.session.commit()
    assert default_request_form(row).id == inactive.id


def test_a_form_is_found_by_slug_only_when_active_and_of_the_portal(make):
    from webapp.models import Portal

    row, _ = portal(make)
    other = Portal(slug="other", name="Other")
    make.session.add(other)
    make.session.commit()
    web_form(make, row, slug="mine")
    web_form(make, other, slug="theirs")
    web_form(make, row, slug="retired", active=False)
    assert isinstance(portal_form(row, "mine"), WebForm)
    assert portal_form(row, "theirs") is None
    assert portal_form(row, "retired") is None
    assert portal_form(other, "theirs") is not None
