"""REST API for timesheet entries."""

from __future__ import annotations

from webapp.access.interface import ScopedInterface
from webapp.api.base import ScopedModelRestApi
from webapp.models import Timesheet


class TimesheetApi(ScopedModelRestApi):
    resource_name = "timesheet"
    class_permission_name = "Timesheet"
    datamodel = ScopedInterface(Timesheet)
    list_columns = ["id", "user.id", "user.username", "item.id", "item.title", "work_date",
                    "hours", "billable", "note", "invoiced_at", "invoice_ref"]
    show_columns = list_columns + ["created_at"]
    add_columns = ["user", "item", "work_date", "hours", "billable", "note"]
    edit_columns = add_columns
    search_columns = ["user", "item", "work_date", "billable"]
    optional_on_add = ("user", "billable")
