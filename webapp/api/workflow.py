"""REST APIs for item types, statuses and custom fields."""

from __future__ import annotations

from webapp.access.interface import ScopedInterface
from webapp.api.base import ScopedModelRestApi
from webapp.models import CustomField, ItemType, Status


class ItemTypeApi(ScopedModelRestApi):
    resource_name = "item_type"
    class_permission_name = "ItemType"
    datamodel = ScopedInterface(ItemType)
    list_columns = ["id", "kind", "name", "is_default"]
    show_columns = ["id", "kind", "name", "is_default", "statuses.id", "statuses.name",
                    "custom_fields.id", "custom_fields.key"]
    add_columns = ["kind", "name", "is_default"]
    edit_columns = ["name", "is_default"]


class StatusApi(ScopedModelRestApi):
    resource_name = "status"
    class_permission_name = "Status"
    datamodel = ScopedInterface(Status)
    list_columns = ["id", "item_type.id", "item_type.name", "name", "colour", "category",
                    "position"]
    show_columns = list_columns
    add_columns = ["item_type", "name", "colour", "category", "position"]
    edit_columns = ["name", "colour", "category", "position"]
    order_columns = ["position", "name", "id"]


class CustomFieldApi(ScopedModelRestApi):
    resource_name = "custom_field"
    class_permission_name = "CustomField"
    datamodel = ScopedInterface(CustomField)
    list_columns = ["id", "item_type.id", "item_type.name", "key", "label", "field_type",
                    "required", "choices", "help_text", "position"]
    show_columns = list_columns
    add_columns = ["item_type", "key", "label", "field_type", "required", "choices",
                   "help_text", "position"]
    edit_columns = ["label", "required", "choices", "help_text", "position"]
