"""Keyset paging: over every sortable column, both directions, with NULLs and ties, the pages
return every row exactly once and in order; bad cursors and sizes are named."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from webapp.commands.errors import Invalid
from webapp.models import Item, ItemKind
from webapp.work_views.keyset import SORTABLE, Sort, fetch_page, page_size

BASE = dt.datetime(2030, 3, 1, 8, 0)
DAY = dt.date(2030, 3, 1)


@pytest.fixture
def rows(make) -> list[Item]:
    """14 items whose sortable values repeat (ties) and are often NULL."""
    project = make.project()
    made = []
    for n in range(14):
        tie = n % 4  # values shared by several rows
        nullable = None if n % 3 == 0 else tie
        made.append(make.item(
            project, ItemKind.TASK, title=["delta", "alpha", "charlie", "bravo"][tie],
            priority=tie, due_at=None if nullable is None else BASE + dt.timedelta(days=tie),
            planned_start=None if nullable is None else DAY + dt.timedelta(days=tie),
            planned_finish=None if n % 2 else DAY + dt.timedelta(days=tie),
            percent_complete=None if nullable is None else tie * 10))
    for n, item in enumerate(made):
        tie = n % 4
        item.created_at = item.updated_at = item.status_changed_at = \
            BASE - dt.timedelta(hours=tie)
    make.session.commit()
    return made


def expected_order(items: list[Item], sort: Sort) -> list[int]:
    """NULLs last in both directions, then the value, then id (same direction)."""
    present = [i for i in items if getattr(i, sort.name) is not None]
    missing = [i for i in items if getattr(i, sort.name) is None]
    present.sort(key=lambda i: (getattr(i, sort.name), i.id), reverse=sort.descending)
    missing.sort(key=lambda i: i.id, reverse=sort.descending)
    return [i.id for i in present + missing]


def all_pages(session: Any, sort: Sort, size: int) -> list[int]:
    seen: list[int] = []
    cursor = None
    statement = select(Item)
    for _ in range(100):
        page = fetch_page(session, statement, sort, size, cursor)
        assert len(page.rows) <= size
        seen += [i.id for i in page.rows]
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor
    raise AssertionError("paging never ended")


@pytest.mark.parametrize("name", sorted(SORTABLE))
@pytest.mark.parametrize("descending", [False, True])
def test_pages_return_every_row_once_in_order(make, rows, name, descending):
    sort = Sort.parse(("-" if descending else "") + name)
    make.session.expire_all()
    for size in (1, 3, 14, 50):
        seen = all_pages(make.session, sort, size)
        assert len(seen) == len(set(seen)) == len(rows), size
        assert seen == expected_order(rows, sort), size


def test_the_last_full_page_has_no_next_cursor(make, rows):
    page = fetch_page(make.session, select(Item), Sort.parse("id"), len(rows), None)
    assert len(page.rows) == len(rows) and page.next_cursor is None


def test_filters_combine_with_the_cursor(make, rows):
    statement = select(Item).where(Item.priority == 2)
    sort = Sort.parse("-due_at")
    first = fetch_page(make.session, statement, sort, 1, None)
    rest = fetch_page(make.session, statement, sort, 50, first.next_cursor)
    ids = [i.id for i in first.rows + rest.rows]
    assert ids == expected_order([r for r in rows if r.priority == 2], sort)


@pytest.mark.parametrize("text", ["colour", "-status", "description"])
def test_unknown_sort_is_named(text):
    with pytest.raises(Invalid) as caught:
        Sort.parse(text)
    assert "sort" in caught.value.messages


def test_a_cursor_of_another_order_or_garbage_is_refused(make, rows):
    page = fetch_page(make.session, select(Item), Sort.parse("due_at"), 2, None)
    for sort, cursor in ((Sort.parse("-due_at"), page.next_cursor),
                         (Sort.parse("priority"), page.next_cursor),
                         (Sort.parse("due_at"), "not-a-cursor"),
                         (Sort.parse("due_at"), "W10")):
        with pytest.raises(Invalid) as caught:
            fetch_page(make.session, select(Item), sort, 2, cursor)
        assert "cursor" in caught.value.messages


@pytest.mark.parametrize("text, size", [(None, 50), ("", 50), ("1", 1), ("500", 500)])
def test_page_size(text, size):
    assert page_size(text) == size


@pytest.mark.parametrize("text", ["0", "501", "-1", "ten", "2.5"])
def test_bad_page_size_is_named(text):
    with pytest.raises(Invalid) as caught:
        page_size(text)
    assert "page_size" in caught.value.messages
