"""Permission resources: each screen and its REST API share one name and read/write rights."""

from __future__ import annotations

# Work that agents do day to day; configuration that only admins change.
WORK_RESOURCES = (
    "Ticket", "Task", "Message", "Attachment", "Timesheet", "Project", "Folder",
    "Customer", "Organization", "Event", "Hook", "Trigger", "Me",
    "Chat", "KbArticle", "SatisfactionRating", "FormSubmission",
    "WorkView", "SavedView", "ReportSchedule",
)
CONFIG_RESOURCES = (
    "Portfolio", "ProjectGrant", "Team", "ItemType", "Status", "CustomField",
    "OrganizationDomain", "Recipe", "RecipeAction", "Delivery", "SlaPolicy", "SlaTarget",
    "BusinessCalendar", "Holiday", "IdleRule", "ItemSla",
    "SupportAddress", "MailTemplate", "InboundMail",
    "Connection", "Connector", "ExternalLink", "BillingRun",
    "WebhookEndpoint", "WebhookAttempt", "InboundEndpoint", "InboundRequest",
    "Portal", "WebForm", "WebFormField", "KbCategory",
)
# Resources in no list are the Admin role's alone (it has every right): "ApiKey" (API keys
# for other users) and "RecipeEditor".
# What a collaborator works on (own and assigned items only).
COLLABORATOR_RESOURCES = ("Ticket", "Task", "Message", "Attachment", "Timesheet")

# Maps FAB's method names to one read and one write right per resource (as Superset does).
METHOD_PERMISSIONS = {
    "get": "read", "get_list": "read", "info": "read", "list": "read", "show": "read",
    "download": "read", "api_read": "read", "api_get": "read", "conversation": "read",
    "post": "write", "put": "write", "delete": "write", "add": "write", "edit": "write",
    "upload": "write", "reply": "write", "convert_to_task": "write", "duplicate": "write",
    "replay": "write", "rerun_failed": "write", "actions_catalog": "read", "preview": "read",
    "api_create": "write", "api_update": "write", "api_delete": "write",
    "rotate_secret": "write", "reveal_secret": "write", "replay_attempt": "write",
    "subscribe": "write", "unsubscribe": "write", "poll": "read", "me": "read",
    "raw": "read", "log": "read",
    # customer apps
    "answer": "write", "close": "write", "convert_to_ticket": "write", "messages": "read",
    "inbox": "read", "apply_preset": "write", "embed_code": "read", "submissions": "read",
    "report": "read", "export": "read",
    # work views
    "board": "read", "gantt": "read", "calendar": "read", "tree": "read", "items": "read",
    "dashboard": "read", "data": "read", "move": "write", "reschedule": "write",
    "share": "write", "send_now": "write",
    # search-as-you-type pickers of related rows on the screens' forms
    "related": "read",
}


def resource_pattern(names: tuple[str, ...]) -> str:
    return "^(" + "|".join(names) + ")$"
