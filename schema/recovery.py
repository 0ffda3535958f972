"""A forgotten password, recovered by its owner: a link by e-mail or a code by SMS, then a new
password (`passwordRecoveryStart`, `passwordRecoveryComplete`)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry

from resolvers import recovery
from schema import types
from schema.errors import InvalidCredentialsError, RateLimitedError, ValidationError
from schema.gates import IsPublic

Info = types.Info
INPUT = strawberry.argument(description="The mutation's input.")


@strawberry.enum(description="How a password recovery reaches the account's owner.")
class PasswordRecoveryChannel(Enum):
    EMAIL = strawberry.enum_value("EMAIL", description="A single-use link to the account's e-mail address.")
    SMS = strawberry.enum_value(
        "SMS", description="A six-digit code by SMS to the phone number of the account's notification preferences."
    )


@strawberry.input(description="Whose password to recover, and how.")
class PasswordRecoveryStartInput:
    login: str = strawberry.field(
        description="The account's login, its e-mail address, or its phone number in international form (+7...)."
    )
    channel: PasswordRecoveryChannel = strawberry.field(
        default=PasswordRecoveryChannel.EMAIL, description="Send a link by e-mail (the default) or a code by SMS."
    )


@strawberry.type(
    description="The request was taken. The answer is the same whether or not such an account exists, can "
    "receive the message, or is active: if it can, a link or code is on its way, and any earlier one stops working."
)
class PasswordRecoveryStartSuccess:
    ok: bool = strawberry.field(description="Always true.")


PasswordRecoveryStartResult = Annotated[
    PasswordRecoveryStartSuccess | RateLimitedError,
    strawberry.union(
        "PasswordRecoveryStartResult",
        description="Taken, or RateLimitedError RATE_LIMITED (too many requests for this account, known or not, or "
        "from your address).",
    ),
]


@strawberry.input(description="The recovery link's token, or the login and the SMS code; and the new password.")
class PasswordRecoveryCompleteInput:
    new_password: str = strawberry.field(description="At least 10 characters, not containing the login.")
    token: str | None = strawberry.field(default=None, description="The `token` parameter of the e-mailed link.")
    login: str | None = strawberry.field(
        default=None, description="With `code`: the login, e-mail address or phone number the code was asked for."
    )
    code: str | None = strawberry.field(default=None, description="With `login`: the six-digit code from the SMS.")


@strawberry.type(
    description="The password is set; every session of the account has ended (its sockets closed). Log in with "
    "the new password."
)
class PasswordRecoveryCompleteSuccess:
    ok: bool = strawberry.field(description="Always true.")


PasswordRecoveryCompleteResult = Annotated[
    PasswordRecoveryCompleteSuccess | InvalidCredentialsError | ValidationError | RateLimitedError,
    strawberry.union(
        "PasswordRecoveryCompleteResult",
        description="Done, or why not (nothing changed): InvalidCredentialsError INVALID_RECOVERY (a wrong, expired, "
        "used or replaced link or code; a code dies after a few wrong tries); ValidationError INVALID_INPUT (neither "
        "or both of `token` and `login` with `code`), PASSWORD_TOO_SHORT, PASSWORD_TOO_LONG, PASSWORD_IS_LOGIN (the "
        "link or code still works); RateLimitedError RATE_LIMITED (too many attempts from your address).",
    ),
]


@strawberry.type
class RecoveryMutations:
    @strawberry.mutation(
        description="Forgot your password? Sends a single-use link by e-mail, or a code by SMS, that sets a new "
        "one (`passwordRecoveryComplete`) within the time the message says (30 minutes unless the server sets "
        "otherwise). Public; the answer never tells whether the account exists.",
        permission_classes=[IsPublic],
    )
    async def password_recovery_start(
        self, info: Info, input: Annotated[PasswordRecoveryStartInput, INPUT]
    ) -> PasswordRecoveryStartResult:
        await recovery.start(info.context, input.login, recovery.RecoveryChannel[input.channel.name])
        return PasswordRecoveryStartSuccess(ok=True)

    @strawberry.mutation(
        description="Set a new password with a recovery link's token or an SMS code. Works once; ends every "
        "session of the account. Public.",
        permission_classes=[IsPublic],
    )
    async def password_recovery_complete(
        self, info: Info, input: Annotated[PasswordRecoveryCompleteInput, INPUT]
    ) -> PasswordRecoveryCompleteResult:
        await recovery.complete(info.context, input.token, input.login, input.code, input.new_password)
        return PasswordRecoveryCompleteSuccess(ok=True)
