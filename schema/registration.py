"""Self-registration of a family's account (then `accessRequestSubmit`)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import registration
from schema import types
from schema.accounts import LoginSuccess
from schema.errors import RateLimitedError, ValidationError
from schema.gates import IsPublic

Info = types.Info
INPUT = strawberry.argument(description="The mutation's input.")


@strawberry.input(description="A new account for a parent or legal representative.")
class AccountRegisterInput:
    login: str = strawberry.field(description="3-100 characters: letters a-z, digits, dots, dashes, underscores.")
    password: str = strawberry.field(description="At least 10 characters, not the login.")
    full_name: str = strawberry.field(description="Your full name, 1-200 characters.")
    email: str = strawberry.field(description="An e-mail address the school can reach you at.")


AccountRegisterResult = Annotated[
    LoginSuccess | ValidationError | RateLimitedError,
    strawberry.union(
        "AccountRegisterResult",
        description="A session for the new account, or why not (nothing written). ValidationError codes: "
        "INVALID_LOGIN (malformed or taken: the same answer, so that it tells nobody which logins exist), "
        "PASSWORD_TOO_SHORT, PASSWORD_TOO_LONG, PASSWORD_IS_LOGIN, NAME_EMPTY, INVALID_CHARACTERS, NAME_TOO_LONG, "
        "INVALID_EMAIL; RateLimitedError RATE_LIMITED (too many attempts or new accounts from your address).",
    ),
]


@strawberry.type
class RegistrationMutations:
    @strawberry.mutation(
        description="Create a family account and log in. It sees nothing until a school approves an access "
        "request (`accessRequestSubmit`). Every attempt counts against a limit per client address.",
        permission_classes=[IsPublic],
    )
    async def account_register(
        self, info: Info, input: Annotated[AccountRegisterInput, INPUT]
    ) -> AccountRegisterResult:
        pair = await registration.register(info.context, input.login, input.password, input.full_name, input.email)
        return LoginSuccess(pair=pair)
