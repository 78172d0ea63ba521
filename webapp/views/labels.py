"""What a generated staff screen calls its columns, in the viewer's language.

FAB labels a column by prettifying its name (``assignee_users`` → "Assignee Users") and prints
labels and titles as they are, so a screen stayed English in Portuguese and Spanish.
``TranslatedLabelsMixin`` gives every ``ScopedModelView`` one translated label per column name
(``COLUMN_LABELS``, the same word on every screen) and looks a view's own English labels,
help texts and titles up in the catalog when the page is drawn.
"""

from __future__ import annotations

from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

COLUMN_LABELS: dict[str, LazyString] = {
    "accent_colour": _l("Accent colour"),
    "accepted_message_id": _l("Accepted message"),
    "action_type": _l("Action"),
    "active": _l("Active"),
    "actor_customer": _l("Customer who acted"),
    "actor_recipe_id": _l("Recipe that acted"),
    "actor_user": _l("User who acted"),
    "actual_finish": _l("Actual finish"),
    "actual_start": _l("Actual start"),
    "address": _l("Address"),
    "answers": _l("Answers"),
    "assignee_teams": _l("Assigned teams"),
    "assignee_users": _l("Assignees"),
    "attempt": _l("Attempt"),
    "attempts": _l("Attempts"),
    "author": _l("Author"),
    "author_customer": _l("Customer author"),
    "author_user": _l("Agent author"),
    "auto_reason": _l("Automatic mail"),
    "base_url": _l("Base URL"),
    "billable": _l("Billable"),
    "body": _l("Body"),
    "body_html": _l("Body"),
    "body_text": _l("Body (as text)"),
    "builtin": _l("Built in"),
    "builtin_key": _l("Built-in recipe"),
    "calendar": _l("Calendar"),
    "category": _l("Category"),
    "chat_away_after_minutes": _l("Away after (minutes without an answer)"),
    "chat_away_en": _l("Chat away reply (English)"),
    "chat_away_es": _l("Chat away reply (Spanish)"),
    "chat_away_pt": _l("Chat away reply (Portuguese)"),
    "chat_calendar": _l("Chat hours (business calendar)"),
    "chat_enabled": _l("Chat enabled"),
    "chat_greeting_en": _l("Chat greeting (English)"),
    "chat_greeting_es": _l("Chat greeting (Spanish)"),
    "chat_greeting_pt": _l("Chat greeting (Portuguese)"),
    "choices": _l("Choices"),
    "colour": _l("Colour"),
    "comment": _l("Comment"),
    "conditions": _l("Conditions"),
    "connection": _l("Connection"),
    "connector": _l("Connector"),
    "content_type": _l("Content type"),
    "created_at": _l("Created"),
    "created_by": _l("Created by"),
    "credential_names": _l("Credentials set"),
    "currency": _l("Currency"),
    "custom_field": _l("Custom field"),
    "custom_fields": _l("Custom fields"),
    "custom_values": _l("Custom fields"),
    "customer": _l("Customer"),
    "data": _l("Data"),
    "day": _l("Day"),
    "default_locale": _l("Default language"),
    "delivery": _l("Delivery"),
    "depth": _l("Depth"),
    "description": _l("Description"),
    "diff": _l("Changes"),
    "disabled_at": _l("Disabled at"),
    "disabled_reason": _l("Why disabled"),
    "domain": _l("Domain"),
    "domains": _l("Domains"),
    "due_at": _l("Due"),
    "duration_ms": _l("Duration (ms)"),
    "email": _l("Email"),
    "enabled": _l("Enabled"),
    "endpoint": _l("Endpoint"),
    "envelope_from": _l("Envelope sender"),
    "envelope_to": _l("Envelope recipients"),
    "error": _l("Error"),
    "event": _l("Event"),
    "event_type": _l("Event type"),
    "event_types": _l("Event types"),
    "failing_since": _l("Failing since"),
    "field_type": _l("Field type"),
    "filename": _l("File name"),
    "finished_at": _l("Finished"),
    "first_responded_at": _l("First response at"),
    "first_response_due_at": _l("First response due"),
    "first_response_minutes": _l("First response (minutes)"),
    "first_response_warn_at": _l("First response warning at"),
    "folder": _l("Folder"),
    "follower_customers": _l("Following customers"),
    "follower_users": _l("Followers"),
    "form": _l("Form"),
    "format": _l("Format"),
    "frequency": _l("Frequency"),
    "headers": _l("Headers"),
    "help_text": _l("Help text"),
    "holidays": _l("Holidays"),
    "hour": _l("Hour"),
    "hourly_rate": _l("Hourly rate"),
    "hours": _l("Hours"),
    "id": _l("Number"),
    "intro": _l("Introduction"),
    "invoice_ref": _l("Invoice"),
    "invoice_url": _l("Invoice link"),
    "invoiced_at": _l("Invoiced"),
    "is_default": _l("Default"),
    "is_public": _l("Public"),
    "is_survey": _l("Survey"),
    "is_template": _l("Template"),
    "item": _l("Item"),
    "item_type": _l("Item type"),
    "key": _l("Key"),
    "kind": _l("Kind"),
    "label": _l("Label"),
    "last_error": _l("Last error"),
    "last_sent_at": _l("Last sent"),
    "last_success_at": _l("Last success"),
    "lease_expires_at": _l("Lease expires"),
    "lines": _l("Lines"),
    "local_id": _l("Local number"),
    "local_type": _l("Local type"),
    "login_required": _l("Sign-in required"),
    "logo_content_type": _l("Logo"),
    "logo_file": _l("Logo"),
    "members": _l("Members"),
    "message": _l("Message"),
    "message_id": _l("Message"),
    "method": _l("Method"),
    "name": _l("Name"),
    "new_credentials": _l("Credentials"),
    "new_secret": _l("Secret"),
    "next_attempt_at": _l("Next attempt"),
    "next_run_at": _l("Next run"),
    "note": _l("Note"),
    "notes": _l("Notes"),
    "organization": _l("Organization"),
    "organizations": _l("Organizations"),
    "outcome": _l("Outcome"),
    "owner": _l("Owner"),
    "params": _l("Inputs"),
    "parent": _l("Parent"),
    "path": _l("URL path"),
    "paused_until": _l("Paused until"),
    "peer": _l("Address"),
    "percent_complete": _l("% complete"),
    "phone": _l("Phone"),
    "planned_finish": _l("Planned finish"),
    "planned_start": _l("Planned start"),
    "points": _l("Points"),
    "policy": _l("Policy"),
    "portal": _l("Portal"),
    "portfolio": _l("Portfolio"),
    "position": _l("Position"),
    "predecessors": _l("Predecessors"),
    "previous_secret_expires_at": _l("Old secret signs until"),
    "primary_colour": _l("Primary colour"),
    "priority": _l("Priority"),
    "processed_at": _l("Processed"),
    "project": _l("Project"),
    "published": _l("Published"),
    "raw": _l("Raw message"),
    "reason": _l("Reason"),
    "received_at": _l("Received"),
    "recipe": _l("Recipe"),
    "recipe_action": _l("Recipe action"),
    "recipients": _l("Recipients"),
    "remote_addr": _l("Sender address"),
    "remote_id": _l("Remote number"),
    "remote_type": _l("Remote type"),
    "remove_logo": _l("Remove the logo"),
    "request_body": _l("Request body"),
    "request_headers": _l("Request headers"),
    "requester": _l("Requester"),
    "required": _l("Required"),
    "reserved": _l("Reserved"),
    "resolution_due_at": _l("Resolution due"),
    "resolution_minutes": _l("Resolution (minutes)"),
    "resolution_warn_at": _l("Resolution warning at"),
    "resolved_at": _l("Resolved"),
    "response_body": _l("Response body"),
    "response_headers": _l("Response headers"),
    "response_status": _l("Answer"),
    "result": _l("Result"),
    "rfc_message_id": _l("Message-ID"),
    "role": _l("Role"),
    "saved_view": _l("Saved view"),
    "scheme": _l("Scheme"),
    "score": _l("Score"),
    "self_signup": _l("Self sign-up"),
    "sender": _l("Sender"),
    "sha256": _l("SHA-256"),
    "signature": _l("Signature"),
    "size": _l("Size"),
    "slug": _l("Address name"),
    "source": _l("Source"),
    "started_at": _l("Started"),
    "status": _l("Status"),
    "statuses": _l("Statuses"),
    "storage_key": _l("Storage key"),
    "stripe_customer_id": _l("Stripe customer"),
    "stripe_invoice_id": _l("Stripe invoice"),
    "subject": _l("Subject"),
    "subject_id": _l("Subject number"),
    "subject_type": _l("Subject type"),
    "success_message": _l("Success message"),
    "support_address": _l("Support address"),
    "survey_enabled": _l("Survey enabled"),
    "targets": _l("Targets"),
    "teams": _l("Teams"),
    "time_zone": _l("Time zone"),
    "timezone": _l("Time zone"),
    "title": _l("Title"),
    "tolerance_seconds": _l("Timestamp tolerance (s)"),
    "total_minor": _l("Total (cents)"),
    "trigger_event": _l("Trigger event"),
    "trigger_filter": _l("Trigger filter"),
    "type": _l("Type"),
    "updated_at": _l("Updated"),
    "uploaded_by": _l("Uploaded by"),
    "url": _l("URL"),
    "user": _l("User"),
    "users": _l("Users"),
    "visibility": _l("Visibility"),
    "warning_minutes": _l("Warning (minutes before)"),
    "webhook_endpoint": _l("Webhook endpoint"),
    "webhook_id": _l("webhook-id"),
    "weekday": _l("Weekday"),
    "welcome_text": _l("Welcome text"),
    "work_date": _l("Date"),
}

#: Help texts of screens whose own module keeps them as plain English (the portal's messenger
#: settings): listed so that extraction puts them in the catalog the mixin reads.
_HELP_TEXTS = (
    _l("Shown when the messenger opens; empty: the built-in greeting in this language."),
    _l("Shown outside the chat hours, or when no agent answered in time, with a button to "
       "leave a request; empty: the built-in reply."),
    _l("Outside this calendar's hours (and holidays) the away reply shows; empty: always "
       "staffed."),
    _l("When no agent has answered a visitor's message for this many minutes, the away reply "
       "shows; empty: never."),
)


def translated(text: Any) -> Any:
    """``text`` looked up in the catalog when it is drawn (a lazy string stays as it is)."""
    return _l(text) if isinstance(text, str) and text else text


class TranslatedLabelsMixin:
    """For ``ModelView`` subclasses: labels, help texts and titles in the viewer's language.

    A column keeps a label its view gave as a lazy string; an English label the view gave as
    a plain string is looked up when drawn; FAB's prettified name becomes ``COLUMN_LABELS``'.
    """

    label_columns: dict[str, Any]
    description_columns: dict[str, Any]

    def _init_properties(self) -> None:
        super()._init_properties()  # type: ignore[misc]
        labels = {}
        for column, label in self.label_columns.items():
            prettified = self._prettify_column(column)  # type: ignore[attr-defined]
            if isinstance(label, str) and label == prettified:
                label = COLUMN_LABELS.get(column, label)
            labels[column] = translated(label)
        self.label_columns = labels
        self.description_columns = {column: translated(text)
                                    for column, text in self.description_columns.items()}

    def _init_titles(self) -> None:
        super()._init_titles()  # type: ignore[misc]
        for name in ("list_title", "show_title", "add_title", "edit_title", "title"):
            setattr(self, name, translated(getattr(self, name)))


#: The menus' names (FAB keys a menu by its English name and shows ``category_label``).
MENU_LABELS: dict[str, LazyString] = {
    "Work": _l("Work"),
    "Projects": _l("Projects"),
    "Customers": _l("Customers"),
    "Setup": _l("Setup"),
    "Automation": _l("Automation"),
    "SLA": _l("SLA"),
    "Mail": _l("Mail"),
    "Customer apps": _l("Customer apps"),
    "Views": _l("Views"),
}


def menu_label(category: str) -> Any:
    """The translated name of the menu ``category`` (its English name when unknown)."""
    return MENU_LABELS.get(category, category)


def add_screen(appbuilder: Any, view: Any, name: str, label: LazyString, icon: str,
               category: str) -> None:
    """Register ``view`` in menu ``category`` as ``name`` (FAB's permission key, English),
    shown as ``label`` and the menu's translated name."""
    appbuilder.add_view(view, name, icon=icon, category=category, label=label,
                        category_label=menu_label(category))
