"""REST APIs for customers, organizations and their e-mail domains, and teams."""

from __future__ import annotations

from webapp.access.interface import ScopedInterface
from webapp.api.base import ScopedModelRestApi
from webapp.models import Customer, Organization, OrganizationDomain, Team


class OrganizationApi(ScopedModelRestApi):
    resource_name = "organization"
    class_permission_name = "Organization"
    datamodel = ScopedInterface(Organization)
    list_columns = ["id", "name", "notes", "hourly_rate", "created_at"]
    show_columns = ["id", "name", "notes", "hourly_rate", "domains.id", "domains.domain",
                    "created_at", "updated_at"]
    add_columns = ["name", "notes", "hourly_rate"]
    edit_columns = add_columns
    search_columns = ["name"]


class OrganizationDomainApi(ScopedModelRestApi):
    resource_name = "organization_domain"
    class_permission_name = "OrganizationDomain"
    datamodel = ScopedInterface(OrganizationDomain)
    list_columns = ["id", "domain", "organization.id", "organization.name"]
    show_columns = list_columns
    add_columns = ["organization", "domain"]
    edit_columns = add_columns


class CustomerApi(ScopedModelRestApi):
    resource_name = "customer"
    class_permission_name = "Customer"
    datamodel = ScopedInterface(Customer)
    list_columns = ["id", "email", "name", "phone", "organization.id", "organization.name",
                    "created_at"]
    show_columns = list_columns + ["updated_at"]
    add_columns = ["email", "name", "phone", "organization"]
    edit_columns = add_columns
    search_columns = ["email", "name", "organization"]


class TeamApi(ScopedModelRestApi):
    resource_name = "team"
    class_permission_name = "Team"
    datamodel = ScopedInterface(Team)
    list_columns = ["id", "name", "description"]
    show_columns = ["id", "name", "description", "members.id", "members.username"]
    add_columns = ["name", "description", "members"]
    edit_columns = add_columns
