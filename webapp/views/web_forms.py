"""Staff screens for web forms: forms with their fields (custom fields of the form's item
type, or built-ins), the public URL and embed code, and the answers received — per form,
with a CSV export (how surveys are reported)."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response, abort, flash, redirect, request, url_for
from flask_appbuilder.actions import action
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.views import expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import select
from wtforms import BooleanField, SelectField

from webapp.access.interface import ScopedInterface, request_viewer
from webapp.access.scope import Viewer, load_visible, visibility_clause
from webapp.commands.errors import Invalid
from webapp.extensions import db
from webapp.models import BuiltinField, FormSubmission, WebForm, WebFormField
from webapp.models.web_forms import ITEM_FIELDS
from webapp.portal.links import external_url
from webapp.security.resources import METHOD_PERMISSIONS
from webapp.views.base import ScopedModelView
from webapp.views.labels import add_screen
from webapp.web_forms import rules as _rules  # noqa: F401  (registers the form rules)

_READ_ONLY = {"list", "show"}


def _builtin_or_none(value: Any) -> BuiltinField | None:
    return BuiltinField(value) if value else None


# What each built-in fills, as the builder names it.
BUILTIN_NAMES = {
    BuiltinField.TITLE: _l("Title (the item's title)"),
    BuiltinField.DESCRIPTION: _l("Description (the item's first message)"),
    BuiltinField.NAME: _l("Requester's name"),
    BuiltinField.EMAIL: _l("Requester's e-mail"),
    BuiltinField.ATTACHMENT: _l("Attachments"),
    BuiltinField.DUE_DATE: _l("Due date (the item's due date)"),
    BuiltinField.PRIORITY: _l("Priority (the item's priority)"),
    BuiltinField.ITEM_TYPE: _l("Type (the item's type, of the form's kind)"),
    BuiltinField.PLANNED_START: _l("Planned start (the item's)"),
    BuiltinField.PLANNED_FINISH: _l("Planned finish (the item's)"),
}
# Every new request form asks these; a new survey only who answers.
STARTER_FIELDS = ((BuiltinField.TITLE, True), (BuiltinField.DESCRIPTION, False),
                  (BuiltinField.NAME, False), (BuiltinField.EMAIL, True))
SURVEY_STARTER_FIELDS = ((BuiltinField.NAME, False), (BuiltinField.EMAIL, False))
ALL_CUSTOM = "all-custom"

# FAB's own enum field refuses the empty choice a nullable column needs.
_BUILTIN_FIELD = SelectField(
    _l("Item or built-in field"), coerce=_builtin_or_none,
    choices=[("", _l("— (use the custom field)"))] + [(b.value, BUILTIN_NAMES[b])
                                                       for b in BuiltinField],
    description=_l("A field of the item itself (title, due date, priority, type, planned "
                   "dates) or of the requester, when no custom field is chosen"))


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


def available_fields(pk: int) -> list[tuple[str, str]]:
    """What the builder's "add fields" step offers form ``pk``: (value, name) of every item
    or built-in field and custom field of its type that it does not ask yet."""
    form = db.session.get(WebForm, pk)
    if form is None:
        return []
    present = {f.builtin for f in form.fields} | {f.custom_field_id for f in form.fields}
    offered = [(f"builtin:{b.value}", str(BUILTIN_NAMES[b])) for b in BuiltinField
               if b not in present and not (form.is_survey and (
                   b == BuiltinField.ATTACHMENT or b in ITEM_FIELDS))]
    offered += [(f"custom:{c.id}", gettext("%(label)s (custom field)", label=c.label))
                for c in sorted(form.item_type.custom_fields, key=lambda c: (c.position, c.id))
                if c.id not in present]
    return offered


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
    list_title = _l("Web form fields")
    show_title = _l("Web form field")
    add_title = _l("New web form field")
    edit_title = _l("Edit web form field")
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
        "custom_field": _l("A custom field of the form's item type (or leave empty and "
                           "choose a built-in field)"),
        "label": _l("Shown instead of the field's own label"),
    }
    # FAB makes a NOT NULL boolean required, i.e. always ticked.
    add_form_extra_fields = {"builtin": _BUILTIN_FIELD, "required": BooleanField(_l("Required"))}
    edit_form_extra_fields = add_form_extra_fields
    base_order = ("position", "asc")


class FormSubmissionView(ScopedModelView):
    list_title = _l("Form submissions")
    show_title = _l("Form submission")
    add_title = _l("New form submission")
    edit_title = _l("Edit form submission")
    route_base = "/form-submissions"
    class_permission_name = "FormSubmission"
    datamodel = ScopedInterface(FormSubmission)
    include_route_methods = _READ_ONLY | {"export"}
    list_columns = ["created_at", "form", "item", "customer", "answers"]
    show_columns = ["form", "created_at", "item", "customer", "answers"]
    search_columns = ["form", "item", "customer", "created_at"]
    label_columns = {"created_at": _l("Submitted")}
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
    list_title = _l("Web forms")
    show_title = _l("Web form")
    add_title = _l("New web form")
    edit_title = _l("Edit web form")
    route_base = "/web-forms"
    class_permission_name = "WebForm"
    method_permission_name = {**METHOD_PERMISSIONS, "add_custom_fields": "write",
                              "add_fields": "write"}
    datamodel = ScopedInterface(WebForm)
    list_columns = ["name", "slug", "portal", "item_type", "is_survey", "active"]
    add_columns = ["portal", "slug", "name", "item_type", "project", "is_survey", "active",
                   "intro", "success_message"]
    edit_columns = add_columns
    show_columns = add_columns + ["created_at", "updated_at"]
    search_columns = ["name", "slug", "portal", "item_type", "is_survey", "active"]
    label_columns = {"is_survey": _l("Survey")}
    description_columns = {
        "slug": _l("Part of the public URL: /portal/<portal>/forms/<slug>"),
        "project": _l("Where requests land (empty: the portal's project); unused by surveys"),
        "is_survey": _l("A survey only stores its answers; a request form creates a ticket"),
    }
    add_form_extra_fields = {"is_survey": BooleanField(_l("Survey")),
                             "active": BooleanField(_l("Active"), default=True)}
    edit_form_extra_fields = add_form_extra_fields
    related_views = [WebFormFieldView, FormSubmissionView]
    show_template = "relaydesk/web_form_show.html"
    extra_args = {"form_links": form_links, "available_fields": available_fields}
    base_order = ("name", "asc")

    @action("add_custom_fields", _l("Add all custom fields"),
            _l("Add every custom field of the form's item type that it does not ask yet?"),
            "fa-plus", multiple=True, single=True)
    def add_custom_fields(self, forms: WebForm | list[WebForm]) -> Any:
        """Every custom field of the form's type not on the form yet, after its fields."""
        for form in forms if isinstance(forms, list) else [forms]:
            self._add_custom_fields(form)
        return redirect(self.get_redirect())

    def _add_custom_fields(self, form: WebForm) -> None:
        customs = sorted(form.item_type.custom_fields, key=lambda c: (c.position, c.id))
        added = self._add_rows(form, [WebFormField(custom_field_id=c.id) for c in customs])
        flash(gettext("%(count)d custom fields added to %(form)r", count=added, form=form.name),
              "success")

    def _add_rows(self, form: WebForm, rows: list[WebFormField]) -> int:
        """``rows`` the form does not ask yet, after its fields, through the write check;
        the number added."""
        present = {f.builtin for f in form.fields} | {f.custom_field_id for f in form.fields}
        position = max((f.position for f in form.fields), default=-1) + 1
        added = 0
        for row in rows:
            if (row.builtin or row.custom_field_id) in present:
                continue
            row.form_id, row.position = form.id, position + added
            row.required = bool(row.required)
            WebFormFieldView.datamodel.add(row, commit=False)  # Invalid: rolled back
            added += 1
        WebFormFieldView.datamodel.commit()
        return added

    def post_add(self, item: WebForm) -> None:
        """A new form starts with the fields every request asks (a survey: who answers)."""
        starters = SURVEY_STARTER_FIELDS if item.is_survey else STARTER_FIELDS
        self._add_rows(item, [WebFormField(builtin=b, required=r) for b, r in starters])
        self.post_update(item)  # the same project warning as after an edit

    def post_update(self, item: WebForm) -> None:
        """Warn when requests would land in a project no agent can see."""
        from webapp.views.setup_warnings import flash_unseen

        flash_unseen(item)

    @expose("/add_fields/<int:pk>", methods=["POST"])
    @has_access
    def add_fields(self, pk: int) -> Any:
        """The builder's one step: the ticked fields (``builtin:<name>``, ``custom:<id>``)
        or, with ``all-custom``, every custom field of the form's type."""
        form = load_visible(db.session, WebForm, pk, request_viewer())
        if form is None:
            abort(404)
        chosen = request.form.getlist("field")
        if ALL_CUSTOM in chosen:
            self._add_custom_fields(form)
            return redirect(url_for(".show", pk=pk))
        offered = {value for value, _name in available_fields(pk)}
        unknown = [value for value in chosen if value not in offered]
        if unknown or not chosen:
            flash(gettext("Choose fields the form does not ask yet (not offered: %(fields)s)",
                          fields=", ".join(unknown)) if unknown
                  else gettext("Choose fields the form does not ask yet."), "danger")
            return redirect(url_for(".show", pk=pk))
        rows = [WebFormField(builtin=BuiltinField(v.split(":", 1)[1]),
                             required=v == "builtin:title")
                if v.startswith("builtin:") else WebFormField(custom_field_id=int(v[7:]))
                for v in chosen]
        try:
            added = self._add_rows(form, rows)
        except Invalid as exc:
            flash(gettext("No field was added: %(reason)s", reason=exc.messages), "danger")
        else:
            flash(gettext("%(count)d fields added to %(form)r", count=added, form=form.name),
                  "success")
        return redirect(url_for(".show", pk=pk))


def register(appbuilder: Any, menu: str) -> None:
    add_screen(appbuilder, WebFormView, "Web forms", _l("Web forms"), "fa-wpforms", menu)
    add_screen(appbuilder, FormSubmissionView, "Form submissions", _l("Form submissions"),
               "fa-inbox", menu)
    appbuilder.add_view_no_menu(WebFormFieldView)
