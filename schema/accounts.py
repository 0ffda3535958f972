"""Sessions: log in, refresh, log out; list and end one's own sessions; change one's own password."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

import models
from resolvers import accounts, login_steps, pages, policy
from resolvers.sessions import TokenPair
from schema import types
from schema.errors import InvalidCredentialsError, NotFoundError, RateLimitedError, ValidationError
from schema.gates import IsAuthenticated, IsPublic
from schema.pages import PageInfo, first_argument, keyset_page_info, last_argument
from schema.users import User

Info = types.Info
INPUT = strawberry.argument(description="The mutation's input.")
SESSION_CURSOR = "session"


@strawberry.input(description="Credentials of a user.")
class LoginInput:
    login: str = strawberry.field(description="The login name (case-insensitive).")
    password: str = strawberry.field(description="The password.")


@strawberry.type(
    description="A session's tokens: a new session (`login`), or the next pair of the same one (`sessionRefresh`, "
    "`passwordChange`). Send `accessToken` as a bearer token; renew it with `sessionRefresh`."
)
class LoginSuccess:
    pair: strawberry.Private[TokenPair]

    @strawberry.field(
        description="Short-lived token for `Authorization: Bearer`: it expires after ACCESS_TOKEN_TTL_SECONDS "
        "(15 minutes unless the server sets otherwise), and stops working at once when its session ends."
    )
    def access_token(self) -> str:
        return self.pair.access_token

    @strawberry.field(
        description="Long-lived (REFRESH_TOKEN_TTL_SECONDS, 30 days unless the server sets otherwise), single-use "
        "token for `sessionRefresh`. Keep it secret: presenting a used one again ends the session."
    )
    def refresh_token(self) -> str:
        return self.pair.refresh_token

    @strawberry.field(description="The logged-in user.")
    def user(self) -> User:
        return User(model=self.pair.user)

    @strawberry.field(
        description="True when the account holds a one-time password from an admin. Until `passwordChange` "
        "succeeds the session may only call `passwordChange`, `logout` and `viewer { user }`; everything else "
        "answers FORBIDDEN with `extensions.reason` PASSWORD_CHANGE_REQUIRED (checked on every request, not "
        "stored in the token)."
    )
    def must_change_password(self) -> bool:
        return bool(self.pair.user.must_change_password)


@strawberry.type(
    description="The password was right and the account has two-factor login on: no session yet. Send "
    "`challenge` with a code from the authenticator app (or a recovery code) to `loginSecondFactor`."
)
class SecondFactorRequired:
    challenge: str = strawberry.field(
        description="Single-use, for this login only; it expires at `expiresAt` (5 minutes). Keep it secret."
    )
    expires_at: dt.datetime = strawberry.field(description="When the challenge stops working: log in again then.")


LoginResult = Annotated[
    LoginSuccess | SecondFactorRequired | InvalidCredentialsError | RateLimitedError,
    strawberry.union(
        "LoginResult",
        description="A session, a second factor to ask for (SecondFactorRequired), or why not: "
        "InvalidCredentialsError INVALID_CREDENTIALS (wrong login or password), "
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
        description="A fresh token pair of this session, which goes on (every other session of yours has ended), "
        "or why not. ValidationError codes: "
        "WRONG_PASSWORD (currentPassword; counts as a failed login), PASSWORD_TOO_SHORT, PASSWORD_TOO_LONG, "
        "PASSWORD_IS_LOGIN, PASSWORD_IS_ONE_TIME (the one-time password again), PASSWORD_UNCHANGED; "
        "RateLimitedError RATE_LIMITED after too many wrong current passwords.",
    ),
]


@strawberry.type(description="One of your sessions: a login on one device, live until it ends or expires.")
class Session(types.Node):
    model: strawberry.Private[models.Session]

    @strawberry.field(description="The browser or app that logged in (its User-Agent); null when it sent none.")
    def user_agent(self) -> str | None:
        return self.model.user_agent or None

    @strawberry.field(description="The client address it logged in from; null when unknown.")
    def address(self) -> str | None:
        return self.model.address or None

    @strawberry.field(description="When it logged in.")
    def created_at(self) -> dt.datetime:
        return self.model.created_at

    @strawberry.field(description="When it last made a request (kept to the minute, not to the request).")
    def last_seen_at(self) -> dt.datetime:
        return self.model.last_seen_at

    @strawberry.field(description="True for the session this request is made in.")
    def current(self, info: Info) -> bool:
        return bool(self.model.id == info.context.viewer.session_id)


@strawberry.type(description="A session with its cursor.")
class SessionEdge:
    node: Session = strawberry.field(description="The session.")
    cursor: str = strawberry.field(description="Pass as `after` (or `before`) to page from here.")


@strawberry.type(description="A page of your live sessions, newest login first.")
class SessionConnection:
    edges: list[SessionEdge] = strawberry.field(description="The sessions of this page.")
    page_info: PageInfo = strawberry.field(description="Whether there is more, and where to continue.")


@strawberry.type
class SessionViewer:
    @strawberry.field(
        description="Your live sessions (devices), newest login first, this one among them (`current`). A session "
        "is live until it ends (logout, `sessionRevoke`, a password change elsewhere or reset, deactivation, a "
        "replayed refresh token) or until it can no longer be renewed (its refresh tokens are used up or expired)."
    )
    async def sessions(
        self,
        info: Info,
        first: Annotated[int | None, first_argument(20)] = None,
        after: Annotated[str | None, strawberry.argument(description="Older than this cursor.")] = None,
        last: Annotated[int | None, last_argument()] = None,
        before: Annotated[str | None, strawberry.argument(description="Newer than this cursor.")] = None,
    ) -> SessionConnection:
        page = await pages.newest_first(
            policy.own_sessions(info.context.viewer), SESSION_CURSOR, first, after, last, before
        )
        edges = [SessionEdge(node=Session(model=r), cursor=pages.encode(SESSION_CURSOR, r.id)) for r in page.rows]
        return SessionConnection(edges=edges, page_info=keyset_page_info(page, SESSION_CURSOR))


@strawberry.input(description="The session to end.")
class SessionRevokeInput:
    session_id: strawberry.ID = strawberry.field(description="A `Session` id from `viewer.sessions`.")


@strawberry.type(description="The session has ended: its tokens no longer work and its sockets are closed.")
class SessionRevokeSuccess:
    session_id: strawberry.ID = strawberry.field(description="The ended session's id.")


SessionRevokeResult = Annotated[
    SessionRevokeSuccess | NotFoundError,
    strawberry.union(
        "SessionRevokeResult",
        description="The session ended, or NotFoundError SESSION_NOT_FOUND (not one of your live sessions: "
        "nothing changed).",
    ),
]


@strawberry.type
class AccountMutations:
    @strawberry.mutation(
        description="Change your password; the way out of a one-time password. Ends every other session of yours "
        "(their tokens stop working, their sockets close); this one goes on with the fresh pair returned, and its "
        "earlier refresh tokens are used up.",
        permission_classes=[IsAuthenticated],
    )
    async def password_change(self, info: Info, input: Annotated[PasswordChangeInput, INPUT]) -> PasswordChangeResult:
        pair = await accounts.change_password(info.context, input.current_password, input.new_password)
        return LoginSuccess(pair=pair)

    @strawberry.mutation(
        description="Log in. Repeated failures are limited per login and per client address (RateLimitedError). "
        "An account with two-factor login on answers SecondFactorRequired: `loginSecondFactor` completes it.",
        permission_classes=[IsPublic],
    )
    async def login(self, info: Info, input: Annotated[LoginInput, INPUT]) -> LoginResult:
        user = await accounts.authenticate(info.context, input.login, input.password)
        done = await login_steps.finish_login(info.context, user)
        if isinstance(done, login_steps.Challenge):
            return SecondFactorRequired(challenge=done.token, expires_at=done.expires_at)
        return LoginSuccess(pair=done)

    @strawberry.mutation(
        description="Exchange a refresh token for a new pair. A reused token ends the whole session.",
        permission_classes=[IsPublic],
    )
    async def session_refresh(self, info: Info, input: Annotated[SessionRefreshInput, INPUT]) -> SessionRefreshResult:
        return LoginSuccess(pair=await accounts.refresh(info.context, input.refresh_token))

    @strawberry.mutation(
        description='End one of your sessions ("log out that phone"); this one too, which is a logout. Its access '
        "tokens stop working at once, its refresh tokens are used up and its sockets close (4401). Audited.",
        permission_classes=[IsAuthenticated],
    )
    async def session_revoke(self, info: Info, input: Annotated[SessionRevokeInput, INPUT]) -> SessionRevokeResult:
        await accounts.revoke_session(info.context, input.session_id)
        return SessionRevokeSuccess(session_id=input.session_id)

    @strawberry.mutation(description="End a session.", permission_classes=[IsAuthenticated])
    async def logout(self, info: Info, input: Annotated[LogoutInput, INPUT]) -> LogoutResult:
        await accounts.logout(info.context, input.refresh_token)
        return LogoutSuccess(ok=True)
