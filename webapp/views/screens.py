"""ModelViews for every type: list with search and filters, show, add, edit."""

from __future__ import annotations

from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_babel import lazy_gettext as _l

from webapp.access.interface import ScopedInterface
from webapp.models import (
    Attachment,
    Customer,
    CustomField,
    Folder,
    Item,
    ItemKind,
    ItemType,
    Message,
    Organization,
    OrganizationDomain,
    Portfolio,
    Project,
    ProjectGrant,
    Status,
    Team,
    Timesheet,
)
from webapp.views.base import ScopedModelView
from webapp.views.conversation import ConversationMixin

_ITEM_LIST = ["id", "title", "item_type", "status", "priority", "project", "requester",
              "due_at", "updated_at"]
_ITEM_EDIT = ["title", "description", "item_type", "status", "priority", "project", "folder",
              "requester", "due_at", "assignee_users", "assignee_teams", "follower_users",
              "follower_customers"]
_PLANNING = ["planned_start", "planned_finish", "actual_start", "actual_finish",
             "percent_complete", "points", "predecessors"]
_ITEM_SEARCH = ["title", "item_type", "status", "priority", "project", "requester", "folder",
                "assignee_users", "assignee_teams", "due_at", "created_at"]


class TicketView(ConversationMixin, ScopedModelView):
    list_title = _l("Tickets")
    show_title = _l("Ticket")
    add_title = _l("New ticket")
    edit_title = _l("Edit ticket")
    route_base = "/tickets"
    class_permission_name = "Ticket"
    datamodel = ScopedInterface(Item)
    base_filters = [["kind", FilterEqual, ItemKind.TICKET]]
    list_columns = _ITEM_LIST
    show_columns = _ITEM_EDIT + ["custom_values", "created_by", "created_at", "updated_at"]
    add_columns = _ITEM_EDIT
    edit_columns = _ITEM_EDIT
    search_columns = _ITEM_SEARCH
    base_order = ("id", "desc")

    def pre_add(self, item: Item) -> None:
        item.kind = ItemKind.TICKET


class TaskView(ConversationMixin, ScopedModelView):
    list_title = _l("Tasks")
    show_title = _l("Task")
    add_title = _l("New task")
    edit_title = _l("Edit task")
    route_base = "/tasks"
    class_permission_name = "Task"
    datamodel = ScopedInterface(Item)
    base_filters = [["kind", FilterEqual, ItemKind.TASK]]
    list_columns = _ITEM_LIST + ["percent_complete", "planned_finish"]
    show_columns = _ITEM_EDIT + _PLANNING + ["custom_values", "created_by", "created_at",
                                             "updated_at"]
    add_columns = _ITEM_EDIT + _PLANNING
    edit_columns = add_columns
    search_columns = _ITEM_SEARCH
    base_order = ("id", "desc")
    reply_default_visibility = "private"

    def pre_add(self, item: Item) -> None:
        item.kind = ItemKind.TASK


class MessageView(ScopedModelView):
    list_title = _l("Messages")
    show_title = _l("Message")
    add_title = _l("New message")
    edit_title = _l("Edit message")
    route_base = "/messages"
    class_permission_name = "Message"
    datamodel = ScopedInterface(Message)
    list_columns = ["id", "item", "is_public", "author_user", "author_customer", "created_at"]
    show_columns = ["item", "is_public", "body_html", "author_user", "author_customer",
                    "created_at"]
    add_columns = ["item", "is_public", "body_html"]
    edit_columns = ["is_public", "body_html"]
    search_columns = ["item", "is_public", "author_user", "author_customer", "created_at"]
    base_order = ("id", "desc")


class AttachmentView(ScopedModelView):
    list_title = _l("Attachments")
    show_title = _l("Attachment")
    add_title = _l("New attachment")
    edit_title = _l("Edit attachment")
    route_base = "/attachments"
    class_permission_name = "Attachment"
    datamodel = ScopedInterface(Attachment)
    include_route_methods = {"list", "show", "delete"}
    list_columns = ["id", "filename", "item", "content_type", "size", "created_at"]
    show_columns = ["filename", "item", "message", "content_type", "size", "sha256",
                    "uploaded_by", "created_at"]
    search_columns = ["filename", "item", "content_type"]


class TimesheetView(ScopedModelView):
    list_title = _l("Timesheets")
    show_title = _l("Timesheet entry")
    add_title = _l("New timesheet entry")
    edit_title = _l("Edit timesheet entry")
    route_base = "/timesheets"
    class_permission_name = "Timesheet"
    datamodel = ScopedInterface(Timesheet)
    list_columns = ["work_date", "user", "item", "hours", "billable", "note", "invoiced_at"]
    add_columns = ["item", "work_date", "hours", "billable", "note"]
    edit_columns = add_columns
    show_columns = ["user"] + add_columns + ["invoiced_at", "invoice_ref", "created_at"]
    search_columns = ["user", "item", "work_date", "billable"]
    base_order = ("work_date", "desc")


class PortfolioView(ScopedModelView):
    list_title = _l("Portfolios")
    show_title = _l("Portfolio")
    add_title = _l("New portfolio")
    edit_title = _l("Edit portfolio")
    route_base = "/portfolios"
    class_permission_name = "Portfolio"
    datamodel = ScopedInterface(Portfolio)
    list_columns = ["name", "description", "created_at"]
    add_columns = ["name", "description"]
    edit_columns = add_columns
    show_columns = add_columns + ["created_at", "updated_at"]
    search_columns = ["name"]


class ProjectView(ScopedModelView):
    list_title = _l("Projects")
    show_title = _l("Project")
    add_title = _l("New project")
    edit_title = _l("Edit project")
    route_base = "/projects"
    class_permission_name = "Project"
    datamodel = ScopedInterface(Project)
    list_columns = ["name", "portfolio", "organization", "is_template", "created_at"]
    add_columns = ["name", "description", "portfolio", "organization", "teams", "is_template",
                   "hourly_rate"]
    edit_columns = add_columns
    show_columns = add_columns + ["created_at", "updated_at"]
    search_columns = ["name", "portfolio", "organization", "is_template"]


class FolderView(ScopedModelView):
    list_title = _l("Folders")
    show_title = _l("Folder")
    add_title = _l("New folder")
    edit_title = _l("Edit folder")
    route_base = "/folders"
    class_permission_name = "Folder"
    datamodel = ScopedInterface(Folder)
    list_columns = ["name", "project", "parent"]
    add_columns = ["name", "project", "parent"]
    edit_columns = add_columns
    show_columns = add_columns
    search_columns = ["name", "project"]


class ProjectGrantView(ScopedModelView):
    list_title = _l("Project members")
    show_title = _l("Project member")
    add_title = _l("New project member")
    edit_title = _l("Edit project member")
    route_base = "/project-grants"
    class_permission_name = "ProjectGrant"
    datamodel = ScopedInterface(ProjectGrant)
    list_columns = ["project", "user"]
    add_columns = list_columns
    edit_columns = list_columns
    show_columns = list_columns
    search_columns = list_columns


class CustomerView(ScopedModelView):
    list_title = _l("Customers")
    show_title = _l("Customer")
    add_title = _l("New customer")
    edit_title = _l("Edit customer")
    route_base = "/customers"
    class_permission_name = "Customer"
    datamodel = ScopedInterface(Customer)
    list_columns = ["email", "name", "organization", "phone", "created_at"]
    add_columns = ["email", "name", "phone", "organization"]
    edit_columns = add_columns
    show_columns = add_columns + ["created_at", "updated_at"]
    search_columns = ["email", "name", "organization"]


class OrganizationView(ScopedModelView):
    list_title = _l("Organizations")
    show_title = _l("Organization")
    add_title = _l("New organization")
    edit_title = _l("Edit organization")
    route_base = "/organizations"
    class_permission_name = "Organization"
    datamodel = ScopedInterface(Organization)
    list_columns = ["name", "domains", "hourly_rate", "created_at"]
    add_columns = ["name", "notes", "hourly_rate"]
    edit_columns = add_columns
    show_columns = ["name", "notes", "hourly_rate", "domains", "created_at", "updated_at"]
    search_columns = ["name"]


class OrganizationDomainView(ScopedModelView):
    list_title = _l("Organization domains")
    show_title = _l("Organization domain")
    add_title = _l("New organization domain")
    edit_title = _l("Edit organization domain")
    route_base = "/organization-domains"
    class_permission_name = "OrganizationDomain"
    datamodel = ScopedInterface(OrganizationDomain)
    list_columns = ["domain", "organization"]
    add_columns = list_columns
    edit_columns = list_columns
    show_columns = list_columns
    search_columns = list_columns


class TeamView(ScopedModelView):
    list_title = _l("Teams")
    show_title = _l("Team")
    add_title = _l("New team")
    edit_title = _l("Edit team")
    route_base = "/teams"
    class_permission_name = "Team"
    datamodel = ScopedInterface(Team)
    list_columns = ["name", "description"]
    add_columns = ["name", "description", "members"]
    edit_columns = add_columns
    show_columns = add_columns
    search_columns = ["name"]


class ItemTypeView(ScopedModelView):
    list_title = _l("Item types")
    show_title = _l("Item type")
    add_title = _l("New item type")
    edit_title = _l("Edit item type")
    route_base = "/item-types"
    class_permission_name = "ItemType"
    datamodel = ScopedInterface(ItemType)
    list_columns = ["name", "kind", "is_default"]
    add_columns = ["name", "kind", "is_default"]
    edit_columns = ["name", "is_default"]
    show_columns = ["name", "kind", "is_default", "statuses", "custom_fields"]
    search_columns = ["name", "kind"]


class StatusView(ScopedModelView):
    list_title = _l("Statuses")
    show_title = _l("Status")
    add_title = _l("New status")
    edit_title = _l("Edit status")
    route_base = "/statuses"
    class_permission_name = "Status"
    datamodel = ScopedInterface(Status)
    list_columns = ["item_type", "position", "name", "category", "colour"]
    add_columns = ["item_type", "name", "category", "colour", "position"]
    edit_columns = ["name", "category", "colour", "position"]
    show_columns = add_columns
    search_columns = ["item_type", "name", "category"]
    base_order = ("position", "asc")


class CustomFieldView(ScopedModelView):
    list_title = _l("Custom fields")
    show_title = _l("Custom field")
    add_title = _l("New custom field")
    edit_title = _l("Edit custom field")
    route_base = "/custom-fields"
    class_permission_name = "CustomField"
    datamodel = ScopedInterface(CustomField)
    list_columns = ["item_type", "position", "key", "label", "field_type", "required"]
    add_columns = ["item_type", "key", "label", "field_type", "required", "choices",
                   "help_text", "position"]
    edit_columns = ["label", "required", "choices", "help_text", "position"]
    show_columns = add_columns
    search_columns = ["item_type", "key", "label", "field_type"]
