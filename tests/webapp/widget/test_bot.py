"""The messenger's automatic messages over HTTP: the greeting (the portal's wording per
language, else the built-in one translated), and the away reply offering to leave a request
outside the business calendar's hours or when no agent answered within the portal's minutes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from webapp.models import BusinessCalendar, ChatConversation, Holiday, Portal, utcnow
from webapp.widget import conversations
from webapp.widget.conversations import key_hash

API = "/widget/help/api/chat"
PANEL = "/widget/help/panel"
ALWAYS = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
AWAY_EN = "No one from our team can answer right now."


def _call(app, client, method, url=API, key="new", **kw):
    with app.app_context():
        return client.open(url, method=method, headers={"X-Widget-Key": key}, **kw)


def _portal(make) -> Portal:
    return make.session.scalar(select(Portal).where(Portal.slug == "help"))


def _calendar(make, closed_today: bool) -> BusinessCalendar:
    """Open around the clock in UTC; with today (UTC) a holiday when ``closed_today``."""
    calendar = BusinessCalendar(name=f"Chat hours {closed_today}", timezone="UTC",
                                hours=ALWAYS)
    if closed_today:
        calendar.holidays = [Holiday(day=utcnow().date(), name="Closed")]
    make.session.add(calendar)
    make.session.commit()
    return calendar


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_the_greeting_is_the_portals_wording_in_the_visitors_language(app, client, make):
    portal = _portal(make)
    assert "Ask us anything" in _text(_call(app, client, "GET", PANEL))
    assert "Pergunte o que quiser" in _text(_call(app, client, "GET", f"{PANEL}?lang=pt"))
    portal.chat_greeting_en = "Hi! The clinic team is here."
    portal.chat_greeting_es = "¡Hola! El equipo de la clínica está aquí."
    make.session.commit()
    assert "Hi! The clinic team is here." in _text(_call(app, client, "GET", f"{PANEL}?lang=en"))
    assert "El equipo de la clínica" in _text(_call(app, client, "GET", f"{PANEL}?lang=es"))
    started = _call(app, client, "POST", json={"body": "Hola"}).get_json()
    assert started["bot"] == {"greeting": "¡Hola! El equipo de la clínica está aquí.",
                              "away": None}


def test_outside_the_calendars_hours_the_away_reply_offers_a_request(app, client, make):
    portal = _portal(make)
    portal.chat_calendar_id = _calendar(make, closed_today=False).id
    make.session.commit()
    assert AWAY_EN not in _text(_call(app, client, "GET", PANEL))
    portal.chat_calendar_id = _calendar(make, closed_today=True).id
    portal.chat_away_pt = "Estamos fechados hoje. Deixe seu pedido."
    make.session.commit()
    panel = _text(_call(app, client, "GET", PANEL))
    assert AWAY_EN in panel and "Leave a request" in panel
    assert "Estamos fechados hoje." in _text(_call(app, client, "GET", f"{PANEL}?lang=pt"))
    state = _call(app, client, "POST", f"{API}?lang=en", json={"body": "Anyone?"}).get_json()
    assert state["bot"]["away"]["text"].startswith(AWAY_EN)
    assert state["bot"]["away"]["url"].endswith("/portal/help/new?embed=1")


def test_no_answer_within_the_minutes_brings_the_away_reply(app, client, make):
    portal = _portal(make)
    portal.chat_away_after_minutes = 5
    make.session.commit()
    key = _call(app, client, "POST", json={"body": "Hello?"}).get_json()["key"]
    assert _call(app, client, "GET", API, key=key).get_json()["bot"]["away"] is None
    make.session.expire_all()
    chat = make.session.scalar(select(ChatConversation).where(
        ChatConversation.visitor_key_hash == key_hash(key)))
    chat.messages[0].created_at = utcnow() - dt.timedelta(minutes=6)
    make.session.commit()
    assert _call(app, client, "GET", API, key=key).get_json()["bot"]["away"]["text"] \
        .startswith(AWAY_EN)
    agent = make.user("Agent")
    conversations.add_message(make.session, chat, "Here I am", user_id=agent.id)
    assert _call(app, client, "GET", API, key=key).get_json()["bot"]["away"] is None
