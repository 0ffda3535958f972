"""Sessions: log in, refresh, log out."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import accounts
from resolvers.auth import TokenPair
from schema import types
from schema.errors import InvalidCredentialsError, NotFoundError, RateLimitedError
from schema.permissions import IsAuthenticated, IsPublic

Info = types.Info
INPUT = strawberry.argument(description="The mutation's input.")


@strawberry.input(description="Credentials of a user.")
class LoginInput:
    login: str = strawberry.field(description="The login name (case-insensitive).")
    password: str = strawberry.field(description="The password.")


@strawberry.type(description="A new session: send `accessToken` as a bearer token; renew it with `sessionRefresh`.")
class LoginSuccess:
    pair: strawberry.Private[TokenPair]

    @strawberry.field(description="Short-lived (15 minutes) token for `Authorization: Bearer`.")
    def access_token(self) -> str:
        return self.pair.access_token

    @strawberry.field(description="Long-lived, single-use token for `sessionRefresh`. Keep it secret.")
    def refresh_token(self) -> str:
        return self.pair.refresh_token

    @strawberry.field(description="The logged-in user.")
    def user(self) -> types.User:
        return types.User(model=self.pair.user)


LoginResult = Annotated[
    LoginSuccess | InvalidCredentialsError | RateLimitedError,
    strawberry.union("LoginResult", description="A session, or why not."),
]


@strawberry.input(description="A refresh token from `login` or a previous `sessionRefresh`.")
class SessionRefreshInput:
    refresh_token: str = strawberry.field(description="The refresh token; it is used up by this call.")


SessionRefreshResult = Annotated[
    LoginSuccess | InvalidCredentialsError,
    strawberry.union("SessionRefreshResult", description="A new token pair, or INVALID_REFRESH_TOKEN."),
]


@strawberry.input(description="The session to end.")
class LogoutInput:
    refresh_token: str = strawberry.field(description="The session's current refresh token.")


@strawberry.type(description="The session was ended: its refresh tokens no longer work.")
class LogoutSuccess:
    ok: bool = strawberry.field(description="Always true.")


LogoutResult = Annotated[
    LogoutSuccess | NotFoundError,
    strawberry.union("LogoutResult", description="Logged out, or SESSION_NOT_FOUND."),
]


@strawberry.type
class AccountMutations:
    @strawberry.mutation(
        description="Log in. Repeated failures are limited per login and per client address (RateLimitedError).",
        permission_classes=[IsPublic],
    )
    async def login(self, info: Info, input: Annotated[LoginInput, INPUT]) -> LoginResult:
        return LoginSuccess(pair=await accounts.login(info.context, input.login, input.password))

    @strawberry.mutation(
        description="Exchange a refresh token for a new pair. A reused token ends the whole session.",
        permission_classes=[IsPublic],
    )
    async def session_refresh(self, info: Info, input: Annotated[SessionRefreshInput, INPUT]) -> SessionRefreshResult:
        return LoginSuccess(pair=await accounts.refresh(info.context, input.refresh_token))

    @strawberry.mutation(description="End a session.", permission_classes=[IsAuthenticated])
    async def logout(self, info: Info, input: Annotated[LogoutInput, INPUT]) -> LogoutResult:
        await accounts.logout(info.context, input.refresh_token)
        return LogoutSuccess(ok=True)
