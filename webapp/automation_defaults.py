"""Shipped automation defaults (like OneDesk's), created once and recognised by key."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import (
    BusinessCalendar,
    Recipe,
    RecipeAction,
    SlaPolicy,
    SlaTarget,
    User,
)

AUTOMATION_USERNAME = "automation"

DEFAULT_RECIPES = (
    {
        "builtin_key": "default.attach_sla", "name": "Attach the default SLA to new tickets",
        "trigger_event": "ticket.created", "position": 10,
        "actions": [("attach_sla", {})],
    },
    {
        # Switched on by the portal preset "External customers" (webapp.portal.presets).
        "builtin_key": "default.organization_project", "enabled": False,
        "name": "Put each organization's requests in its own project",
        "trigger_event": "ticket.created", "position": 15,
        "conditions": {"match": "all", "rules": [
            {"field": "requester.organization_id", "op": "is_not_empty"}]},
        "actions": [("ensure_org_project", {})],
    },
    {
        "builtin_key": "default.satisfaction_survey",
        "name": "Send a satisfaction survey when a ticket is done",
        "trigger_event": "ticket.status_changed", "position": 20,
        "conditions": {"match": "all", "rules": [
            {"field": "item.status_category", "op": "eq", "value": "done"},
            {"field": "requester.email", "op": "is_not_empty"}]},
        # One click on a link rates the ticket (rating_url: webapp.satisfaction, signed for
        # the requester); installs from before keep their recipe's text as it is.
        "actions": [("send_email", {
            "to": "requester", "subject": "How did we do? {{ item.title }}",
            "body": "Hello {{ requester.name }},\n\nyour request \"{{ item.title }}\" is "
                    "{{ item.status }}. How satisfied are you with our help? One click "
                    "rates it:\n\n"
                    "5 - Very satisfied: {{ rating_url(item.id, 5) }}\n"
                    "4 - Satisfied: {{ rating_url(item.id, 4) }}\n"
                    "3 - Neutral: {{ rating_url(item.id, 3) }}\n"
                    "2 - Unsatisfied: {{ rating_url(item.id, 2) }}\n"
                    "1 - Very unsatisfied: {{ rating_url(item.id, 1) }}\n\n"
                    "You can add a comment on the page that opens.\n"})],
    },
    {
        "builtin_key": "default.task_status_reply",
        "name": "Tell the requester when a task's status changes",
        "trigger_event": "task.status_changed", "position": 30,
        "conditions": {"match": "all", "rules": [
            {"field": "requester.email", "op": "is_not_empty"}]},
        "actions": [("post_message", {
            "public": True,
            "body": "The status of \"{{ item.title }}\" is now {{ item.status }}."})],
    },
    # The e-mail channel (templates under Mail → Mail templates).
    {
        "builtin_key": "default.mail_acknowledgement",
        "name": "Acknowledge requests received by e-mail",
        "trigger_event": "mail.received", "position": 40,
        "conditions": {"match": "all", "rules": [
            {"field": "event.data.acknowledge", "op": "eq", "value": True}]},
        "actions": [("notify_followers", {"template": "ticket.created", "to": "requester",
                                          "include_author": True})],
    },
    {
        "builtin_key": "default.mail_reply_notification",
        "name": "E-mail public replies to the requester and followers",
        "trigger_event": "message.created", "position": 50,
        "conditions": {"match": "all", "rules": [
            {"field": "message.public", "op": "eq", "value": True}]},
        "actions": [("notify_followers", {"template": "message.created"})],
    },
    {
        "builtin_key": "default.mail_status_notification",
        "name": "E-mail the requester when a ticket's status changes", "enabled": False,
        "trigger_event": "ticket.status_changed", "position": 60,
        "actions": [("notify_followers", {"template": "ticket.status_changed",
                                          "to": "requester"})],
    },
    # Outbound webhooks: an endpoint disabled for failing (or an admin's endpoint gone).
    {
        "builtin_key": "default.webhook_endpoint_disabled",
        "name": "Tell the admins when a webhook endpoint is disabled",
        "trigger_event": "webhook_endpoint.disabled", "position": 70,
        "conditions": {"match": "any", "rules": [
            {"field": "event.data.cause", "op": "eq", "value": "failing"},
            {"field": "event.data.subscription", "op": "eq", "value": False}]},
        "actions": [("email_admins", {
            "subject": "Webhook endpoint disabled: {{ event.data.name }}",
            "body": "The webhook endpoint \"{{ event.data.name }}\" ({{ event.data.url }}) was "
                    "disabled: {{ event.data.reason }}.\n\nNo more events are sent to it. Fix "
                    "the receiver, enable the endpoint again (Automation → Webhook endpoints) "
                    "and replay its dead deliveries from its delivery log.\n"})],
    },
)


def ensure_automation_user(sm: object, session: Session) -> None:
    """The author of recipes' replies and notes: a user that cannot sign in."""
    if session.scalar(select(User).where(User.username == AUTOMATION_USERNAME)) is not None:
        return
    import secrets

    user = sm.add_user(AUTOMATION_USERNAME, "Relaydesk", "Automation",  # type: ignore[attr-defined]
                       "automation@relaydesk.invalid", [], password=secrets.token_urlsafe(32))
    if user:
        user.active = False
        session.commit()


def ensure_default_recipes(session: Session) -> None:
    for spec in DEFAULT_RECIPES:
        if session.scalar(select(Recipe).where(Recipe.builtin_key == spec["builtin_key"])):
            continue
        recipe = Recipe(
            builtin_key=spec["builtin_key"], name=spec["name"],
            enabled=spec.get("enabled", True),
            trigger_event=spec["trigger_event"], position=spec["position"],
            conditions=spec.get("conditions"), trigger_filter=spec.get("trigger_filter"),
            actions=[RecipeAction(position=i, action_type=kind, params=params)
                     for i, (kind, params) in enumerate(spec["actions"])],
        )
        session.add(recipe)
    if session.scalar(select(SlaPolicy).where(SlaPolicy.is_default.is_(True))) is None:
        calendar = session.scalar(select(BusinessCalendar).where(
            BusinessCalendar.name == "Business hours"))
        if calendar is None:
            week = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
            calendar = BusinessCalendar(name="Business hours", timezone="UTC", hours=week)
        session.add(SlaPolicy(name="Standard", is_default=True, calendar=calendar,
                              warning_minutes=60, targets=[
            SlaTarget(priority=5, first_response_minutes=60, resolution_minutes=480),
            SlaTarget(priority=4, first_response_minutes=120, resolution_minutes=960),
            SlaTarget(first_response_minutes=480, resolution_minutes=2400),
        ]))
    session.commit()
    from webapp.mail import ensure_mail_templates

    ensure_mail_templates(session)
