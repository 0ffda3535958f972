"""Coarse gates on root fields. Fine-grained visibility lives in ``resolvers/policy.py``."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.permission import BasePermission

from resolvers.context import Context


class IsAuthenticated(BasePermission):
    """The request carries a valid access token."""

    message = "Log in first: send `Authorization: Bearer <accessToken>`."
    error_extensions = {"code": "UNAUTHENTICATED"}

    def has_permission(self, source: Any, info: strawberry.Info[Context, None], **kwargs: Any) -> bool:
        return info.context.viewer.authenticated


class IsPublic(BasePermission):
    """Open to anonymous callers on purpose (logging in). Marks a root field as reviewed."""

    message = ""

    def has_permission(self, source: Any, info: strawberry.Info[Context, None], **kwargs: Any) -> bool:
        return True
