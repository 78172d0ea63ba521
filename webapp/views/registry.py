"""Which screen goes in which menu."""

from __future__ import annotations

from flask_appbuilder import AppBuilder

from webapp.views import screens as s


def register_views(appbuilder: AppBuilder) -> None:
    work = "Work"
    appbuilder.add_view(s.TicketView, "Tickets", icon="fa-ticket", category=work)
    appbuilder.add_view(s.TaskView, "Tasks", icon="fa-tasks", category=work)
    appbuilder.add_view(s.TimesheetView, "Timesheets", icon="fa-clock-o", category=work)
    appbuilder.add_view(s.MessageView, "Messages", icon="fa-comments", category=work)
    appbuilder.add_view(s.AttachmentView, "Attachments", icon="fa-paperclip", category=work)
    plan = "Projects"
    appbuilder.add_view(s.PortfolioView, "Portfolios", icon="fa-briefcase", category=plan)
    appbuilder.add_view(s.ProjectView, "Projects", icon="fa-folder-open", category=plan)
    appbuilder.add_view(s.FolderView, "Folders", icon="fa-folder", category=plan)
    appbuilder.add_view(s.ProjectGrantView, "Project members", icon="fa-key", category=plan)
    people = "Customers"
    appbuilder.add_view(s.CustomerView, "Customers", icon="fa-user", category=people)
    appbuilder.add_view(s.OrganizationView, "Organizations", icon="fa-building",
                        category=people)
    appbuilder.add_view(s.OrganizationDomainView, "Organization domains", icon="fa-at",
                        category=people)
    setup = "Setup"
    appbuilder.add_view(s.TeamView, "Teams", icon="fa-users", category=setup)
    appbuilder.add_view(s.ItemTypeView, "Item types", icon="fa-sitemap", category=setup)
    appbuilder.add_view(s.StatusView, "Statuses", icon="fa-flag", category=setup)
    appbuilder.add_view(s.CustomFieldView, "Custom fields", icon="fa-list", category=setup)
