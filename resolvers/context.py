"""The typed per-request context that every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import models
from edge.settings import Settings
from pubsub.broker import Broker
from resolvers import core

if TYPE_CHECKING:
    from edge.intake import Limiter
    from resolvers.loaders import Loaders


@dataclass
class Viewer:
    """Who is asking. ``user_id`` is ``None`` for an anonymous request.

    Roles and the account's standing are read from the database once per request: with the
    session (``sessions.admit``), or on first use."""

    user_id: int | None
    address: str = ""
    # The session the access token belongs to (``resolvers/sessions.py``).
    session_id: int | None = None
    # Why an anonymous viewer's token no longer works, when its session ended (``sessions.admit``):
    # ``extensions.reason`` of the UNAUTHENTICATED answer, so that the app can say why it signed out.
    ended: str | None = None
    _grants: list[models.RoleGrant] | None = field(default=None, repr=False)
    _account: models.User | None = field(default=None, repr=False)

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def id(self) -> int:
        """The logged-in user's id, for code behind a field gated by ``IsAuthenticated`` (or a
        ``RoleGate``, ``schema/permissions.py``): the one login check, made before the resolver
        runs. Asked of an anonymous viewer it is a bug (an ungated field), not a refusal."""
        if self.user_id is None:
            raise RuntimeError("An anonymous viewer reached code behind IsAuthenticated.")
        return self.user_id

    async def grants(self) -> list[models.RoleGrant]:
        if self._grants is None:
            if self.user_id is None:
                self._grants = []
            else:
                self._grants = await models.RoleGrant.filter(user_id=self.user_id).order_by("id")
        return self._grants

    async def account(self, refresh: bool = False) -> models.User | None:
        """The viewer's own user row (deactivated or not), ``None`` when anonymous or deleted.

        ``refresh`` reads it again: a socket's viewer lives as long as the connection."""
        if self.user_id is None:
            return None
        if self._account is None or refresh:
            self._account = await models.User.get_or_none(id=self.user_id)
        return self._account

    def remember_account(self, account: models.User, grants: list[models.RoleGrant]) -> None:
        """The account and its roles as read with the session (``sessions.admit``, at the start
        of this request or socket operation): not read again in it."""
        self._account = account
        self._grants = grants

    def known_account(self) -> models.User | None:
        """The account if it was read already (no statement)."""
        return self._account

    def forget(self) -> None:
        """Drop what was read (roles, the account): a socket's viewer lives for hours, and an
        idle subscription keeps no cache until its next event reads them again."""
        self._grants = self._account = None

    async def roles(self) -> list[models.Role]:
        seen: list[models.Role] = []
        for grant in await self.grants():
            if grant.role not in seen:
                seen.append(grant.role)
        return sorted(seen, key=list(models.Role).index)


@dataclass
class Context:
    request: Any
    viewer: Viewer
    loaders: Loaders
    broker: Broker
    settings: Settings
    response: Any = None
    # The graphql-transport-ws / graphql-ws ``connection_init`` payload, on sockets only.
    connection_params: dict[str, Any] | None = None
    # The shared rate limiter (edge/intake.py); None where nothing is limited.
    limiter: Limiter | None = None
    # On an authenticated socket: its binding to the session (``schema/socket_sessions.py``).
    binding: Any = None
    # The language messages are written in (``resolvers/core.py``): chosen at the process edge
    # from Accept-Language, a socket's connection_init ``locale`` or EDIARY_DEFAULT_LOCALE.
    locale: str = core.FALLBACK
