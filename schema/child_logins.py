"""A child's own login as its family and school read it (``Student.login``), and the
guardians' mutations that make and run it (``resolvers/child_logins.py``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

import models
from resolvers import child_logins
from schema import types
from schema.errors import NotFoundError, ValidationError
from schema.faces import shown
from schema.gates import IsAuthenticated
from schema.students import Student
from schema.users import User

Info = types.Info
INPUT = strawberry.argument(description="The mutation's input.")
GUARDIANS = (
    "Any unrevoked guardian of the child (not only the one who made the login); for anyone else the child is "
    "not there (STUDENT_NOT_FOUND)."
)


@strawberry.type(
    description="A child's own login as the child's guardians and the school's admins see it (never its password)."
)
class StudentLogin:
    model: strawberry.Private[models.User]

    @strawberry.field(description="The login name the child logs in with.")
    def login(self) -> str:
        return self.model.login

    @strawberry.field(description="False while the login is switched off: the child cannot log in.")
    def is_active(self) -> bool:
        return bool(self.model.is_active)

    @strawberry.field(description="True while the child holds a one-time password they have not replaced yet.")
    def must_change_password(self) -> bool:
        return bool(self.model.must_change_password)

    @strawberry.field(description="When the login was made.")
    def created_at(self) -> dt.datetime:
        return self.model.created_at

    @strawberry.field(description="When the login was switched off; null while active.")
    def deactivated_at(self) -> dt.datetime | None:
        return self.model.deactivated_at

    @strawberry.field(
        description="True when a guardian made the login (`childLoginCreate`): the child's guardians reset, "
        "deactivate and reactivate it. False for a login the school issued: the school runs it."
    )
    def managed_by_family(self) -> bool:
        return self.model.created_by_id is not None

    @strawberry.field(description="The guardian who made the login; null when the school issued it.")
    async def created_by(self, info: Info) -> User | None:
        if self.model.created_by_id is None:
            return None
        user = await info.context.loaders.user_by_id.load(self.model.created_by_id)
        return await shown(info, User(model=user)) if user is not None else None


@strawberry.input(description="A login of the child's own, made by their guardian.")
class ChildLoginCreateInput:
    student_id: strawberry.ID = strawberry.field(description="Your child (a `Student`) who has no login yet.")
    login: str = strawberry.field(
        description="The child's login: 3-100 characters a-z 0-9 . _ - @, starting with a letter or digit; unique."
    )
    password: str = strawberry.field(
        description="The child's password, 10-200 characters, not containing the login. Hand it to the child: it "
        "is not shown again (`childLoginPasswordReset` makes a new one)."
    )


@strawberry.type(description="The child has a login of their own and logs in with it now.")
class ChildLoginCreateSuccess:
    student: Student = strawberry.field(description="The child.")
    login: StudentLogin = strawberry.field(description="The child's new login.")


ChildLoginCreateResult = Annotated[
    ChildLoginCreateSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "ChildLoginCreateResult",
        description="The child's new login, or why not (nothing written). ValidationError codes: STUDENT_HAS_LOGIN, "
        "LOGIN_INVALID, LOGIN_TAKEN, PASSWORD_TOO_SHORT, PASSWORD_TOO_LONG, PASSWORD_IS_LOGIN; NotFoundError "
        "STUDENT_NOT_FOUND (not there, or not your child).",
    ),
]


@strawberry.input(description="Your child, whose login you run.")
class ChildLoginInput:
    student_id: strawberry.ID = strawberry.field(description="Your child (a `Student`) with a login a guardian made.")


@strawberry.input(description="Your child's login to switch off, and why.")
class ChildLoginDeactivateInput:
    student_id: strawberry.ID = strawberry.field(description="Your child (a `Student`) with a login a guardian made.")
    reason: str = strawberry.field(
        description="Why, 1-500 characters; the school's admins read it on the account and in the audit log."
    )


@strawberry.type(description="The child's sessions have ended; hand the one-time password to the child.")
class ChildLoginPasswordResetSuccess:
    student: Student = strawberry.field(description="The child.")
    login: StudentLogin = strawberry.field(description="The login, now waiting for a password change.")
    one_time_password: str = strawberry.field(
        description="The child's password for their next login, after which they must choose their own; shown only now."
    )


@strawberry.type(description="The child's login is switched off: the child is logged out everywhere.")
class ChildLoginDeactivateSuccess:
    student: Student = strawberry.field(description="The child.")
    login: StudentLogin = strawberry.field(description="The login, `isActive` false.")


@strawberry.type(description="The child's login works again, with its old password.")
class ChildLoginReactivateSuccess:
    student: Student = strawberry.field(description="The child.")
    login: StudentLogin = strawberry.field(description="The login, `isActive` true.")


_RUN = (
    "STUDENT_HAS_NO_LOGIN, LOGIN_ISSUED_BY_SCHOOL (the school runs a login it issued); NotFoundError "
    "STUDENT_NOT_FOUND (not there, or not your child)."
)
ChildLoginPasswordResetResult = Annotated[
    ChildLoginPasswordResetSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "ChildLoginPasswordResetResult",
        description=f"A one-time password for the child, or why not (nothing changed). ValidationError codes: "
        f"ACCOUNT_DEACTIVATED, {_RUN}",
    ),
]
ChildLoginDeactivateResult = Annotated[
    ChildLoginDeactivateSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "ChildLoginDeactivateResult",
        description=f"The switched-off login, or why not (nothing changed). ValidationError codes: "
        f"ALREADY_DEACTIVATED, REASON_EMPTY, REASON_TOO_LONG, {_RUN}",
    ),
]
ChildLoginReactivateResult = Annotated[
    ChildLoginReactivateSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "ChildLoginReactivateResult",
        description=f"The login switched back on, or why not (nothing changed). ValidationError codes: "
        f"NOT_DEACTIVATED, DEACTIVATED_BY_SCHOOL (only the school switches back on what it switched off), {_RUN}",
    ),
]


@strawberry.type
class ChildLoginMutations:
    @strawberry.mutation(
        description=f"Make your child's own login (role STUDENT, for that child only) with a password you choose; "
        f"the school sees that you made it. {GUARDIANS}",
        permission_classes=[IsAuthenticated],
    )
    async def child_login_create(
        self, info: Info, input: Annotated[ChildLoginCreateInput, INPUT]
    ) -> ChildLoginCreateResult:
        student, user = await child_logins.create(info.context, input.student_id, input.login, input.password)
        return ChildLoginCreateSuccess(student=Student(model=student), login=StudentLogin(model=user))

    @strawberry.mutation(
        description=f"Give your child's login a one-time password, which the child replaces at their next login; "
        f"every session of the child ends. {GUARDIANS}",
        permission_classes=[IsAuthenticated],
    )
    async def child_login_password_reset(
        self, info: Info, input: Annotated[ChildLoginInput, INPUT]
    ) -> ChildLoginPasswordResetResult:
        student, issued = await child_logins.reset_password(info.context, input.student_id)
        return ChildLoginPasswordResetSuccess(
            student=Student(model=student),
            login=StudentLogin(model=issued.user),
            one_time_password=issued.one_time_password,
        )

    @strawberry.mutation(
        description=f"Switch your child's login off: login refused, the child's sessions and live streams end. "
        f"{GUARDIANS}",
        permission_classes=[IsAuthenticated],
    )
    async def child_login_deactivate(
        self, info: Info, input: Annotated[ChildLoginDeactivateInput, INPUT]
    ) -> ChildLoginDeactivateResult:
        student, user = await child_logins.deactivate(info.context, input.student_id, input.reason)
        return ChildLoginDeactivateSuccess(student=Student(model=student), login=StudentLogin(model=user))

    @strawberry.mutation(
        description=f"Switch your child's login back on (one a guardian switched off). {GUARDIANS}",
        permission_classes=[IsAuthenticated],
    )
    async def child_login_reactivate(
        self, info: Info, input: Annotated[ChildLoginInput, INPUT]
    ) -> ChildLoginReactivateResult:
        student, user = await child_logins.reactivate(info.context, input.student_id)
        return ChildLoginReactivateSuccess(student=Student(model=student), login=StudentLogin(model=user))
