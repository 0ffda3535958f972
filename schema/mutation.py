"""The root Mutation: `<noun><Verb>(input: ...)` returning a result union."""

from __future__ import annotations

from typing import Annotated

import strawberry

import models
from resolvers import accounts, grades
from resolvers.auth import TokenPair
from schema import types
from schema.enums import GradeKind
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


@strawberry.input(description="A grade for one student in one lesson.")
class GradeCreateInput:
    student_id: strawberry.ID = strawberry.field(description="The `Student`.")
    lesson_id: strawberry.ID = strawberry.field(
        description="A `Lesson` of a class + subject you teach, not cancelled, already started."
    )
    value: str = strawberry.field(description='On the school\'s scale, e.g. "5".')
    weight: int | None = strawberry.field(default=None, description="1-10; default: the school's default weight.")
    comment: str | None = strawberry.field(default=None, description="Shown to the family, at most 1000 characters.")
    kind: GradeKind | None = strawberry.field(default=None, description="What it is for; default CLASSWORK.")


@strawberry.type(description="The grade was recorded and the family notified.")
class GradeCreateSuccess:
    grade: types.Grade = strawberry.field(description="The new grade.")


GradeCreateResult = Annotated[
    GradeCreateSuccess | ValidationError | NotFoundError,
    strawberry.union("GradeCreateResult", description="The new grade, or why it was refused (nothing written)."),
]


@strawberry.type(description="Change the diary. Refusals are data (result unions); only coarse gates are errors.")
class Mutation:
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

    @strawberry.mutation(
        description="Give a grade (teachers, in the classes and subjects they teach). FORBIDDEN for non-teachers.",
        permission_classes=[IsAuthenticated],
    )
    async def grade_create(self, info: Info, input: Annotated[GradeCreateInput, INPUT]) -> GradeCreateResult:
        grade = await grades.create_grade(
            info.context,
            grades.GradeInput(
                student_id=input.student_id,
                lesson_id=input.lesson_id,
                value=input.value,
                weight=input.weight,
                comment=input.comment,
                kind=models.GradeKind(input.kind.name) if input.kind else None,
            ),
        )
        return GradeCreateSuccess(grade=types.Grade(model=grade))
