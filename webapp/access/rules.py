"""The visibility rule of every model that is not core work (``scope.py`` has those).

Every mapped model has exactly one entry in ``RULES``; ``visibility_clause`` refuses a model
without one, and ``tests/webapp/access/test_url_sweep.py`` fails when one is missing. The
rules fall into four kinds:

- **follows**: a row is visible exactly when the row it belongs to is (an item's SLA clocks,
  timers, ratings and mail follow the item; a delivery follows its event, which follows its
  subject; a chat follows its portal's project or the ticket it became);
- **staff directory**: configuration and reference data every staff member reads to do the
  work (item types, statuses, teams, customers and organizations, SLA policies, templates,
  portals, knowledge base). Customers are a directory on purpose: an agent must recognise a
  caller and open a ticket for any requester; what a customer *asked* (their items) is scoped;
- **owner**: saved views, scheduled reports, REST-hook subscriptions, what a user has seen
  (unread state) and their profile belong to a user;
- **admin only**: the integration plumbing (connections, connector calls, billing, webhook
  and inbound endpoints and their raw logs, external links), sign-in links (bearer secrets)
  and Flask-AppBuilder's own security tables. Admins see every row of every model.
"""

from __future__ import annotations

from collections.abc import Callable

from flask_appbuilder.security.sqla.models import (
    ApiKey,
    Group,
    Permission,
    PermissionView,
    RegisterUser,
    Role,
    User,
    ViewMenu,
)
from sqlalchemy import ColumnElement, false, or_, select

from webapp.access.scope import RULES, Viewer, staff_rule, team_ids
from webapp.models import (
    BillingLine,
    BillingRun,
    BusinessCalendar,
    ChatConversation,
    ChatMessage,
    Connection,
    ConnectorCall,
    Customer,
    CustomField,
    Delivery,
    Event,
    ExternalLink,
    FormSubmission,
    Holiday,
    IdleRule,
    InboundEndpoint,
    InboundRequest,
    Item,
    ItemSeen,
    ItemSla,
    ItemType,
    KbArticle,
    KbCategory,
    MailMessage,
    MailTemplate,
    Organization,
    OrganizationDomain,
    Portal,
    Portfolio,
    Project,
    Recipe,
    RecipeAction,
    ReportSchedule,
    SatisfactionRating,
    SavedView,
    SignInLink,
    SlaPolicy,
    SlaTarget,
    StaffProfile,
    Status,
    SupportAddress,
    Team,
    TimerFiring,
    WebForm,
    WebFormField,
    WebhookAttempt,
    WebhookEndpoint,
    WorkspaceSetting,
)

Rule = Callable[[Viewer], ColumnElement[bool]]


def _admin_only(viewer: Viewer) -> ColumnElement[bool]:
    return false()  # visibility_clause answers true() for admins before asking the rule


def follows(column: ColumnElement[int], model: type) -> Rule:
    """Visible exactly when the ``model`` row that ``column`` names is visible."""
    return lambda viewer: column.in_(select(model.id).where(RULES[model](viewer)))


def _chat_rule(viewer: Viewer) -> ColumnElement[bool]:
    """Chats of portals filing into a project the viewer sees (or into none: every agent
    answers those), chats assigned to the viewer, and chats that became a visible ticket."""
    if not viewer.is_staff:
        return false()
    portals = select(Portal.id).where(or_(
        Portal.project_id.is_(None),
        Portal.project_id.in_(select(Project.id).where(RULES[Project](viewer)))))
    return or_(ChatConversation.portal_id.in_(portals),
               ChatConversation.assigned_user_id == viewer.user_id,
               ChatConversation.item_id.in_(select(Item.id).where(RULES[Item](viewer))))


def _form_submission_rule(viewer: Viewer) -> ColumnElement[bool]:
    """Submissions that made an item follow it; survey answers (no item) follow the form's
    project, and are every staff member's when the form files into no project."""
    if not viewer.is_staff:
        return false()
    forms = select(WebForm.id).where(or_(
        WebForm.project_id.is_(None),
        WebForm.project_id.in_(select(Project.id).where(RULES[Project](viewer)))))
    return or_(FormSubmission.item_id.in_(select(Item.id).where(RULES[Item](viewer))),
               (FormSubmission.item_id.is_(None)) & FormSubmission.form_id.in_(forms))


def _saved_view_rule(viewer: Viewer) -> ColumnElement[bool]:
    if not viewer.is_staff:
        return false()
    return or_(SavedView.owner_id == viewer.user_id, SavedView.team_id.in_(team_ids(viewer)))


def _owned_endpoint_rule(viewer: Viewer) -> ColumnElement[bool]:
    """Webhook endpoints are configuration of the admins; a REST-hook subscription is also
    its owner's (it only ever receives events its owner may see)."""
    return WebhookEndpoint.owner_user_id == viewer.user_id if viewer.is_staff else false()


STAFF_DIRECTORY: tuple[type, ...] = (
    ItemType, Status, CustomField, Team, Portfolio, Customer, Organization, OrganizationDomain,
    Recipe, RecipeAction, SlaPolicy, SlaTarget, BusinessCalendar, Holiday, IdleRule,
    SupportAddress, MailTemplate, Portal, WebForm, WebFormField, KbCategory, KbArticle,
    WorkspaceSetting,
    # Staff see each other (assignees, authors, followers); the user screens themselves are
    # the Admin role's by permission.
    User,
)
"""Rows every staff member reads (their references need no check on write)."""

ADMIN_ONLY: tuple[type, ...] = (
    Connection, ConnectorCall, ExternalLink, BillingRun, BillingLine, InboundEndpoint,
    InboundRequest, SignInLink, ApiKey, Group, Permission, PermissionView, RegisterUser, Role,
    ViewMenu,
)

RULES.update({model: staff_rule for model in STAFF_DIRECTORY})
RULES.update({model: _admin_only for model in ADMIN_ONLY})
RULES.update({
    ItemSla: follows(ItemSla.item_id, Item),
    TimerFiring: follows(TimerFiring.item_id, Item),
    SatisfactionRating: follows(SatisfactionRating.item_id, Item),
    MailMessage: follows(MailMessage.item_id, Item),
    Delivery: follows(Delivery.event_id, Event),
    WebhookEndpoint: _owned_endpoint_rule,
    WebhookAttempt: follows(WebhookAttempt.endpoint_id, WebhookEndpoint),
    ChatConversation: _chat_rule,
    ChatMessage: follows(ChatMessage.conversation_id, ChatConversation),
    FormSubmission: _form_submission_rule,
    SavedView: _saved_view_rule,
    ItemSeen: lambda viewer: ItemSeen.user_id == viewer.user_id,
    StaffProfile: lambda viewer: StaffProfile.user_id == viewer.user_id,
    ReportSchedule: lambda viewer: ReportSchedule.saved_view_id.in_(
        select(SavedView.id).where(SavedView.owner_id == viewer.user_id)),
})
