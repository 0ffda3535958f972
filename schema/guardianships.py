"""Guardianships: who a child's parents and legal representatives are, and their revocation
and restoration by the school's admins."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated

import strawberry

import models
from resolvers import guardianships
from resolvers.core import _
from schema import types
from schema.errors import NotFoundError, ValidationError
from schema.faces import shown
from schema.gates import IsAdmin
from schema.students import Student
from schema.users import User

Info = types.Info
INPUT = strawberry.argument(description="The mutation's input.")
ADMINS = "School admins of the child's school and district admins of its district; FORBIDDEN for everyone else."


@strawberry.enum(description="Why a guardianship was revoked, as a category (the words are in `reason`).")
class GuardianshipRevocationCategory(Enum):
    COURT_ORDER = strawberry.enum_value("COURT_ORDER", description="A court order restricts the guardian's rights.")
    CUSTODY_CHANGE = strawberry.enum_value("CUSTODY_CHANGE", description="Custody passed to someone else.")
    GUARDIAN_REQUEST = strawberry.enum_value("GUARDIAN_REQUEST", description="The guardian asked for it.")
    ENTERED_BY_MISTAKE = strawberry.enum_value(
        "ENTERED_BY_MISTAKE", description="The link was made by mistake (the wrong child or person)."
    )
    OTHER = strawberry.enum_value("OTHER", description="Another reason, given in `reason`.")


@strawberry.type(description="One revocation of a guardianship and, once given back, its restoration.")
class GuardianshipRevocation:
    model: strawberry.Private[models.GuardianshipRevocation]

    @strawberry.field(description="Why, as a category.")
    def category(self) -> GuardianshipRevocationCategory:
        return GuardianshipRevocationCategory(self.model.category.value)

    @strawberry.field(description="Why, in the words of the admin who revoked it.")
    def reason(self) -> str:
        return self.model.reason

    @strawberry.field(description="When it was revoked.")
    def revoked_at(self) -> dt.datetime:
        return self.model.revoked_at

    @strawberry.field(description="The admin who revoked it; null if their account is gone.")
    async def revoked_by(self, info: Info) -> User | None:
        return await _user(info, self.model.revoked_by_id)

    @strawberry.field(description="When it was restored; null while it is revoked.")
    def restored_at(self) -> dt.datetime | None:
        return self.model.restored_at

    @strawberry.field(description="The admin who restored it; null while it is revoked.")
    async def restored_by(self, info: Info) -> User | None:
        return await _user(info, self.model.restored_by_id)


async def _user(info: Info, user_id: int | None) -> User | None:
    user = await info.context.loaders.user_by_id.load(user_id) if user_id is not None else None
    return User(model=user) if user is not None else None


@strawberry.type(
    description="A parent or legal representative of a child. The school's admins (and its district's) see every "
    "guardianship of its students, revoked ones with why; the child and its guardians see the ones that stand."
)
class Guardianship(types.Node):
    model: strawberry.Private[models.Guardianship]

    @strawberry.field(description="The child.")
    async def student(self, info: Info) -> Student:
        s = await info.context.loaders.student_by_id.load(self.model.student_id)
        return Student(model=types._must(s, "student"))

    @strawberry.field(description="The guardian.")
    async def guardian(self, info: Info) -> User:
        u = await info.context.loaders.user_by_id.load(self.model.guardian_id)
        return await shown(info, User(model=types._must(u, "guardian")))

    @strawberry.field(description='How they are related to the child, as recorded: "mother", "legal_guardian", ...')
    def relation(self) -> str:
        return self.model.relation

    @strawberry.field(description="When the link was made.")
    def created_at(self) -> dt.datetime:
        return self.model.created_at

    @strawberry.field(description="When it was revoked; null while it stands.")
    def revoked_at(self) -> dt.datetime | None:
        return self.model.revoked_at

    @strawberry.field(
        description="The revocation in force, with its reason: null while the guardianship stands, and for anyone "
        "but the school's admins."
    )
    async def revocation(self, info: Info) -> GuardianshipRevocation | None:
        if self.model.revoked_at is None:
            return None
        rows = await info.context.loaders.revocations_by_guardianship.load(self.model.id)
        current = next((r for r in rows if r.restored_at is None), None)
        return GuardianshipRevocation(model=current) if current is not None else None

    @strawberry.field(
        description="Every revocation, newest first, restored ones included: for the school's admins; empty for "
        "anyone else."
    )
    async def revocations(self, info: Info) -> list[GuardianshipRevocation]:
        rows = await info.context.loaders.revocations_by_guardianship.load(self.model.id)
        return [GuardianshipRevocation(model=r) for r in rows]


@strawberry.input(description="A guardianship to revoke: a court order, a custody change, a link made by mistake.")
class GuardianshipRevokeInput:
    guardianship_id: strawberry.ID = strawberry.field(description="A `Guardianship` of a student of a school you run.")
    reason: str = strawberry.field(
        description="Why, 1-500 characters; read by the school's admins only (the audit log keeps the category)."
    )
    category: GuardianshipRevocationCategory = strawberry.field(
        default=GuardianshipRevocationCategory.OTHER, description="Why, as a category."
    )


@strawberry.type(description="The guardianship is revoked: the guardian sees nothing of the child from now on.")
class GuardianshipRevokeSuccess:
    model: strawberry.Private[guardianships.Revoked]

    @strawberry.field(description="The guardianship, `revokedAt` set.")
    def guardianship(self) -> Guardianship:
        return Guardianship(model=self.model.guardianship)

    @strawberry.field(
        description="How many chats the guardian was taken out of (those they were in through the child)."
    )
    def chats_removed(self) -> int:
        return len(self.model.chats)

    @strawberry.field(
        description="How many of their answers to meetings not over yet were removed (not invited any more)."
    )
    def meeting_answers_removed(self) -> int:
        return self.model.meeting_answers


GuardianshipRevokeResult = Annotated[
    GuardianshipRevokeSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "GuardianshipRevokeResult",
        description="The revoked guardianship, or why not (nothing changed). ValidationError codes: ALREADY_REVOKED, "
        "REASON_EMPTY, REASON_TOO_LONG; NotFoundError GUARDIANSHIP_NOT_FOUND (not there, or not of a school you run).",
    ),
]


@strawberry.input(description="A revoked guardianship to give back.")
class GuardianshipRestoreInput:
    guardianship_id: strawberry.ID = strawberry.field(description="A revoked `Guardianship` of a school you run.")


@strawberry.type(description="The guardianship stands again: the guardian sees the child again.")
class GuardianshipRestoreSuccess:
    model: strawberry.Private[guardianships.Restored]

    @strawberry.field(description="The guardianship, `revokedAt` null.")
    def guardianship(self) -> Guardianship:
        return Guardianship(model=self.model.guardianship)

    @strawberry.field(
        description="How many chats the guardian was given back (those the revocation took, unchanged since)."
    )
    def chats_restored(self) -> int:
        return len(self.model.chats)


GuardianshipRestoreResult = Annotated[
    GuardianshipRestoreSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "GuardianshipRestoreResult",
        description="The restored guardianship, or why not (nothing changed). ValidationError codes: NOT_REVOKED, "
        "ALREADY_GUARDIAN (linked to the child again meanwhile); NotFoundError GUARDIANSHIP_NOT_FOUND.",
    ),
]

GUARDIANSHIP_KEEPERS = IsAdmin(_("Only school admins revoke or restore a guardianship."))


@strawberry.type
class GuardianshipMutations:
    @strawberry.mutation(
        description="Revoke a guardianship, with a reason: at once the guardian sees nothing of the child (diary, "
        "notifications, live streams), leaves the chats they were in through the child and loses their answers to "
        "the child's class's coming meetings; their other children are untouched. Audited. " + ADMINS,
        permission_classes=[GUARDIANSHIP_KEEPERS],
    )
    async def guardianship_revoke(
        self, info: Info, input: Annotated[GuardianshipRevokeInput, INPUT]
    ) -> GuardianshipRevokeResult:
        category = models.RevocationCategory(input.category.name)
        revoked = await guardianships.revoke(info.context, input.guardianship_id, input.reason, category)
        return GuardianshipRevokeSuccess(model=revoked)

    @strawberry.mutation(
        description="Restore a revoked guardianship: the guardian sees the child again and is given back the chats "
        "the revocation took. Audited. " + ADMINS,
        permission_classes=[GUARDIANSHIP_KEEPERS],
    )
    async def guardianship_restore(
        self, info: Info, input: Annotated[GuardianshipRestoreInput, INPUT]
    ) -> GuardianshipRestoreResult:
        restored = await guardianships.restore(info.context, input.guardianship_id)
        return GuardianshipRestoreSuccess(model=restored)
