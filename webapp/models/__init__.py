"""The data model: the floor everything stands on. Imports no views, hub or triggers."""

from flask_appbuilder.security.sqla.models import Role, User

from webapp.models.automation import Delivery, DeliveryStatus, Recipe, RecipeAction
from webapp.models.base import Model, TimestampMixin, utcnow
from webapp.models.chat import ChatConversation, ChatMessage, ChatStatus
from webapp.models.connections import (
    BillingLine,
    BillingRun,
    BillingStatus,
    Connection,
    ConnectorCall,
    ExternalLink,
)
from webapp.models.conversation import Attachment, Message
from webapp.models.events import Event
from webapp.models.items import Item
from webapp.models.knowledge import ArticleVisibility, KbArticle, KbCategory
from webapp.models.mail import (
    InboundMail,
    InboundStatus,
    MailDirection,
    MailMessage,
    MailTemplate,
    SupportAddress,
)
from webapp.models.people import Customer, Organization, OrganizationDomain
from webapp.models.portal import Portal, PortalVisibility, SignInLink
from webapp.models.projects import Folder, Portfolio, Project, ProjectGrant
from webapp.models.satisfaction import RATING_SCALE, SatisfactionRating
from webapp.models.saved_views import (
    ReportFormat,
    ReportFrequency,
    ReportSchedule,
    SavedView,
    ViewKind,
    WorkspaceSetting,
)
from webapp.models.sla import (
    BusinessCalendar,
    Holiday,
    IdleRule,
    ItemSla,
    SlaPolicy,
    SlaTarget,
    TimerFiring,
)
from webapp.models.teams import Team
from webapp.models.timesheets import Timesheet
from webapp.models.web_forms import BuiltinField, FormSubmission, WebForm, WebFormField
from webapp.models.webhooks import (
    INBOUND_SCHEMES,
    InboundEndpoint,
    InboundRequest,
    InboundRequestStatus,
    WebhookAttempt,
    WebhookEndpoint,
)
from webapp.models.workflow import (
    CustomField,
    FieldType,
    ItemKind,
    ItemType,
    Status,
    StatusCategory,
)
from webapp.models.workspace import ItemSeen, StaffProfile

__all__ = [
    "BusinessCalendar", "Delivery", "DeliveryStatus", "Event", "Holiday", "IdleRule",
    "ItemSla", "Recipe", "RecipeAction", "SlaPolicy", "SlaTarget", "TimerFiring",
    "Attachment", "Customer", "CustomField", "FieldType", "Folder", "Item", "ItemKind",
    "ItemType", "Message", "Model", "Organization", "OrganizationDomain", "Portfolio",
    "Project", "ProjectGrant", "Role", "Status", "StatusCategory", "Team", "TimestampMixin",
    "Timesheet", "User", "utcnow",
    "InboundMail", "InboundStatus", "MailDirection", "MailMessage", "MailTemplate",
    "SupportAddress",
    "BillingLine", "BillingRun", "BillingStatus", "Connection", "ConnectorCall", "ExternalLink",
    "INBOUND_SCHEMES", "InboundEndpoint", "InboundRequest", "InboundRequestStatus",
    "WebhookAttempt", "WebhookEndpoint",
    "ArticleVisibility", "BuiltinField", "ChatConversation", "ChatMessage", "ChatStatus",
    "FormSubmission", "KbArticle", "KbCategory", "Portal", "PortalVisibility", "RATING_SCALE",
    "SatisfactionRating", "SignInLink", "WebForm", "WebFormField",
    "ReportFormat", "ReportFrequency", "ReportSchedule", "SavedView", "ViewKind",
    "WorkspaceSetting", "ItemSeen", "StaffProfile",
]
