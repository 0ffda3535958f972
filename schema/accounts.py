"""Sessions: log in, refresh, log out; change one's own password."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import accounts
from resolvers.auth import TokenPair
from schema import types
from schema.errors import InvalidCredentialsError, NotFoundError, RateLimitedError, ValidationError
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

    @strawberry.field(
        description="True when the account holds a one-time password from an admin. Until `passwordChange` "
        "succeeds the session may only call `passwordChange`, `logout` and `viewer { user }`; everything else "
        "answers FORBIDDEN with `extensions.reason` PASSWORD_CHANGE_REQUIRED (checked on every request, not "
        "stored in the token)."
    )
    def must_change_password(self) -> bool:
        return bool(self.pair.user.must_change_password)


LoginResult = Annotated[
    LoginSuccess | InvalidCredentialsError | RateLimitedError,
    strawberry.union(
        "LoginResult",
        description="A session, or why not: InvalidCredentialsError INVALID_CREDENTIALS (wrong login or password), "
        "ACCOUNT_DEACTIVATED (right password, but an admin deactivated the account); RateLimitedError RATE_LIMITED.",
    ),
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


@strawberry.input(description="Your current password and the one to use from now on.")
class PasswordChangeInput:
    current_password: str = strawberry.field(description="The password you logged in with (the one-time one, too).")
    new_password: str = strawberry.field(
        description="At least 10 characters, not containing your login, different from the current password."
    )


PasswordChangeResult = Annotated[
    LoginSuccess | ValidationError | RateLimitedError,
    strawberry.union(
        "PasswordChangeResult",
        description="A fresh session (every other session of yours has ended), or why not. ValidationError codes: "
        "WRONG_PASSWORD (currentPassword; counts as a failed login), PASSWORD_TOO_SHORT, PASSWORD_TOO_LONG, "
        "PASSWORD_IS_LOGIN, PASSWORD_IS_ONE_TIME (the one-time password again), PASSWORD_UNCHANGED; "
        "RateLimitedError RATE_LIMITED after too many wrong current passwords.",
    ),
]


@strawberry.type
class AccountMutations:
    @strawberry.mutation(
        description="Change your password; the way out of a one-time password. Ends every session of yours on "
        "every device and returns a new one.",
        permission_classes=[IsAuthenticated],
    )
    async def password_change(self, info: Info, input: Annotated[PasswordChangeInput, INPUT]) -> PasswordChangeResult:
        pair = await accounts.change_password(info.context, input.current_password, input.new_password)
        return LoginSuccess(pair=pair)

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
