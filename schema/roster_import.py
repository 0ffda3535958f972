"""Roster import: a school's students, guardians and teachers from one CSV."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry

from resolvers import roster_import
from schema import types
from schema.account_admin import ACCOUNT_MANAGERS, Account
from schema.errors import FileRefusedError, NotFoundError, ValidationError

Info = types.Info
INPUT = strawberry.argument(description="The mutation's input.")


@strawberry.enum(description="Which rows of a roster file.")
class RosterKind(Enum):
    STUDENT = strawberry.enum_value("STUDENT", description="Rows of type `student`.")
    GUARDIAN = strawberry.enum_value("GUARDIAN", description="Guardians (one per login, over all their rows).")
    TEACHER = strawberry.enum_value("TEACHER", description="Rows of type `teacher`.")


@strawberry.input(
    description=(
        "A roster file. One CSV (RFC 4180, UTF-8, a header line naming the columns, case-insensitive) whose "
        "`type` column says what each row is:\n\n"
        "- `student`: `full_name`, `external_id` (the school's own id of the child, unique: how a re-import "
        "finds the child again), `birth_date` (YYYY-MM-DD), `class` (e.g. `5A`, a class of the school's "
        "current academic year; a different class on a re-import transfers the child from today), and "
        "optionally `group`: the class groups the child is in, `;` between several (`5A English 1;5 profile "
        "maths`). A group the school's current year does not have yet is created: a split of the child's "
        "class, or a cross-class group of the classes whose rows name it (parallel classes only); the child "
        "joins each from the import's date unless already in it. The import only adds: groups a row leaves "
        "out keep the child (move children with `classGroupMembersMove`), and an empty cell changes nothing.\n"
        "- `guardian`: `full_name`, `login` and/or `email` (the e-mail is the login when `login` is empty), "
        "`relation` (mother, father, guardian...; default parent), `student_external_id` (the child, in this file "
        "or imported before). One row per child.\n"
        "- `teacher`: `full_name`, `login` and/or `email`, `subjects` (optional: `Subject@Class` pairs separated "
        "by `;`, e.g. `Mathematics@5A;Physics@6B`).\n"
        "- guardians and teachers may have `identity`: `provider:subject` (`esia:1000123456`; several separated by "
        "`;`), the person's id at a configured identity provider (`identityProviders`), linked ahead of their first "
        "login through it, as `externalIdentityPreRegister` does (IDENTITY_PROVIDER_UNKNOWN, SUBJECT_INVALID, "
        "IDENTITY_TAKEN).\n\n"
        "Columns a row type does not use are left empty. A sample is `docs/roster-sample.csv` in the repository."
    )
)
class RosterImportInput:
    school_id: strawberry.ID = strawberry.field(description="A `School` you administer.")
    csv: str = strawberry.field(description="The file's text, at most 2 MB and 5000 rows.")
    dry_run: bool = strawberry.field(
        default=False, description="Check the file and count what would change, writing nothing."
    )


@strawberry.type(description="What an import did (or, on a dry run, would do) to one kind of row.")
class RosterCount:
    kind: RosterKind = strawberry.field(description="Which rows.")
    created: int = strawberry.field(description="New students / accounts.")
    updated: int = strawberry.field(
        description="Existing ones that changed: name, birth date, class, groups joined, new children or "
        "teaching assignments."
    )
    unchanged: int = strawberry.field(description="Existing ones the file repeats as they are.")


@strawberry.type(description="A new account of the import with its one-time password.")
class IssuedAccount:
    account: Account = strawberry.field(description="The new account (a guardian or teacher).")
    one_time_password: str = strawberry.field(description="Its password for the first login; shown only now.")


@strawberry.type(description="The file was imported (or checked, on a dry run).")
class RosterImportSuccess:
    dry_run: bool = strawberry.field(description="True when nothing was written.")
    counts: list[RosterCount] = strawberry.field(description="Created / updated / unchanged per kind of row.")
    issued: list[IssuedAccount] = strawberry.field(
        description="Every account the import created, with its one-time password: hand them out now, they are "
        "not shown again. Empty on a dry run and on a re-import."
    )


RosterImportResult = Annotated[
    RosterImportSuccess | FileRefusedError | ValidationError | NotFoundError,
    strawberry.union(
        "RosterImportResult",
        description=(
            "The import's counts, or why not; nothing is written unless every row is valid. FileRefusedError codes "
            "(by line and column): HEADER_MISSING, HEADER_UNKNOWN_COLUMN, HEADER_DUPLICATE_COLUMN, "
            "HEADER_MISSING_COLUMN, CSV_MALFORMED, ROW_WIDTH, TYPE_INVALID, FORMULA_NOT_ALLOWED (a cell starting "
            "with = + - @), CELL_TOO_LONG, FULL_NAME_REQUIRED, FULL_NAME_TOO_LONG, EXTERNAL_ID_REQUIRED, "
            "DUPLICATE_ROW, CONFLICTING_ROW, BIRTH_DATE_REQUIRED, DATE_INVALID, CLASS_UNKNOWN, SUBJECT_UNKNOWN, "
            "LOGIN_REQUIRED, LOGIN_INVALID, LOGIN_TAKEN (the login belongs to an account this school did not "
            "import as such), EMAIL_INVALID, STUDENT_REQUIRED, STUDENT_UNKNOWN, and for `group`: NAME_TOO_LONG, "
            "NOT_IN_GROUP_CLASSES (the group does not draw from the row's class), GROUP_ENDED, GROUP_CLASSES_MIXED "
            "(classes of different grade levels name one new group). ValidationError CSV_EMPTY, "
            "CSV_TOO_LARGE, IMPORT_CONFLICT (the school's accounts changed meanwhile: import again); NotFoundError "
            "SCHOOL_NOT_FOUND."
        ),
    ),
]


@strawberry.type
class RosterMutations:
    @strawberry.mutation(
        description="Import a school's students, guardians and teachers from CSV: all or nothing, and importing "
        "the same file again changes nothing. School admins of the school and district admins of its district; "
        "FORBIDDEN for anyone else.",
        permission_classes=[ACCOUNT_MANAGERS],
    )
    async def roster_import(self, info: Info, input: Annotated[RosterImportInput, INPUT]) -> RosterImportResult:
        result = await roster_import.import_roster(info.context, input.school_id, input.csv, input.dry_run)
        return RosterImportSuccess(
            dry_run=result.dry_run,
            counts=[
                RosterCount(kind=RosterKind(kind.value), created=c.created, updated=c.updated, unchanged=c.unchanged)
                for kind, c in result.counts.items()
            ],
            issued=[IssuedAccount(account=Account(model=u), one_time_password=p) for u, p in result.issued],
        )
