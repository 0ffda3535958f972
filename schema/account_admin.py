"""Account administration: issue logins, reset passwords, deactivate and reactivate."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

import models
from resolvers import account_admin, account_list, pages, policy
from resolvers.core import _, pk_of
from schema import types
from schema.enums import Role
from schema.errors import NotFoundError, ValidationError
from schema.faces import shown
from schema.gates import IsAdmin, IsAuthenticated
from schema.pages import PageInfo, keyset_page_info
from schema.users import User

Info = types.Info
INPUT = strawberry.argument(description="The mutation's input.")


@strawberry.type(description="A user's account as their school's admins see it.")
class Account(types.Node):
    model: strawberry.Private[models.User]

    @strawberry.field(description="The user (its `id` is the `userId` the account mutations take).")
    async def user(self, info: Info) -> User:
        return await shown(info, User(model=self.model))

    @strawberry.field(description="The login name.")
    def login(self) -> str:
        return self.model.login

    @strawberry.field(description="The e-mail address, if any.")
    def email(self) -> str | None:
        return self.model.email

    @strawberry.field(description="False once deactivated: the user cannot log in and their sessions have ended.")
    def is_active(self) -> bool:
        return bool(self.model.is_active)

    @strawberry.field(description="True while the user holds a one-time password they have not replaced yet.")
    def must_change_password(self) -> bool:
        return bool(self.model.must_change_password)

    @strawberry.field(description="When the account was deactivated; null while active.")
    def deactivated_at(self) -> dt.datetime | None:
        return self.model.deactivated_at

    @strawberry.field(description="Why the account was deactivated; null while active.")
    def deactivation_reason(self) -> str | None:
        return self.model.deactivation_reason

    @strawberry.field(description="When the account was created.")
    def created_at(self) -> dt.datetime:
        return self.model.created_at

    @strawberry.field(
        description="The guardian who made this login for their child (`childLoginCreate`); null for an "
        "account the school issued or a person registered. When: `createdAt`."
    )
    async def created_by(self, info: Info) -> User | None:
        if self.model.created_by_id is None:
            return None
        user = await info.context.loaders.user_by_id.load(self.model.created_by_id)
        return await shown(info, User(model=user)) if user is not None else None

    @strawberry.field(description="Every role the user holds, in any school.")
    async def roles(self, info: Info) -> list[Role]:
        grants = await info.context.loaders.grouped(models.RoleGrant, "user_id", "id").load(self.model.id)
        held = {g.role for g in grants}
        return [Role[r.value] for r in models.Role if r in held]


@strawberry.type(description="An account with its cursor.")
class AccountEdge:
    cursor: str = strawberry.field(description="Pass as `after` (or `before`) to page from here.")
    node: Account = strawberry.field(description="The account.")


@strawberry.type(description="A page of a school's accounts, by name.")
class AccountConnection:
    edges: list[AccountEdge] = strawberry.field(description="The accounts with their cursors.")
    page_info: PageInfo = strawberry.field(description="Whether there is more, and where to continue.")


def account_connection(page: account_list.AccountPage) -> AccountConnection:
    edges = [AccountEdge(cursor=pages.encode(account_list.CURSOR, u.id), node=Account(model=u)) for u in page.rows]
    return AccountConnection(edges=edges, page_info=keyset_page_info(page, account_list.CURSOR))


@strawberry.input(description="A new login for a person of your school.")
class AccountCreateInput:
    full_name: str = strawberry.field(description="The person's full name, 1-200 characters.")
    role: Role = strawberry.field(description="STUDENT, PARENT, TEACHER or SCHOOL_ADMIN (not DISTRICT_ADMIN).")
    school_id: strawberry.ID = strawberry.field(description="A `School` you administer.")
    login: str | None = strawberry.field(
        default=None,
        description="The login (3-100 characters a-z 0-9 . _ - @); made from the e-mail or the name when omitted.",
    )
    email: str | None = strawberry.field(default=None, description="The person's e-mail address.")
    student_id: strawberry.ID | None = strawberry.field(
        default=None, description="For STUDENT: the school's `Student` record (without a login) the login is for."
    )
    child_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="For PARENT: `Student`s of the school to link as the parent's children."
    )


@strawberry.type(description="The account exists. Hand the one-time password to the person: it is shown only now.")
class AccountCreateSuccess:
    account: Account = strawberry.field(description="The new account.")
    one_time_password: str = strawberry.field(
        description="The password for the first login; the user must replace it (`passwordChange`) before "
        "anything else. Not stored in clear: it cannot be shown again (use `passwordReset`)."
    )


AccountCreateResult = Annotated[
    AccountCreateSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "AccountCreateResult",
        description="The new account, or why not (nothing written). ValidationError codes: FULL_NAME_EMPTY, "
        "INVALID_CHARACTERS, "
        "FULL_NAME_TOO_LONG, LOGIN_INVALID, LOGIN_TAKEN, EMAIL_INVALID, ROLE_NOT_ALLOWED, STUDENT_REQUIRED, "
        "STUDENT_HAS_LOGIN, CHILDREN_ONLY_FOR_PARENTS; NotFoundError SCHOOL_NOT_FOUND (not there or not yours), "
        "STUDENT_NOT_FOUND.",
    ),
]


@strawberry.input(description="A user whose password is forgotten or compromised.")
class PasswordResetInput:
    user_id: strawberry.ID = strawberry.field(description="A `User` of a school you administer (not yourself).")


@strawberry.type(description="The old password and every session are gone; hand over the one-time password.")
class PasswordResetSuccess:
    account: Account = strawberry.field(description="The account, now waiting for a password change.")
    one_time_password: str = strawberry.field(description="The new one-time password; shown only now.")


PasswordResetResult = Annotated[
    PasswordResetSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "PasswordResetResult",
        description="A new one-time password, or why not. ValidationError codes: CANNOT_RESET_SELF (use "
        "`passwordChange`), ACCOUNT_DEACTIVATED; NotFoundError USER_NOT_FOUND (not there, or not of a school you "
        "administer). Reset by e-mail link is not offered.",
    ),
]


@strawberry.input(description="An account to switch off, keeping its history.")
class AccountDeactivateInput:
    user_id: strawberry.ID = strawberry.field(description="A `User` of a school you administer (not yourself).")
    reason: str = strawberry.field(description="Why, 1-500 characters; kept on the account and in the audit log.")


@strawberry.type(description="The account is deactivated.")
class AccountDeactivateSuccess:
    account: Account = strawberry.field(description="The account, `isActive` false.")


AccountDeactivateResult = Annotated[
    AccountDeactivateSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "AccountDeactivateResult",
        description="The deactivated account, or why not (nothing changed). ValidationError codes: "
        "CANNOT_DEACTIVATE_SELF, ALREADY_DEACTIVATED, REASON_EMPTY, REASON_TOO_LONG; NotFoundError USER_NOT_FOUND.",
    ),
]


@strawberry.input(description="A deactivated account to switch back on.")
class AccountReactivateInput:
    user_id: strawberry.ID = strawberry.field(description="A deactivated `User` of a school you administer.")


@strawberry.type(description="The account works again, with its old password.")
class AccountReactivateSuccess:
    account: Account = strawberry.field(description="The account, `isActive` true.")


AccountReactivateResult = Annotated[
    AccountReactivateSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "AccountReactivateResult",
        description="The reactivated account, or why not. ValidationError code NOT_DEACTIVATED; "
        "NotFoundError USER_NOT_FOUND.",
    ),
]


ACCOUNT_MANAGERS = IsAdmin(_("Only school and district admins manage accounts."))


@strawberry.type
class AccountAdminMutations:
    @strawberry.mutation(
        description="Issue a login with a one-time password (school admins for their school, district admins for "
        "their district's schools). FORBIDDEN for anyone else.",
        permission_classes=[ACCOUNT_MANAGERS],
    )
    async def account_create(self, info: Info, input: Annotated[AccountCreateInput, INPUT]) -> AccountCreateResult:
        issued = await account_admin.create_account(
            info.context,
            account_admin.AccountInput(
                full_name=input.full_name,
                role=models.Role(input.role.name),
                school_id=input.school_id,
                login=input.login,
                email=input.email,
                student_id=input.student_id,
                child_ids=list(input.child_ids),
            ),
        )
        return AccountCreateSuccess(account=Account(model=issued.user), one_time_password=issued.one_time_password)

    @strawberry.mutation(
        description="Give a user a new one-time password and end all their sessions. FORBIDDEN for non-admins.",
        permission_classes=[ACCOUNT_MANAGERS],
    )
    async def password_reset(self, info: Info, input: Annotated[PasswordResetInput, INPUT]) -> PasswordResetResult:
        issued = await account_admin.reset_password(info.context, input.user_id)
        return PasswordResetSuccess(account=Account(model=issued.user), one_time_password=issued.one_time_password)

    @strawberry.mutation(
        description="Deactivate an account: login refused, sessions and live streams end; grades given, "
        "guardianships and the audit trail stay. FORBIDDEN for non-admins.",
        permission_classes=[ACCOUNT_MANAGERS],
    )
    async def account_deactivate(
        self, info: Info, input: Annotated[AccountDeactivateInput, INPUT]
    ) -> AccountDeactivateResult:
        user = await account_admin.deactivate(info.context, input.user_id, input.reason)
        return AccountDeactivateSuccess(account=Account(model=user))

    @strawberry.mutation(
        description="Reactivate a deactivated account. FORBIDDEN for non-admins.",
        permission_classes=[ACCOUNT_MANAGERS],
    )
    async def account_reactivate(
        self, info: Info, input: Annotated[AccountReactivateInput, INPUT]
    ) -> AccountReactivateResult:
        user = await account_admin.reactivate(info.context, input.user_id)
        return AccountReactivateSuccess(account=Account(model=user))


@strawberry.type
class AccountQueries:
    @strawberry.field(
        description="The account of a user of a school you administer; null otherwise (or not an admin).",
        permission_classes=[IsAuthenticated],
    )
    async def account(
        self, info: Info, user_id: Annotated[strawberry.ID, strawberry.argument(description="A `User` id.")]
    ) -> Account | None:
        pk = pk_of(user_id, "User")
        user = await policy.administered_users(info.context.viewer).filter(id=pk).first() if pk else None
        return Account(model=user) if user else None
