"""A database refusal reaches the user as the field or rule in words; the database's own text
only reaches the log (issue 17, point 2). Real refusals, on each backend."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tests.factories import Factory
from webapp.commands.write_check import integrity_message
from webapp.models import Item, ItemKind, Organization, Timesheet

DATABASE_WORDS = ("null value", "violates", "constraint", "NOT NULL", "UNIQUE", "DETAIL",
                  "relation", "INSERT", "_id", "ck_", "uq_", "Key (")


def _refusal(session: Session, write: Callable[[], None]) -> IntegrityError:
    write()
    with pytest.raises(IntegrityError) as caught:
        session.flush()
    session.rollback()
    return caught.value


def _in_words(messages: dict[str, list[str]]) -> None:
    for word in DATABASE_WORDS:
        assert word not in str(messages), f"{word!r} in {messages}"


def test_each_kind_of_refusal_names_its_field(make: Factory,
                                              caplog: pytest.LogCaptureFixture) -> None:
    s = make.session
    project = make.project()
    item = make.item(project)
    user = make.user("Agent")
    make.organization("Acme")
    ticket_type = make.item_type(ItemKind.TICKET)

    cases: dict[str, tuple[Callable[[], Any], dict[str, list[str]]]] = {
        "not null": (lambda: s.add(Item(kind=ItemKind.TICKET, title="x", project_id=project.id,
                                        item_type_id=ticket_type.id, custom_values={})),
                     {"status": ["is required"]}),
        "unique": (lambda: s.add(Organization(name="Acme")),
                   {"name": ["another organization already has this name"]}),
        "check": (lambda: s.add(Timesheet(user_id=user.id, item_id=item.id,
                                          work_date=dt.date(2026, 12, 1), hours=Decimal(30))),
                  {"hours": ["is outside the allowed values"]}),
    }
    for case, (write, expected) in cases.items():
        with caplog.at_level(logging.WARNING, logger="webapp.commands.db_errors"):
            caplog.clear()
            messages = integrity_message(_refusal(s, lambda w=write: w()))
        assert messages == expected, case
        _in_words(messages)
        # The database's text is kept for whoever reads the log.
        assert "a write was refused by the database" in caplog.text, case


def test_a_reference_to_nothing_is_refused_in_words(make: Factory) -> None:
    if make.app.config.get("TEST_BACKEND") == "sqlite":
        pytest.skip("SQLite here does not enforce foreign keys")
    s = make.session
    project = make.project()
    ticket_type = make.item_type(ItemKind.TICKET)
    messages = integrity_message(_refusal(s, lambda: s.add(Item(
        kind=ItemKind.TICKET, title="x", project_id=project.id, item_type_id=ticket_type.id,
        status_id=ticket_type.statuses[0].id, folder_id=987654, custom_values={}))))
    _in_words(messages)
    assert "does not exist" in str(messages)
