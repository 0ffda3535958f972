"""Writing the audit trail. Call inside the transaction of the write it records, so that a
write and its audit entry commit (or roll back) together."""

from __future__ import annotations

from typing import Any

import models
from resolvers.context import Viewer


def entry(
    viewer: Viewer,
    action: str,
    obj: str,
    obj_id: int | None,
    details: dict[str, Any] | None = None,
    *,
    school_id: int | None = None,
) -> models.AuditEntry:
    """An unsaved entry, for ``bulk_create`` of many at once."""
    return models.AuditEntry(
        actor_id=viewer.user_id,
        school_id=school_id,
        action=action,
        object_type=obj,
        object_id=obj_id,
        details=details or {},
        address=viewer.address or None,
    )


async def record(
    viewer: Viewer,
    action: str,
    obj: str,
    obj_id: int | None,
    details: dict[str, Any] | None = None,
    *,
    school_id: int | None = None,
) -> models.AuditEntry:
    """Record one write: ``action`` is ``<noun>.<verb>`` (``term.create``), ``obj`` the model name."""
    row = entry(viewer, action, obj, obj_id, details, school_id=school_id)
    await row.save()
    return row
