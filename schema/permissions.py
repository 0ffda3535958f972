"""Coarse gates on root fields. Fine-grained visibility lives in ``resolvers/policy``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

import strawberry
from graphql import OperationType
from resolvers.core import Text, _
from strawberry.permission import BasePermission
from strawberry.types.nodes import Selection

import models
from resolvers import outbox, policy, second_factor
from resolvers.codes import ErrorCode
from resolvers.errors import Forbidden, Unauthenticated
from resolvers.sessions import Context
from schema.types import field_names

# What a user holding a one-time password may still do: change it, log out, see who they are.
# Appended to the description of a mutation gated by `IsAdmin` (timetable, lessons, calendar, days off, bells).
ADMINS = " School admins (their school) and district admins (their district's schools); FORBIDDEN for others."
PASSWORD_CHANGE_FIELDS = frozenset({"passwordChange", "logout"})
PASSWORD_CHANGE_VIEWER_FIELDS = frozenset({"user", "__typename"})
# What a user whose role requires a second factor (EDIARY_REQUIRE_2FA_FOR) may do before enrolling one.
SECOND_FACTOR_FIELDS = PASSWORD_CHANGE_FIELDS | {"secondFactorEnroll", "secondFactorConfirm"}
SECOND_FACTOR_VIEWER_FIELDS = PASSWORD_CHANGE_VIEWER_FIELDS | {"secondFactor"}


def _only(selections: Iterable[Selection], allowed: frozenset[str]) -> bool:
    return all(name in allowed for name in field_names(selections))


def allowed_before_password_change(
    info: strawberry.Info[Context, None],
    fields: frozenset[str] = PASSWORD_CHANGE_FIELDS,
    viewer_fields: frozenset[str] = PASSWORD_CHANGE_VIEWER_FIELDS,
) -> bool:
    """``passwordChange``, ``logout`` and ``viewer { user }``: nothing else (or ``fields`` and
    ``viewer { viewer_fields }``)."""
    if info.field_name in fields:
        return True
    if info.field_name == "viewer":
        return all(_only(field.selections, viewer_fields) for field in info.selected_fields)
    return False


def allowed_before_second_factor(info: strawberry.Info[Context, None]) -> bool:
    """Enrolling and confirming a second factor, ``passwordChange``, ``logout`` and
    ``viewer { user secondFactor }``: nothing else."""
    return allowed_before_password_change(info, SECOND_FACTOR_FIELDS, SECOND_FACTOR_VIEWER_FIELDS)


async def second_factor_required(ctx: Context) -> bool:
    """Whether the viewer holds a role the deployment requires a second factor for
    (EDIARY_REQUIRE_2FA_FOR) and has none on. No statement when no role requires one."""
    required = ctx.settings.require_2fa_for
    if not required or ctx.viewer.user_id is None:
        return False
    if not any(role.value in required for role in await ctx.viewer.roles()):
        return False
    return await second_factor.active_factor(ctx.viewer.user_id) is None


class IsAuthenticated(BasePermission):
    """The request carries a valid access token of an active account.

    The token carries only the user id; the account is read from the database once per
    request (again at the start of every subscription), so a deactivated account's tokens
    stop working at once (UNAUTHENTICATED) and an account holding a one-time password may
    only change it (FORBIDDEN, ``extensions.reason`` PASSWORD_CHANGE_REQUIRED); nor may an account
    whose role requires a second factor (EDIARY_REQUIRE_2FA_FOR) do more than enrol one until it is
    on (FORBIDDEN, ``extensions.reason`` SECOND_FACTOR_REQUIRED)."""

    message = "Log in first: send `Authorization: Bearer <accessToken>`."
    error_extensions = {"code": ErrorCode.UNAUTHENTICATED}

    def on_unauthorized(self) -> None:
        """UNAUTHENTICATED, in the language of the request (``resolvers/i18n.py``)."""
        raise Unauthenticated(_("Log in first: send `Authorization: Bearer <accessToken>`."))

    async def has_permission(self, source: Any, info: strawberry.Info[Context, None], **kwargs: Any) -> bool:
        viewer = info.context.viewer
        if not viewer.authenticated:
            if viewer.ended is not None:  # the token's session ended: say so (``resolvers/sessions.py``)
                raise Unauthenticated(_("Your session has ended: log in again."), reason=viewer.ended)
            return False
        if info.operation.operation == OperationType.SUBSCRIPTION or viewer.user_id is None:
            subscriber = outbox.current()
            if subscriber is not None and subscriber.following:
                # A parked stream going on (``resolvers/outbox.py``): it was let in when it
                # started, and the stream core (``resolvers/outbox.py``) re-checks the account's
                # standing with every event it delivers, in the same statement as its policy.
                return True
            # A socket's context outlives requests: read the account afresh for each subscription.
            account = await viewer.account(refresh=True)
        else:  # the request's loader, so that `viewer { user }` is not read twice
            account = await info.context.loaders.user_by_id.load(viewer.user_id)
        if account is None or not account.is_active:
            raise Unauthenticated(_("This account is deactivated. Ask your school."), reason="ACCOUNT_DEACTIVATED")
        if account.must_change_password and not allowed_before_password_change(info):
            raise Forbidden(
                _("Change your one-time password first (`passwordChange`)."), reason="PASSWORD_CHANGE_REQUIRED"
            )
        if await second_factor_required(info.context) and not allowed_before_second_factor(info):
            raise Forbidden(
                _("Your role requires two-factor login: turn it on first (`secondFactorEnroll`)."),
                reason="SECOND_FACTOR_REQUIRED",
            )
        return True


class RoleGate(IsAuthenticated):
    """A coarse gate on a write: logged in and in good standing first (``IsAuthenticated``,
    whose refusals it keeps), then the viewer's roles, else FORBIDDEN with ``refusal``. Asked
    before the resolver runs, so before anything of the input is looked up. Which objects
    they may touch is decided after, by the scopes of ``resolvers/policy``: a refusal there
    looks like "not found". Declared with ``HasRole``, ``IsAdmin`` or ``LacksRole``."""

    roles: ClassVar[frozenset[models.Role]]
    holding: ClassVar[bool]  # True: one of ``roles`` lets in; False: any of them keeps out
    refusal: ClassVar[Text]

    async def has_permission(self, source: Any, info: strawberry.Info[Context, None], **kwargs: Any) -> bool:
        if not await super().has_permission(source, info, **kwargs):
            return False
        if bool(self.roles.intersection(await info.context.viewer.roles())) != self.holding:
            raise Forbidden(self.refusal)
        return True


# The factories are named like the classes they make: a field reads
# ``permission_classes=[IsAdmin(REFUSAL)]``.
def _role_gate(name: str, roles: Iterable[models.Role], holding: bool, refusal: Text) -> type[RoleGate]:
    class Gate(RoleGate):
        pass

    Gate.roles, Gate.holding, Gate.refusal = frozenset(roles), holding, refusal
    Gate.__name__ = Gate.__qualname__ = f"{name}({', '.join(sorted(Gate.roles))})"
    return Gate


def HasRole(*roles: models.Role, refusal: Text) -> type[RoleGate]:
    """Logged in and holding one of ``roles``: ``permission_classes=[HasRole(TEACHER, refusal=...)]``."""
    return _role_gate("HasRole", roles, True, refusal)


def IsAdmin(refusal: Text) -> type[RoleGate]:
    """A school or district admin (``policy.ADMIN_ROLES``). Which schools they run is the scopes'
    business (``policy.administered_schools``): another school's objects are "not found"."""
    return _role_gate("IsAdmin", policy.ADMIN_ROLES, True, refusal)


def LacksRole(*roles: models.Role, refusal: Text) -> type[RoleGate]:
    """Logged in and holding none of ``roles`` (an account with no role at all passes)."""
    return _role_gate("LacksRole", roles, False, refusal)


class IsPublic(BasePermission):
    """Open to anonymous callers on purpose (logging in). Marks a root field as reviewed."""

    message = ""

    def has_permission(self, source: Any, info: strawberry.Info[Context, None], **kwargs: Any) -> bool:
        return True
