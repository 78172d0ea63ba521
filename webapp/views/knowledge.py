"""Staff screens of the knowledge base: categories (admins) and articles (agents write).

Articles are checked by the shared write rules (webapp/knowledge/articles.py); the form runs
the same checks first so that a mistake shows beside its field with nothing written."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask_appbuilder.fieldwidgets import BS3TextAreaFieldWidget, BS3TextFieldWidget
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import Field, Form, StringField, TextAreaField
from wtforms.validators import Optional, ValidationError

from webapp.access.interface import ScopedInterface, request_viewer
from webapp.extensions import db
from webapp.knowledge.articles import organizations_problems, slug_problems
from webapp.models import KbArticle, KbCategory
from webapp.portal import default_portal
from webapp.views.base import ScopedModelView
from webapp.views.labels import add_screen

_ARTICLE_FORM = ["title", "slug", "category", "body_html", "visibility", "organizations",
                 "published"]


def _editing_id() -> int | None:
    pk = (request.view_args or {}).get("pk")
    return int(pk) if pk is not None and str(pk).isdigit() else None


class FreeSlug:
    """The slug is URL-safe and no other article's (empty: made from the title on save)."""

    def __call__(self, form: Form, field: Field) -> None:
        field.data = (field.data or "").strip()
        problems = slug_problems(db.session, field.data, _editing_id())
        if problems:
            raise ValidationError("; ".join(problems))


class OrganizationsForVisibility:
    """Visibility "organizations" needs at least one organization."""

    def __call__(self, form: Form, field: Field) -> None:
        problems = organizations_problems(form.visibility.data, field.data)
        if problems:
            raise ValidationError("; ".join(problems))


def portal_link(slug: str) -> Markup:
    """The slug, linked to the article in the default portal (staff may preview drafts)."""
    portal = default_portal()
    if portal is None:
        return Markup("{}").format(slug)
    url = url_for("portal.kb_article", portal_slug=portal.slug, slug=slug)
    return Markup('{} <a href="{}" target="_blank" rel="noopener">(view in portal)</a>').format(
        slug, url)


class KbCategoryView(ScopedModelView):
    list_title = _l("Knowledge base categories")
    show_title = _l("Knowledge base category")
    add_title = _l("New knowledge base category")
    edit_title = _l("Edit knowledge base category")
    route_base = "/kb-categories"
    class_permission_name = "KbCategory"
    datamodel = ScopedInterface(KbCategory)
    list_columns = ["position", "name", "description"]
    add_columns = ["name", "description", "position"]
    edit_columns = add_columns
    show_columns = add_columns
    search_columns = ["name"]
    description_columns = {
        "position": _l("Categories are listed in the portal by this number")}
    base_order = ("position", "asc")


class KbArticleView(ScopedModelView):
    list_title = _l("Knowledge base articles")
    show_title = _l("Knowledge base article")
    add_title = _l("New knowledge base article")
    edit_title = _l("Edit knowledge base article")
    route_base = "/kb-articles"
    class_permission_name = "KbArticle"
    datamodel = ScopedInterface(KbArticle)
    list_columns = ["title", "slug", "category", "visibility", "published", "author",
                    "updated_at"]
    add_columns = _ARTICLE_FORM
    edit_columns = _ARTICLE_FORM
    show_columns = _ARTICLE_FORM + ["author", "created_at", "updated_at"]
    search_columns = ["title", "slug", "category", "visibility", "published", "organizations",
                      "author"]
    label_columns = {"body_html": _l("Body")}
    description_columns = {
        "visibility": _l("public: anyone; customers: signed-in customers; organizations: "
                         "signed-in customers of the organizations chosen below"),
        "organizations": _l("Who may read it when the visibility is \"organizations\""),
        "published": _l("Drafts are not shown to customers (staff can preview them)"),
    }
    formatters_columns = {"slug": portal_link}
    add_form_extra_fields = {
        "slug": StringField(
            "Slug", validators=[Optional(strip_whitespace=True), FreeSlug()],
            widget=BS3TextFieldWidget(),
            description="The article's address: lower-case letters, digits and hyphens; "
                        "made from the title when left empty"),
        "body_html": TextAreaField(
            "Body", widget=BS3TextAreaFieldWidget(),
            description="HTML; scripts and unsafe markup are removed on save"),
    }
    edit_form_extra_fields = add_form_extra_fields
    validators_columns = {"organizations": [OrganizationsForVisibility()]}
    base_order = ("updated_at", "desc")

    def pre_add(self, item: KbArticle) -> None:
        item.author_id = request_viewer().user_id


def register(appbuilder: Any, menu: str) -> None:
    add_screen(appbuilder, KbArticleView, "Knowledge base articles", _l("Knowledge base articles"),
               "fa-book", menu)
    add_screen(appbuilder, KbCategoryView, "Knowledge base categories",
               _l("Knowledge base categories"),
               "fa-folder", menu)
