"""Staff screens for web forms: forms with their fields (custom fields of the form's item
type, or built-ins), the public URL and embed code, and the answers received — per form,
with a CSV export (how surveys are reported)."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response, abort, flash, redirect
from flask_appbuilder.actions import action
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.views import expose
from markupsafe import Markup, escape
from sqlalchemy import select
from wtforms import BooleanField, SelectField

from webapp.access.interface import ScopedInterface, request_viewer
from webapp.access.scope import Viewer, load_visible, visibility_clause
from webapp.extensions import db
from webapp.models import BuiltinField, FormSubmission, WebForm, WebFormField
from webapp.portal.links import external_url
from webapp.security.resources import METHOD_PERMISSIONS
from webapp.views.base import ScopedModelView
from webapp.web_forms import rules as _rules  # noqa: F401  (registers the form rules)

_READ_ONLY = {"list", "show"}


def _builtin_or_none(value: Any) -> BuiltinField | None:
    return BuiltinField(value) if value else None


# FAB's own enum field refuses the empty choice a nullable column needs.
_BUILTIN_FIELD = SelectField(
    "Built-in field", coerce=_builtin_or_none,
    choices=[("", "— (use the custom field)")] + [(b.value, b.value) for b in BuiltinField],
    description="title, description, name, email or attachment (when no custom field)")


def form_links(pk: int) -> dict[str, str] | None:
    """The public URL of form ``pk`` and the iframe snippet that embeds it."""
    form = db.session.get(WebForm, pk)
    if form is None:
        return None
    url = external_url("portal.web_form", portal_slug=form.portal.slug, slug=form.slug)
    embed = f"{url}?embed=1"
    snippet = (f'<iframe src="{embed}" title="{escape(form.name)}" '
               'style="width:100%;min-height:640px;border:0" loading="lazy"></iframe>')
    return {"url": url, "embed_url": embed, "snippet": snippet}


def _answers_text(answers: dict[str, Any] | None) -> Markup:
    parts = [f"<b>{escape(key)}</b>: {escape(_cell(value))}"
             for key, value in (answers or {}).items()]
    return Markup("<br>".join(parts))


def _cell(value: Any) -> str:
    """One answer as spreadsheet text (several choices or files joined by "; ")."""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def _field_key(row: WebFormField) -> str:
    return row.builtin.value if row.builtin else row.custom_field.key  # type: ignore[union-attr]


def submissions_csv(form: WebForm, viewer: Viewer) -> str:
    """The submissions of ``form`` that ``viewer`` may see, oldest first, one column per field
    (in form order)."""
    rows = db.session.scalars(select(FormSubmission).where(
        FormSubmission.form_id == form.id, visibility_clause(FormSubmission, viewer))
        .order_by(FormSubmission.id)).all()
    keys = [_field_key(f) for f in form.fields]
    keys += sorted({k for r in rows for k in (r.answers or {})} - set(keys))  # removed fields
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["submission", "submitted_at", "item", "customer", *keys])
    for row in rows:
        answers = row.answers or {}
        writer.writerow([row.id, row.created_at.isoformat(sep=" ", timespec="seconds"),
                         row.item_id or "", row.customer.email if row.customer else "",
                         *(_cell(answers.get(key)) for key in keys)])
    return out.getvalue()


class WebFormFieldView(ScopedModelView):
    route_base = "/web-form-fields"
    class_permission_name = "WebFormField"
    datamodel = ScopedInterface(WebFormField)
    list_columns = ["form", "position", "custom_field", "builtin", "label", "required"]
    add_columns = ["form", "custom_field", "builtin", "label", "help_text", "required",
                   "position"]
    edit_columns = add_columns
    show_columns = add_columns
    search_columns = ["form", "custom_field", "builtin", "required"]
    description_columns = {
        "custom_field": "A custom field of the form's item type (or leave empty and choose a "
                        "built-in field)",
        "label": "Shown instead of the field's own label",
    }
    # FAB makes a NOT NULL boolean required, i.e. always ticked.
    add_form_extra_fields = {"builtin": _BUILTIN_FIELD, "required": BooleanField("Required")}
    edit_form_extra_fields = add_form_extra_fields
    base_order = ("position", "asc")


class FormSubmissionView(ScopedModelView):
    route_base = "/form-submissions"
    class_permission_name = "FormSubmission"
    datamodel = ScopedInterface(FormSubmission)
    include_route_methods = _READ_ONLY | {"export"}
    list_columns = ["created_at", "form", "item", "customer", "answers"]
    show_columns = ["form", "created_at", "item", "customer", "answers"]
    search_columns = ["form", "item", "customer", "created_at"]
    label_columns = {"created_at": "Submitted"}
    formatters_columns = {"answers": _answers_text}
    base_order = ("id", "desc")

    @expose("/export/<int:form_id>")
    @has_access
    def export(self, form_id: int) -> Any:
        """A form's submissions as CSV (one column per field)."""
        viewer = request_viewer()
        form = load_visible(db.session, WebForm, form_id, viewer)
        if form is None:
            abort(404)
        response = Response(submissions_csv(form, viewer), mimetype="text/csv")
        response.headers["Content-Disposition"] = \
            f'attachment; filename="{form.slug}-submissions.csv"'
        return response


class WebFormView(ScopedModelView):
    route_base = "/web-forms"
    class_permission_name = "WebForm"
    method_permission_name = {**METHOD_PERMISSIONS, "add_custom_fields": "write"}
    datamodel = ScopedInterface(WebForm)
    list_columns = ["name", "slug", "portal", "item_type", "is_survey", "active"]
    add_columns = ["portal", "slug", "name", "item_type", "project", "is_survey", "active",
                   "intro", "success_message"]
    edit_columns = add_columns
    show_columns = add_columns + ["created_at", "updated_at"]
    search_columns = ["name", "slug", "portal", "item_type", "is_survey", "active"]
    label_columns = {"is_survey": "Survey"}
    description_columns = {
        "slug": "Part of the public URL: /portal/<portal>/forms/<slug>",
        "project": "Where requests land (empty: the portal's project); unused by surveys",
        "is_survey": "A survey only stores its answers; a request form creates a ticket",
    }
    add_form_extra_fields = {"is_survey": BooleanField("Survey"),
                             "active": BooleanField("Active", default=True)}
    edit_form_extra_fields = add_form_extra_fields
    related_views = [WebFormFieldView, FormSubmissionView]
    show_template = "relaydesk/web_form_show.html"
    extra_args = {"form_links": form_links}
    base_order = ("name", "asc")

    @action("add_custom_fields", "Add all custom fields",
            "Add every custom field of the form's item type that it does not ask yet?",
            "fa-plus", multiple=True, single=True)
    def add_custom_fields(self, forms: WebForm | list[WebForm]) -> Any:
        """Every custom field of the form's type not on the form yet, after its fields."""
        for form in forms if isinstance(forms, list) else [forms]:
            self._add_custom_fields(form)
        return redirect(self.get_redirect())

    def _add_custom_fields(self, form: WebForm) -> None:
        present = {f.custom_field_id for f in form.fields}
        position = max((f.position for f in form.fields), default=-1) + 1
        added = 0
        for custom in sorted(form.item_type.custom_fields, key=lambda c: (c.position, c.id)):
            if custom.id in present:
                continue
            field = WebFormField(form_id=form.id, custom_field_id=custom.id,
                                 position=position + added)
            WebFormFieldView.datamodel.add(field, commit=False)
            added += 1
        WebFormFieldView.datamodel.commit()
        flash(f"{added} custom fields added to {form.name!r}", "success")


def register(appbuilder: Any, menu: str) -> None:
    appbuilder.add_view(WebFormView, "Web forms", icon="fa-wpforms", category=menu)
    appbuilder.add_view(FormSubmissionView, "Form submissions", icon="fa-inbox",
                        category=menu)
    appbuilder.add_view_no_menu(WebFormFieldView)
