"""The widget's panel: the page inside the iframe the loader script opens."""

from __future__ import annotations

from flask import g, render_template, request

from webapp.widget import bot, widget_bp
from webapp.widget.conversations import MAX_BODY, MAX_PAGE_URL


@widget_bp.get("/panel")
def panel() -> str:
    """Tabs: chat (when enabled), new request, my requests (a link: third-party iframes do
    not get the portal's cookie), knowledge base."""
    page_url = (request.args.get("page_url") or "")[:MAX_PAGE_URL]
    return render_template("widget/panel.html", embedded=True, page_url=page_url,
                           chat_enabled=g.portal.chat_enabled, max_body=MAX_BODY,
                           greeting=bot.greeting(g.portal),
                           away=bot.away_text(g.portal) if bot.is_away(g.portal) else None)
