"""REST APIs for SLA policies, targets, business calendars, holidays, idle rules, item SLAs."""

from __future__ import annotations

from webapp.access.interface import ScopedInterface
from webapp.api.base import ScopedModelRestApi
from webapp.models import BusinessCalendar, Holiday, IdleRule, ItemSla, SlaPolicy, SlaTarget


class SlaPolicyApi(ScopedModelRestApi):
    resource_name = "sla_policy"
    class_permission_name = "SlaPolicy"
    datamodel = ScopedInterface(SlaPolicy)
    list_columns = ["id", "name", "is_default", "calendar.id", "calendar.name",
                    "warning_minutes"]
    show_columns = list_columns + ["targets.id", "targets.priority",
                                   "targets.first_response_minutes",
                                   "targets.resolution_minutes"]
    add_columns = ["name", "is_default", "calendar", "warning_minutes"]
    edit_columns = add_columns
    optional_on_add = ("is_default", "warning_minutes")


class SlaTargetApi(ScopedModelRestApi):
    resource_name = "sla_target"
    class_permission_name = "SlaTarget"
    datamodel = ScopedInterface(SlaTarget)
    list_columns = ["id", "policy.id", "policy.name", "priority", "item_type.id",
                    "first_response_minutes", "resolution_minutes"]
    show_columns = list_columns
    add_columns = ["policy", "priority", "item_type", "first_response_minutes",
                   "resolution_minutes"]
    edit_columns = add_columns


class BusinessCalendarApi(ScopedModelRestApi):
    resource_name = "business_calendar"
    class_permission_name = "BusinessCalendar"
    datamodel = ScopedInterface(BusinessCalendar)
    list_columns = ["id", "name", "timezone", "hours"]
    show_columns = list_columns + ["holidays.id", "holidays.day", "holidays.name"]
    add_columns = ["name", "timezone", "hours"]
    edit_columns = add_columns


class HolidayApi(ScopedModelRestApi):
    resource_name = "holiday"
    class_permission_name = "Holiday"
    datamodel = ScopedInterface(Holiday)
    list_columns = ["id", "calendar.id", "calendar.name", "day", "name"]
    show_columns = list_columns
    add_columns = ["calendar", "day", "name"]
    edit_columns = add_columns


class IdleRuleApi(ScopedModelRestApi):
    resource_name = "idle_rule"
    class_permission_name = "IdleRule"
    datamodel = ScopedInterface(IdleRule)
    list_columns = ["id", "name", "status.id", "status.name", "hours", "enabled"]
    show_columns = list_columns
    add_columns = ["name", "status", "hours", "enabled"]
    edit_columns = add_columns
    optional_on_add = ("enabled",)


class ItemSlaApi(ScopedModelRestApi):
    resource_name = "item_sla"
    class_permission_name = "ItemSla"
    datamodel = ScopedInterface(ItemSla)
    include_route_methods = {"get", "get_list", "info"}
    list_columns = ["id", "item.id", "item.title", "policy.name", "started_at",
                    "first_response_due_at", "first_responded_at", "resolution_due_at",
                    "resolved_at"]
    show_columns = list_columns + ["first_response_warn_at", "resolution_warn_at"]
    search_columns = ["item", "policy"]
