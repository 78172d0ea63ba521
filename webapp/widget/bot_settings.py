"""How the portal screen names and explains the messenger bot's settings (staff screens are
English); the texts themselves are in each customer language."""

from __future__ import annotations

CHAT_BOT_COLUMNS = ["chat_greeting_en", "chat_greeting_pt", "chat_greeting_es",
                    "chat_away_en", "chat_away_pt", "chat_away_es", "chat_calendar",
                    "chat_away_after_minutes"]
_LANGUAGES = {"en": "English", "pt": "Portuguese", "es": "Spanish"}
CHAT_BOT_LABELS = {
    **{f"chat_greeting_{code}": f"Chat greeting ({name})" for code, name in _LANGUAGES.items()},
    **{f"chat_away_{code}": f"Chat away reply ({name})" for code, name in _LANGUAGES.items()},
    "chat_calendar": "Chat hours (business calendar)",
    "chat_away_after_minutes": "Away after (minutes without an answer)",
}
CHAT_BOT_HELP = {
    **{f"chat_greeting_{code}": "Shown when the messenger opens; empty: the built-in greeting "
                                 "in this language." for code in _LANGUAGES},
    **{f"chat_away_{code}": "Shown outside the chat hours, or when no agent answered in time, "
                             "with a button to leave a request; empty: the built-in reply."
       for code in _LANGUAGES},
    "chat_calendar": "Outside this calendar's hours (and holidays) the away reply shows; "
                     "empty: always staffed.",
    "chat_away_after_minutes": "When no agent has answered a visitor's message for this many "
                               "minutes, the away reply shows; empty: never.",
}
