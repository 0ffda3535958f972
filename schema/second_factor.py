"""Two-factor login (TOTP): enrol, confirm, turn off, recovery codes, the login's second step,
an admin's reset, and what `viewer.secondFactor` says."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import login_steps, second_factor
from schema import types
from schema.account_admin import ACCOUNT_MANAGERS
from schema.accounts import LoginSuccess
from schema.errors import InvalidCredentialsError, NotFoundError, RateLimitedError, ValidationError
from schema.gates import IsAuthenticated, IsPublic, second_factor_required

Info = types.Info
INPUT = strawberry.argument(description="The mutation's input.")
CODE = "A 6-digit code of your authenticator app, or one of your recovery codes (`xxxxx-xxxxx`; used up)."


@strawberry.type(description="Your two-factor login.")
class SecondFactorStatus:
    user_id: strawberry.Private[int]

    @strawberry.field(description="True once confirmed: logging in then asks for a code after the password.")
    async def enabled(self) -> bool:
        return await second_factor.active_factor(self.user_id) is not None

    @strawberry.field(description="How many of your recovery codes are unused (0 while it is off).")
    async def recovery_codes_left(self) -> int:
        return await second_factor.recovery_codes_left(self.user_id)

    @strawberry.field(
        description="True when one of your roles requires two-factor login on this server (EDIARY_REQUIRE_2FA_FOR) "
        "and it is not on: until it is, only enrolment, `passwordChange`, `logout` and `viewer { user secondFactor }` "
        "work (everything else: FORBIDDEN, `extensions.reason` SECOND_FACTOR_REQUIRED)."
    )
    async def required(self, info: Info) -> bool:
        return await second_factor_required(info.context)


@strawberry.type
class SecondFactorViewer:
    @strawberry.field(description="Whether two-factor login is on for you, and how many recovery codes are left.")
    def second_factor(self, info: Info) -> SecondFactorStatus:
        return SecondFactorStatus(user_id=info.context.viewer.id)


@strawberry.type(
    description="A new authenticator, not active yet: add it to an app (scan `provisioningUri` as a QR code, or "
    "type `secret`), then confirm with its first code (`secondFactorConfirm`). Shown only now."
)
class SecondFactorEnrollSuccess:
    secret: str = strawberry.field(description="The shared secret, base32: for typing into an app by hand.")
    provisioning_uri: str = strawberry.field(
        description="An `otpauth://totp/...` URI (issuer ediary, your login as the account name) for a QR code."
    )


SecondFactorEnrollResult = Annotated[
    SecondFactorEnrollSuccess | ValidationError,
    strawberry.union(
        "SecondFactorEnrollResult",
        description="A new secret (an unconfirmed earlier one is replaced), or ValidationError "
        "SECOND_FACTOR_ALREADY_ON (turn it off first).",
    ),
]


@strawberry.input(description="A code proving you hold the authenticator.")
class SecondFactorCodeInput:
    code: str = strawberry.field(description=CODE)


@strawberry.type(
    description="Your recovery codes: each logs in once instead of an authenticator code. Shown only now: keep them "
    "somewhere safe; they are stored only hashed and every earlier one no longer works."
)
class RecoveryCodesSuccess:
    recovery_codes: list[str] = strawberry.field(description="Ten single-use codes, `xxxxx-xxxxx`.")


SecondFactorConfirmResult = Annotated[
    RecoveryCodesSuccess | ValidationError | RateLimitedError,
    strawberry.union(
        "SecondFactorConfirmResult",
        description="Two-factor login is on, with ten recovery codes; or ValidationError SECOND_FACTOR_NOT_ENROLLED, "
        "SECOND_FACTOR_ALREADY_ON, SECOND_FACTOR_CODE_WRONG (the authenticator's current code is expected); "
        "RateLimitedError RATE_LIMITED after too many wrong codes.",
    ),
]
SecondFactorRecoveryCodesRegenerateResult = Annotated[
    RecoveryCodesSuccess | ValidationError | RateLimitedError,
    strawberry.union(
        "SecondFactorRecoveryCodesRegenerateResult",
        description="Ten new recovery codes; or ValidationError SECOND_FACTOR_NOT_ON, SECOND_FACTOR_CODE_WRONG; "
        "RateLimitedError RATE_LIMITED after too many wrong codes.",
    ),
]


@strawberry.type(description="Two-factor login is off: logging in asks for the password only.")
class SecondFactorDisableSuccess:
    ok: bool = strawberry.field(description="Always true.")


SecondFactorDisableResult = Annotated[
    SecondFactorDisableSuccess | ValidationError | RateLimitedError,
    strawberry.union(
        "SecondFactorDisableResult",
        description="Off, or ValidationError SECOND_FACTOR_NOT_ON, SECOND_FACTOR_CODE_WRONG; RateLimitedError "
        "RATE_LIMITED after too many wrong codes.",
    ),
]


@strawberry.input(description="The second step of a login.")
class LoginSecondFactorInput:
    challenge: str = strawberry.field(description="`SecondFactorRequired.challenge` from `login`.")
    code: str = strawberry.field(description=CODE)


LoginSecondFactorResult = Annotated[
    LoginSuccess | InvalidCredentialsError | RateLimitedError,
    strawberry.union(
        "LoginSecondFactorResult",
        description="A session, exactly as `login` opens one; or InvalidCredentialsError SECOND_FACTOR_CODE_WRONG "
        "(try again: the challenge stays valid until it expires), LOGIN_CHALLENGE_INVALID (unknown, expired or "
        "used: log in with the password again); RateLimitedError RATE_LIMITED after too many wrong codes.",
    ),
]


@strawberry.input(description="A user who lost their authenticator and recovery codes.")
class SecondFactorResetInput:
    user_id: strawberry.ID = strawberry.field(description="A `User` of a school you administer (not yourself).")


@strawberry.type(description="The user's second factor is off and every session of theirs has ended.")
class SecondFactorResetSuccess:
    user_id: strawberry.ID = strawberry.field(description="The user.")


SecondFactorResetResult = Annotated[
    SecondFactorResetSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "SecondFactorResetResult",
        description="Reset, or ValidationError CANNOT_RESET_SELF, SECOND_FACTOR_NOT_ON (nothing enrolled); "
        "NotFoundError USER_NOT_FOUND (not there, or not of a school you administer).",
    ),
]


@strawberry.type
class SecondFactorMutations:
    @strawberry.mutation(
        description="Start two-factor login: a new authenticator secret, active only once confirmed.",
        permission_classes=[IsAuthenticated],
    )
    async def second_factor_enroll(self, info: Info) -> SecondFactorEnrollResult:
        enrolment = await second_factor.enroll(info.context)
        return SecondFactorEnrollSuccess(secret=enrolment.secret, provisioning_uri=enrolment.uri)

    @strawberry.mutation(
        description="Turn two-factor login on with the authenticator's first code; answers ten recovery codes, "
        "shown once. Audited.",
        permission_classes=[IsAuthenticated],
    )
    async def second_factor_confirm(
        self, info: Info, input: Annotated[SecondFactorCodeInput, INPUT]
    ) -> SecondFactorConfirmResult:
        return RecoveryCodesSuccess(recovery_codes=await second_factor.confirm(info.context, input.code))

    @strawberry.mutation(
        description="Turn two-factor login off, proved with a current authenticator code or a recovery code (the "
        "password is not enough: it is what the second factor guards). If your role requires it, you must enrol "
        "again before anything else. Audited.",
        permission_classes=[IsAuthenticated],
    )
    async def second_factor_disable(
        self, info: Info, input: Annotated[SecondFactorCodeInput, INPUT]
    ) -> SecondFactorDisableResult:
        await second_factor.disable(info.context, input.code)
        return SecondFactorDisableSuccess(ok=True)

    @strawberry.mutation(
        description="Ten new recovery codes, shown once; every earlier one stops working. Proved with a current "
        "code. Audited.",
        permission_classes=[IsAuthenticated],
    )
    async def second_factor_recovery_codes_regenerate(
        self, info: Info, input: Annotated[SecondFactorCodeInput, INPUT]
    ) -> SecondFactorRecoveryCodesRegenerateResult:
        return RecoveryCodesSuccess(recovery_codes=await second_factor.regenerate(info.context, input.code))

    @strawberry.mutation(
        description="Complete a login that answered SecondFactorRequired. A code is accepted once (a replayed one "
        "is refused) within 30 seconds either side; wrong codes are limited per user and per client address.",
        permission_classes=[IsPublic],
    )
    async def login_second_factor(
        self, info: Info, input: Annotated[LoginSecondFactorInput, INPUT]
    ) -> LoginSecondFactorResult:
        return LoginSuccess(pair=await login_steps.complete_login(info.context, input.challenge, input.code))

    @strawberry.mutation(
        description="Turn a user's two-factor login off (they lost the phone and the recovery codes). Every session "
        "of theirs ends (sockets close with 4401); they enrol again if their role requires it. Audited."
        " School admins (their school's users) and district admins (their district's); FORBIDDEN for others.",
        permission_classes=[ACCOUNT_MANAGERS],
    )
    async def second_factor_reset(
        self, info: Info, input: Annotated[SecondFactorResetInput, INPUT]
    ) -> SecondFactorResetResult:
        await second_factor.reset(info.context, input.user_id)
        return SecondFactorResetSuccess(user_id=input.user_id)
