"""Announcements: school or class news for an audience."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated

import strawberry

import models
from resolvers import announcements, pages, policy
from resolvers.core import _, pk_of
from resolvers.errors import BadUserInput
from schema import types
from schema.errors import NotFoundError, ValidationError
from schema.faces import shown
from schema.files import ATTACHMENTS, FILE_CODES, File
from schema.gates import IsAuthenticated
from schema.org import SchoolClass
from schema.pages import PageInfo, first_argument, last_argument, page_info
from schema.schools import School
from schema.users import User

Info = types.Info
INPUT = strawberry.argument(description="The mutation's input.")
CURSOR_KIND = "announcement"


@strawberry.enum(description="Who reads an announcement, within its school or, for a class announcement, its class.")
class Audience(Enum):
    EVERYONE = strawberry.enum_value("EVERYONE", description="Teachers, parents and students.")
    PARENTS = strawberry.enum_value("PARENTS", description="Parents (active guardians) of the students only.")
    STUDENTS = strawberry.enum_value("STUDENTS", description="The students only.")
    TEACHERS = strawberry.enum_value("TEACHERS", description="The teachers only (of the class, for a class).")


@strawberry.type(description="School or class news. The school's admins and its author always read it.")
class Announcement(types.Node):
    model: strawberry.Private[models.Announcement]

    @strawberry.field(description="The headline.")
    def title(self) -> str:
        return self.model.title

    @strawberry.field(description="The text, plain.")
    def body(self) -> str:
        return self.model.body

    @strawberry.field(description="Who it is for.")
    def audience(self) -> Audience:
        return Audience(self.model.audience.value)

    @strawberry.field(description="Shown above the others until unpinned.")
    def pinned(self) -> bool:
        return self.model.pinned

    @strawberry.field(description="When it was published.")
    def published_at(self) -> dt.datetime:
        return self.model.published_at

    @strawberry.field(description="When it was last changed; null if never.")
    def updated_at(self) -> dt.datetime | None:
        return self.model.updated_at

    @strawberry.field(description="The school it belongs to.")
    async def school(self, info: Info) -> School:
        school = await info.context.loaders.school_by_id.load(self.model.school_id)
        return await shown(info, School(model=types._must(school, "school")))

    @strawberry.field(description="The class, for a class announcement; null for the whole school.")
    async def school_class(self, info: Info) -> SchoolClass | None:
        if self.model.school_class_id is None:
            return None
        klass = await info.context.loaders.class_by_id.load(self.model.school_class_id)
        return await shown(info, SchoolClass(model=klass)) if klass else None

    @strawberry.field(description="Who wrote it.")
    async def author(self, info: Info) -> User:
        user = await info.context.loaders.user_by_id.load(self.model.author_id)
        return User(model=types._must(user, "author"))

    @strawberry.field(
        description="Files posted with it (a timetable, a form to sign), in the order given; empty when "
        "none. Read by whoever reads the announcement."
    )
    async def attachments(self, info: Info) -> list[File]:
        rows = await info.context.loaders.grouped(models.StoredFile, "announcement_id", "id").load(self.model.id)
        return [File(model=row) for row in rows]


@strawberry.type(description="An announcement in a list, with its cursor.")
class AnnouncementEdge:
    node: Announcement = strawberry.field(description="The announcement.")
    cursor: str = strawberry.field(description="Pass as `after` (or `before`) to page from here.")


@strawberry.type(description="A page of announcements, newest first.")
class AnnouncementConnection:
    edges: list[AnnouncementEdge] = strawberry.field(description="The announcements of this page.")
    page_info: PageInfo = strawberry.field(description="Whether there is more, and where to continue.")


def connection(page: pages.Page[models.Announcement], kind: str) -> AnnouncementConnection:
    edges = [AnnouncementEdge(node=Announcement(model=r), cursor=pages.encode(kind, r.id)) for r in page.rows]
    return AnnouncementConnection(
        edges=edges,
        page_info=page_info([e.cursor for e in edges], page.has_next_page, page.has_previous_page),
    )


@strawberry.type
class AnnouncementViewer:
    @strawberry.field(
        description="Announcements you are in the audience of (all of a school's for its admins), newest first. "
        "`schoolId` / `classId` narrow it to a school or a class; `pinned` to pinned (or unpinned) ones."
    )
    async def announcements(
        self,
        info: Info,
        school_id: Annotated[strawberry.ID | None, strawberry.argument(description="Only this `School`'s.")] = None,
        class_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this `SchoolClass`'s class announcements.")
        ] = None,
        pinned: Annotated[bool | None, strawberry.argument(description="Only pinned (true) or unpinned.")] = None,
        first: Annotated[int | None, first_argument(20)] = None,
        after: Annotated[str | None, strawberry.argument(description="Older than this cursor.")] = None,
        last: Annotated[int | None, last_argument()] = None,
        before: Annotated[str | None, strawberry.argument(description="Newer than this cursor.")] = None,
    ) -> AnnouncementConnection:
        scope = policy.visible_announcements(info.context.viewer)
        for value, type_name, column in (
            (school_id, "School", "school_id"),
            (class_id, "SchoolClass", "school_class_id"),
        ):
            if value is not None:
                pk = pk_of(value, type_name)
                if pk is None:
                    raise BadUserInput(_("Not a {type_name} id.", type_name=type_name), argument=column)
                scope = scope.filter(**{column: pk})
        if pinned is not None:
            scope = scope.filter(pinned=pinned)
        page = await pages.newest_first(scope, CURSOR_KIND, first, after, last, before)
        return connection(page, CURSOR_KIND)


@strawberry.input(description="A new announcement.")
class AnnouncementCreateInput:
    school_id: strawberry.ID = strawberry.field(description="The `School` it is for (you administer it).")
    class_id: strawberry.ID | None = strawberry.field(
        default=None, description="A `SchoolClass` of that school, for a class announcement (its homeroom teacher)."
    )
    audience: Audience = strawberry.field(description="Who reads it.")
    title: str = strawberry.field(description="The headline, 1-200 characters.")
    body: str = strawberry.field(description="The text, 1-10000 characters.")
    pinned: bool = strawberry.field(default=False, description="Show it above the others.")
    file_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description=f"Files for its readers (a form, a timetable). {ATTACHMENTS}"
    )


@strawberry.input(description="Changes to an announcement; omitted fields stay as they are.")
class AnnouncementUpdateInput:
    announcement_id: strawberry.ID = strawberry.field(description="The `Announcement` to change.")
    title: str | None = strawberry.field(default=None, description="A new headline.")
    body: str | None = strawberry.field(default=None, description="A new text.")
    audience: Audience | None = strawberry.field(default=None, description="A new audience (not notified again).")
    pinned: bool | None = strawberry.field(default=None, description="Pin or unpin it.")
    file_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Its files from now on (replacing all): ids of its current `attachments` to keep and of new "
        f"uploads of yours. {ATTACHMENTS}",
    )


@strawberry.input(description="An announcement to remove.")
class AnnouncementDeleteInput:
    announcement_id: strawberry.ID = strawberry.field(description="The `Announcement` to remove.")


@strawberry.type(description="The announcement as it now is.")
class AnnouncementSuccess:
    announcement: Announcement = strawberry.field(description="The announcement.")


@strawberry.type(description="The announcement was removed for everyone, with its notifications.")
class AnnouncementDeleteSuccess:
    announcement_id: strawberry.ID = strawberry.field(description="The removed announcement's id.")


TEXT_CODES = "TITLE_EMPTY, TITLE_TOO_LONG, BODY_EMPTY, BODY_TOO_LONG, INVALID_CHARACTERS"
AnnouncementCreateResult = Annotated[
    AnnouncementSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "AnnouncementCreateResult",
        description="The published announcement, or why not (nothing written). ValidationError codes: NOT_ALLOWED "
        f"(not an admin of the school / not the class's homeroom teacher), CLASS_NOT_IN_SCHOOL, {TEXT_CODES}, "
        f"{FILE_CODES}; "
        "NotFoundError SCHOOL_NOT_FOUND, CLASS_NOT_FOUND.",
    ),
]
AnnouncementUpdateResult = Annotated[
    AnnouncementSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "AnnouncementUpdateResult",
        description=f"The changed announcement, or why not (nothing written). ValidationError codes: {TEXT_CODES}, "
        f"{FILE_CODES}; "
        "NotFoundError ANNOUNCEMENT_NOT_FOUND (not there, or not yours to change).",
    ),
]
AnnouncementDeleteResult = Annotated[
    AnnouncementDeleteSuccess | NotFoundError,
    strawberry.union(
        "AnnouncementDeleteResult",
        description="The removed announcement's id, or NotFoundError ANNOUNCEMENT_NOT_FOUND (not there, or not "
        "yours to remove).",
    ),
]


@strawberry.type
class AnnouncementMutations:
    @strawberry.mutation(
        description="Publish an announcement (school admins for the school or a class; a homeroom teacher for "
        "their class). Its audience is notified (ANNOUNCEMENT_PUBLISHED).",
        permission_classes=[IsAuthenticated],
    )
    async def announcement_create(
        self, info: Info, input: Annotated[AnnouncementCreateInput, INPUT]
    ) -> AnnouncementCreateResult:
        row = await announcements.create_announcement(
            info.context,
            announcements.AnnouncementInput(
                school_id=input.school_id,
                class_id=input.class_id,
                audience=models.Audience(input.audience.name),
                title=input.title,
                body=input.body,
                pinned=input.pinned,
                file_ids=input.file_ids,
            ),
        )
        return AnnouncementSuccess(announcement=Announcement(model=row))

    @strawberry.mutation(
        description="Change an announcement: its author, the school's admins or the class's homeroom teacher.",
        permission_classes=[IsAuthenticated],
    )
    async def announcement_update(
        self, info: Info, input: Annotated[AnnouncementUpdateInput, INPUT]
    ) -> AnnouncementUpdateResult:
        row = await announcements.update_announcement(
            info.context,
            announcements.AnnouncementChanges(
                announcement_id=input.announcement_id,
                title=input.title,
                body=input.body,
                audience=models.Audience(input.audience.name) if input.audience else None,
                pinned=input.pinned,
                file_ids=input.file_ids,
            ),
        )
        return AnnouncementSuccess(announcement=Announcement(model=row))

    @strawberry.mutation(
        description="Remove an announcement: its author, the school's admins or the class's homeroom teacher.",
        permission_classes=[IsAuthenticated],
    )
    async def announcement_delete(
        self, info: Info, input: Annotated[AnnouncementDeleteInput, INPUT]
    ) -> AnnouncementDeleteResult:
        row = await announcements.delete_announcement(info.context, input.announcement_id)
        return AnnouncementDeleteSuccess(announcement_id=Announcement(model=row).id())
