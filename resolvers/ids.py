"""Opaque global ids: base64 of ``"<TypeName>:<primary key>"``.

Clients must treat them as opaque strings; the encoding lets ``node(id)`` find the type."""

from __future__ import annotations

import base64
import binascii

from tortoise import fields
from tortoise.models import Model

import models

INTEGER_MAX = 2**31 - 1  # PostgreSQL's integer, the id columns of most tables
BIGINT_MAX = 2**63 - 1  # and its bigint (the outbox, chat events, notifications)


def largest_id(model: type[Model]) -> int:
    """The largest id ``model``'s id column holds."""
    return BIGINT_MAX if isinstance(model._meta.pk, fields.BigIntField) else INTEGER_MAX


def to_global_id(type_name: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def from_global_id(global_id: str) -> tuple[str, int] | None:
    """``(type name, pk)``, or ``None`` for anything that is not one of our ids."""
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        raw = base64.urlsafe_b64decode(padded.encode("ascii")).decode()
        type_name, _, pk = raw.partition(":")
        value = int(pk)
    except (binascii.Error, UnicodeError, ValueError):
        return None
    if not type_name or value <= 0 or value > 2**62:
        return None
    return type_name, value


def pk_of(global_id: str, type_name: str) -> int | None:
    """The primary key if ``global_id`` names an object of ``type_name``; None too for a key past
    what the table of the model of that name holds (PostgreSQL would refuse it as a value)."""
    parsed = from_global_id(global_id)
    if parsed is None or parsed[0] != type_name:
        return None
    model = getattr(models, type_name, None)
    if isinstance(model, type) and issubclass(model, Model) and parsed[1] > largest_id(model):
        return None
    return parsed[1]
