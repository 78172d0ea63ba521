"""Base class of every generated screen: the same scoped interface and rights as the API."""

from __future__ import annotations

from flask_appbuilder import ModelView

from webapp.security.admin_views import KnownActionsMixin
from webapp.security.resources import METHOD_PERMISSIONS
from webapp.views import fab_fields as _fab_fields  # noqa: F401  (enum fields answer 4xx)
from webapp.views.display import ReadableValuesMixin
from webapp.views.labels import TranslatedLabelsMixin
from webapp.views.related_picker import RelatedPickerMixin


class ScopedModelView(KnownActionsMixin, TranslatedLabelsMixin, ReadableValuesMixin,
                      RelatedPickerMixin, ModelView):
    method_permission_name = METHOD_PERMISSIONS
    page_size = 25
