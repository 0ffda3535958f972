"""The root `viewer` object. Each domain adds its own viewer fields as a base class (like the
root Mutation), so this module stays the one place that composes them."""

from __future__ import annotations

import strawberry

import models
from resolvers import policy
from resolvers.core import _
from resolvers.errors import Unauthenticated
from schema.access import ViewerAccessRequests
from schema.accounts import SessionViewer
from schema.announcements import AnnouncementViewer
from schema.chat_list import ChatViewer
from schema.enrollment import TeachingAssignment
from schema.enums import Role
from schema.identity import IdentityViewer
from schema.meetings import MeetingViewer
from schema.notifications import NotificationViewer
from schema.push import PushViewer
from schema.schools import School
from schema.second_factor import SecondFactorViewer
from schema.stats import DistrictViewer
from schema.students import Student
from schema.types import Info
from schema.users import User


@strawberry.type(description="The logged-in user and what they can reach.")
class Viewer(
    ViewerAccessRequests,
    DistrictViewer,
    AnnouncementViewer,
    MeetingViewer,
    NotificationViewer,
    PushViewer,
    ChatViewer,
    SessionViewer,
    IdentityViewer,
    SecondFactorViewer,
):
    user_id: strawberry.Private[int]

    @strawberry.field(description="The logged-in user.")
    async def user(self, info: Info) -> User:
        user = await info.context.loaders.user_by_id.load(self.user_id)
        if user is None or not user.is_active:
            raise Unauthenticated(_("The account no longer exists or is deactivated."))
        return User(model=user)

    @strawberry.field(description="The user's roles.")
    async def roles(self, info: Info) -> list[Role]:
        return [Role(r.value) for r in await info.context.viewer.roles()]

    @strawberry.field(description="A parent's own children, by name.")
    async def children(self, info: Info) -> list[Student]:
        return [Student(model=s) for s in await info.context.loaders.children()]

    @strawberry.field(description="A student's own record.")
    async def student(self, info: Info) -> Student | None:
        row = await models.Student.filter(user_id=self.user_id).first()
        return Student(model=row) if row else None

    @strawberry.field(description="A teacher's class + subject pairs.")
    async def teaching(self, info: Info) -> list[TeachingAssignment]:
        rows = (
            await models.TeachingAssignment.filter(teacher_id=self.user_id)
            .select_related("school_class", "subject")
            .order_by("school_class__grade_level", "school_class__letter", "subject__name")
        )
        loaders = info.context.loaders
        loaders.prime_many(loaders.class_by_id, [r.school_class for r in rows])
        loaders.prime_many(loaders.subject_by_id, [r.subject for r in rows])
        return [TeachingAssignment(model=r) for r in rows]

    @strawberry.field(description="Schools the user belongs to or has children in.")
    async def schools(self, info: Info) -> list[School]:
        rows = await policy.visible_schools(info.context.viewer).order_by("name", "id")
        info.context.loaders.prime_many(info.context.loaders.school_by_id, rows)
        return [School(model=s) for s in rows]
