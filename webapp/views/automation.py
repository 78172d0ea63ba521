"""Screens for events, recipes and their actions, the delivery ledger, and SLA settings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import flash, redirect, request
from flask_appbuilder import AppBuilder
from flask_appbuilder.actions import action
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.views import expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

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
from webapp.views.labels import add_screen

_READ_ONLY = {"list", "show"}






class EventView(ScopedModelView):
    list_title = _l("Events")
    show_title = _l("Event")
    add_title = _l("New event")
    edit_title = _l("Edit event")
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
    list_title = _l("Deliveries")
    show_title = _l("Delivery")
    add_title = _l("New delivery")
    edit_title = _l("Edit delivery")
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

    @action("replay", _l("Replay"), _l("Run the selected deliveries again?"), "fa-repeat",
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
        flash(gettext("%(count)d deliveries queued again", count=replayed), "success")
        return redirect(request.referrer or self.get_redirect())


class RecipeActionView(ScopedModelView):
    list_title = _l("Recipe actions")
    show_title = _l("Recipe action")
    add_title = _l("New recipe action")
    edit_title = _l("Edit recipe action")
    route_base = "/recipe-actions"
    class_permission_name = "RecipeAction"
    datamodel = ScopedInterface(RecipeAction)
    list_columns = ["recipe", "position", "action_type", "params"]
    add_columns = ["recipe", "position", "action_type", "params"]
    edit_columns = add_columns
    show_columns = add_columns
    add_form_extra_fields = json_fields("params", help_texts={
        "params": _l('Inputs of the action as JSON, e.g. {"status": "Done"}; strings may use '
                     "templates like {{ item.title }}")})
    edit_form_extra_fields = add_form_extra_fields
    base_order = ("position", "asc")


class RecipeView(ScopedModelView):
    list_title = _l("Recipes")
    show_title = _l("Recipe")
    add_title = _l("New recipe")
    edit_title = _l("Edit recipe")
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
        "trigger_filter": _l('Optional, e.g. {"field": "status", "to": "Done"}'),
        "conditions": _l('Optional, e.g. {"match": "all", "rules": [{"field": "item.priority", '
                         '"op": "gte", "value": 4}]}'),
    }
    add_form_extra_fields = json_fields("trigger_filter", "conditions", help_texts=_help)
    edit_form_extra_fields = add_form_extra_fields

    @expose("/rerun/<int:pk>", methods=["POST"])
    @has_access
    def rerun_failed(self, pk: int) -> Any:
        recipe = self.datamodel.get(pk)
        if recipe is None:
            flash(gettext("No such recipe"), "danger")
            return redirect(self.get_redirect())
        raw = request.form.get("since", "")
        try:
            since = dt.datetime.fromisoformat(raw)
        except ValueError:
            flash(gettext("'since' must be a date and time like 2026-11-23T08:00, got "
                          "%(value)r", value=raw), "danger")
            return redirect(request.referrer or self.get_redirect())
        replayed = delivery_ledger().rerun_failed(recipe.id, since.replace(tzinfo=None))
        wake_workers()
        flash(gettext("%(count)d failed deliveries of %(recipe)r queued again",
                      count=len(replayed), recipe=recipe.name), "success")
        return redirect(request.referrer or self.get_redirect())


class SlaTargetView(ScopedModelView):
    list_title = _l("SLA targets")
    show_title = _l("SLA target")
    add_title = _l("New SLA target")
    edit_title = _l("Edit SLA target")
    route_base = "/sla-targets"
    class_permission_name = "SlaTarget"
    datamodel = ScopedInterface(SlaTarget)
    list_columns = ["policy", "priority", "item_type", "first_response_minutes",
                    "resolution_minutes"]
    add_columns = list_columns
    edit_columns = list_columns
    show_columns = list_columns


class SlaPolicyView(ScopedModelView):
    list_title = _l("SLA policies")
    show_title = _l("SLA policy")
    add_title = _l("New SLA policy")
    edit_title = _l("Edit SLA policy")
    route_base = "/sla-policies"
    class_permission_name = "SlaPolicy"
    datamodel = ScopedInterface(SlaPolicy)
    list_columns = ["name", "is_default", "calendar", "warning_minutes"]
    add_columns = list_columns
    edit_columns = list_columns
    show_columns = list_columns
    related_views = [SlaTargetView]


class HolidayView(ScopedModelView):
    list_title = _l("Holidays")
    show_title = _l("Holiday")
    add_title = _l("New holiday")
    edit_title = _l("Edit holiday")
    route_base = "/holidays"
    class_permission_name = "Holiday"
    datamodel = ScopedInterface(Holiday)
    list_columns = ["calendar", "day", "name"]
    add_columns = list_columns
    edit_columns = list_columns
    show_columns = list_columns


class BusinessCalendarView(ScopedModelView):
    list_title = _l("Business calendars")
    show_title = _l("Business calendar")
    add_title = _l("New business calendar")
    edit_title = _l("Edit business calendar")
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
    list_title = _l("Idle rules")
    show_title = _l("Idle rule")
    add_title = _l("New idle rule")
    edit_title = _l("Edit idle rule")
    route_base = "/idle-rules"
    class_permission_name = "IdleRule"
    datamodel = ScopedInterface(IdleRule)
    list_columns = ["name", "status", "hours", "enabled"]
    add_columns = list_columns
    edit_columns = list_columns
    show_columns = list_columns


class ItemSlaView(ScopedModelView):
    list_title = _l("Item SLAs")
    show_title = _l("Item SLA")
    add_title = _l("New item SLA")
    edit_title = _l("Edit item SLA")
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
    add_screen(appbuilder, RecipeView, "Recipes", _l("Recipes"), "fa-magic", cat)
    add_screen(appbuilder, RecipeActionView, "Recipe actions", _l("Recipe actions"), "fa-cogs", cat)
    add_screen(appbuilder, DeliveryView, "Deliveries", _l("Deliveries"), "fa-paper-plane", cat)
    add_screen(appbuilder, EventView, "Events", _l("Events"), "fa-bolt", cat)
    sla = "SLA"
    add_screen(appbuilder, SlaPolicyView, "SLA policies", _l("SLA policies"), "fa-clock-o", sla)
    add_screen(appbuilder, SlaTargetView, "SLA targets", _l("SLA targets"), "fa-bullseye", sla)
    add_screen(appbuilder, BusinessCalendarView, "Business calendars", _l("Business calendars"),
               "fa-calendar", sla)
    add_screen(appbuilder, HolidayView, "Holidays", _l("Holidays"), "fa-sun-o", sla)
    add_screen(appbuilder, IdleRuleView, "Idle rules", _l("Idle rules"), "fa-hourglass", sla)
    add_screen(appbuilder, ItemSlaView, "Item SLAs", _l("Item SLAs"), "fa-tachometer", sla)
