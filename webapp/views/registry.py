"""Which screen goes in which menu."""

from __future__ import annotations

from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l

from webapp.views import screens as s
from webapp.views.labels import add_screen


def register_views(appbuilder: AppBuilder) -> None:
    work = "Work"
    add_screen(appbuilder, s.TicketView, "Tickets", _l("Tickets"), "fa-ticket", work)
    add_screen(appbuilder, s.TaskView, "Tasks", _l("Tasks"), "fa-tasks", work)
    add_screen(appbuilder, s.TimesheetView, "Timesheets", _l("Timesheets"), "fa-clock-o", work)
    add_screen(appbuilder, s.MessageView, "Messages", _l("Messages"), "fa-comments", work)
    add_screen(appbuilder, s.AttachmentView, "Attachments", _l("Attachments"), "fa-paperclip", work)
    plan = "Projects"
    add_screen(appbuilder, s.PortfolioView, "Portfolios", _l("Portfolios"), "fa-briefcase", plan)
    add_screen(appbuilder, s.ProjectView, "Projects", _l("Projects"), "fa-folder-open", plan)
    add_screen(appbuilder, s.FolderView, "Folders", _l("Folders"), "fa-folder", plan)
    add_screen(appbuilder, s.ProjectGrantView, "Project members", _l("Project members"),
               "fa-key", plan)
    people = "Customers"
    add_screen(appbuilder, s.CustomerView, "Customers", _l("Customers"), "fa-user", people)
    add_screen(appbuilder, s.OrganizationView, "Organizations", _l("Organizations"),
               "fa-building", people)
    add_screen(appbuilder, s.OrganizationDomainView, "Organization domains",
               _l("Organization domains"),
               "fa-at", people)
    setup = "Setup"
    add_screen(appbuilder, s.TeamView, "Teams", _l("Teams"), "fa-users", setup)
    add_screen(appbuilder, s.ItemTypeView, "Item types", _l("Item types"), "fa-sitemap", setup)
    add_screen(appbuilder, s.StatusView, "Statuses", _l("Statuses"), "fa-flag", setup)
    add_screen(appbuilder, s.CustomFieldView, "Custom fields", _l("Custom fields"),
               "fa-list", setup)
