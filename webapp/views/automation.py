"""Screens for events, recipes and their actions, the delivery ledger, and SLA settings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import flash, redirect, request
from flask_appbuilder import AppBuilder
from flask_appbuilder.actions import action
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.views import expose

from webapp.access.interface import ScopedInterface
from webapp.automation import delivery_ledger, wake_workers
from webapp.models import (
    BusinessCalendar,
    Delivery,
    DeliveryStatus,
    Event,
    Holiday,
    IdleRule,
    ItemSla,
    Recipe,
    RecipeAction,
    SlaPolicy,
    SlaTarget,
)
from webapp.views.base import ScopedModelView
from webapp.views.json_field import json_fields

_READ_ONLY = {"list", "show"}






class EventView(ScopedModelView):
    route_base = "/events"
    class_permission_name = "Event"
    datamodel = ScopedInterface(Event)
    include_route_methods = _READ_ONLY
    list_columns = ["id", "type", "subject_type", "subject_id", "actor_user", "actor_recipe_id",
                    "depth", "created_at", "processed_at"]
    show_columns = list_columns + ["actor_customer", "diff", "data"]
    search_columns = ["type", "subject_type", "subject_id", "created_at"]
    base_order = ("id", "desc")


class DeliveryView(ScopedModelView):
    route_base = "/deliveries"
    class_permission_name = "Delivery"
    datamodel = ScopedInterface(Delivery)
    include_route_methods = _READ_ONLY | {"action", "action_post"}
    list_columns = ["id", "event", "recipe", "action_type", "status", "attempts",
                    "next_attempt_at", "last_error", "duration_ms", "created_at"]
    show_columns = list_columns + ["recipe_action", "webhook_endpoint", "lease_expires_at",
                                   "result", "finished_at"]
    search_columns = ["event", "recipe", "status", "action_type", "created_at"]
    base_order = ("id", "desc")

    @action("replay", "Replay", "Run the selected deliveries again?", "fa-repeat",
            multiple=True, single=True)
    def replay(self, items: Any) -> Any:
        items = items if isinstance(items, list) else [items]
        ledger = delivery_ledger()
        replayed = 0
        for delivery in items:
            if delivery.status != DeliveryStatus.RUNNING:
                ledger.replay(delivery)
                replayed += 1
        wake_workers()
        flash(f"{replayed} deliveries queued again", "success")
        return redirect(request.referrer or self.get_redirect())


class RecipeActionView(ScopedModelView):
    route_base = "/recipe-actions"
    class_permission_name = "RecipeAction"
    datamodel = ScopedInterface(RecipeAction)
    list_columns = ["recipe", "position", "action_type", "params"]
    add_columns = ["recipe", "position", "action_type", "params"]
    edit_columns = add_columns
    show_columns = add_columns
    add_form_extra_fields = json_fields("params", help_texts={
        "params": 'Inputs of the action as JSON, e.g. {"status": "Done"}; strings may use '
                  "templates like {{ item.title }}"})
    edit_form_extra_fields = add_form_extra_fields
    base_order = ("position", "asc")


class RecipeView(ScopedModelView):
    route_base = "/recipes"
    class_permission_name = "Recipe"
    datamodel = ScopedInterface(Recipe)
    list_columns = ["position", "name", "enabled", "trigger_event", "organization"]
    add_columns = ["name", "enabled", "position", "trigger_event", "trigger_filter",
                   "conditions", "organization"]
    edit_columns = add_columns
    show_columns = add_columns + ["builtin_key", "created_at", "updated_at"]
    search_columns = ["name", "enabled", "trigger_event", "organization"]
    related_views = [RecipeActionView, DeliveryView]
    show_template = "relaydesk/recipe_show.html"
    base_order = ("position", "asc")
    _help = {
        "trigger_filter": 'Optional, e.g. {"field": "status", "to": "Done"}',
        "conditions": 'Optional, e.g. {"match": "all", "rules": [{"field": "item.priority", '
                      '"op": "gte", "value": 4}]}',
    }
    add_form_extra_fields = json_fields("trigger_filter", "conditions", help_texts=_help)
    edit_form_extra_fields = add_form_extra_fields

    @expose("/rerun/<int:pk>", methods=["POST"])
    @has_access
    def rerun_failed(self, pk: int) -> Any:
        recipe = self.datamodel.get(pk)
        if recipe is None:
            flash("No such recipe", "danger")
            return redirect(self.get_redirect())
        raw = request.form.get("since", "")
        try:
            since = dt.datetime.fromisoformat(raw)
        except ValueError:
            flash(f"'since' must be a date and time like 2026-11-23T08:00, got {raw!r}",
                  "danger")
            return redirect(request.referrer or self.get_redirect())
        replayed = delivery_ledger().rerun_failed(recipe.id, since.replace(tzinfo=None))
        wake_workers()
        flash(f"{len(replayed)} failed deliveries of {recipe.name!r} queued again", "success")
        return redirect(request.referrer or self.get_redirect())


class SlaTargetView(ScopedModelView):
    route_base = "/sla-targets"
    class_permission_name = "SlaTarget"
    datamodel = ScopedInterface(SlaTarget)
    list_columns = ["policy", "priority", "item_type", "first_response_minutes",
                    "resolution_minutes"]
    add_columns = list_columns
    edit_columns = list_columns
    show_columns = list_columns


class SlaPolicyView(ScopedModelView):
    route_base = "/sla-policies"
    class_permission_name = "SlaPolicy"
    datamodel = ScopedInterface(SlaPolicy)
    list_columns = ["name", "is_default", "calendar", "warning_minutes"]
    add_columns = list_columns
    edit_columns = list_columns
    show_columns = list_columns
    related_views = [SlaTargetView]


class HolidayView(ScopedModelView):
    route_base = "/holidays"
    class_permission_name = "Holiday"
    datamodel = ScopedInterface(Holiday)
    list_columns = ["calendar", "day", "name"]
    add_columns = list_columns
    edit_columns = list_columns
    show_columns = list_columns


class BusinessCalendarView(ScopedModelView):
    route_base = "/business-calendars"
    class_permission_name = "BusinessCalendar"
    datamodel = ScopedInterface(BusinessCalendar)
    list_columns = ["name", "timezone"]
    add_columns = ["name", "timezone", "hours"]
    edit_columns = add_columns
    show_columns = add_columns
    related_views = [HolidayView]
    add_form_extra_fields = json_fields("hours", help_texts={
        "hours": 'Open hours per weekday, e.g. {"mon": [["09:00", "17:00"]], ...}'})
    edit_form_extra_fields = add_form_extra_fields


class IdleRuleView(ScopedModelView):
    route_base = "/idle-rules"
    class_permission_name = "IdleRule"
    datamodel = ScopedInterface(IdleRule)
    list_columns = ["name", "status", "hours", "enabled"]
    add_columns = list_columns
    edit_columns = list_columns
    show_columns = list_columns


class ItemSlaView(ScopedModelView):
    route_base = "/item-slas"
    class_permission_name = "ItemSla"
    datamodel = ScopedInterface(ItemSla)
    include_route_methods = _READ_ONLY
    list_columns = ["item", "policy", "first_response_due_at", "first_responded_at",
                    "resolution_due_at", "resolved_at"]
    show_columns = list_columns + ["started_at"]
    search_columns = ["item", "policy"]


def register_automation_views(appbuilder: AppBuilder) -> None:
    cat = "Automation"
    appbuilder.add_view(RecipeView, "Recipes", icon="fa-magic", category=cat)
    appbuilder.add_view(RecipeActionView, "Recipe actions", icon="fa-cogs", category=cat)
    appbuilder.add_view(DeliveryView, "Deliveries", icon="fa-paper-plane", category=cat)
    appbuilder.add_view(EventView, "Events", icon="fa-bolt", category=cat)
    sla = "SLA"
    appbuilder.add_view(SlaPolicyView, "SLA policies", icon="fa-clock-o", category=sla)
    appbuilder.add_view(SlaTargetView, "SLA targets", icon="fa-bullseye", category=sla)
    appbuilder.add_view(BusinessCalendarView, "Business calendars", icon="fa-calendar",
                        category=sla)
    appbuilder.add_view(HolidayView, "Holidays", icon="fa-sun-o", category=sla)
    appbuilder.add_view(IdleRuleView, "Idle rules", icon="fa-hourglass", category=sla)
    appbuilder.add_view(ItemSlaView, "Item SLAs", icon="fa-tachometer", category=sla)
