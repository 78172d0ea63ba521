"""REST APIs under /api/v1/<resource>/."""

from __future__ import annotations

from flask_appbuilder import AppBuilder

from webapp.api.automation import DeliveryApi, EventApi, RecipeActionApi, RecipeApi
from webapp.api.conversation import AttachmentApi, MessageApi
from webapp.api.items import TaskApi, TicketApi
from webapp.api.people import CustomerApi, OrganizationApi, OrganizationDomainApi, TeamApi
from webapp.api.projects import FolderApi, PortfolioApi, ProjectApi, ProjectGrantApi
from webapp.api.satisfaction import SatisfactionRatingApi
from webapp.api.sla import (
    BusinessCalendarApi,
    HolidayApi,
    IdleRuleApi,
    ItemSlaApi,
    SlaPolicyApi,
    SlaTargetApi,
)
from webapp.api.timesheets import TimesheetApi
from webapp.api.workflow import CustomFieldApi, ItemTypeApi, StatusApi

APIS = (
    PortfolioApi, ProjectApi, FolderApi, ProjectGrantApi, TicketApi, TaskApi, ItemTypeApi,
    StatusApi, CustomFieldApi, OrganizationApi, OrganizationDomainApi, CustomerApi, TeamApi,
    MessageApi, AttachmentApi, TimesheetApi, EventApi, RecipeApi, RecipeActionApi, DeliveryApi,
    SlaPolicyApi, SlaTargetApi, BusinessCalendarApi, HolidayApi, IdleRuleApi, ItemSlaApi,
    SatisfactionRatingApi,
)


def register_apis(appbuilder: AppBuilder) -> None:
    for api in APIS:
        appbuilder.add_api(api)
