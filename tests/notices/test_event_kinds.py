"""Diary event kinds are declared once, in ``pubsub.broker.EventKind``, each with its description
and the notification category it notifies in. The GraphQL enum ``DiaryEventKind`` is that enum,
and the one other list of kinds (``NotificationKind``, which also holds kinds of notifications that
are not diary events) is held to it here."""

from __future__ import annotations

from enum import StrEnum

import pytest
from graphql import GraphQLEnumType

from pubsub.broker import EventKind
from resolvers.notifier import CATEGORIES
from schema import build_schema
from schema.enums import describe


def test_the_graphql_enum_is_the_event_kinds_each_described() -> None:
    enum = build_schema()._schema.type_map["DiaryEventKind"]
    assert isinstance(enum, GraphQLEnumType)
    assert list(enum.values) == [kind.name for kind in EventKind]
    assert all(value.description for value in enum.values.values())


def test_a_kind_without_a_description_fails_at_import() -> None:
    class Kind(StrEnum):
        OLD = "OLD"
        NEW = "NEW"

    with pytest.raises(TypeError, match="NEW"):
        describe(Kind, name="Kind", description="A kind.", values={Kind.OLD: "The old one."})


def test_the_inbox_knows_exactly_the_notified_kinds() -> None:
    """A notification's kind is shown as a ``NotificationKind``: its diary kinds are the kinds
    the notifier writes notifications for, no more (a dead value) and no fewer (an error)."""
    notified = {kind for kind, category in CATEGORIES.items() if category is not None}
    shown = build_schema()._schema.type_map["NotificationKind"]
    assert isinstance(shown, GraphQLEnumType)
    assert set(shown.values) & set(EventKind) == notified
