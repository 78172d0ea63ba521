"""The webhook action: a signed POST of the event's envelope to an endpoint.

Endpoints' own deliveries (matched by their event-type filter) name the endpoint on the
delivery; a recipe's webhook step names it in its ``endpoint`` input.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from connectors.errors import Permanent
from hub.actions.registry import ActionContext, register
from hub.webhooks import ACTION, WebhookSettings, deliver, find_endpoint


class WebhookSchema(Schema):
    endpoint = fields.String(load_default=None, metadata={
        "label": "Endpoint (name or id)",
        "help": "an outbound webhook endpoint (Automation → Webhook endpoints)"})


@register(ACTION, "Send signed webhook", WebhookSchema, kind="webhook", needs_item=False)
def send_webhook(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    delivery = ctx.delivery
    endpoint = delivery.webhook_endpoint or find_endpoint(ctx.session, params.get("endpoint"))
    if endpoint is None:
        raise Permanent(f"no webhook endpoint {params.get('endpoint') or ''!r}")
    return deliver(ctx.session, delivery, endpoint, ctx.event,
                   WebhookSettings.from_extra(ctx.settings))
