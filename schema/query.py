"""The root Query: every field starts from a policy scope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import strawberry

from resolvers import policy
from resolvers.context import Viewer as ViewerContext
from resolvers.errors import Unauthenticated
from resolvers.ids import from_global_id
from schema import absence, diary, progress, remarks, types
from schema.account_admin import AccountQueries
from schema.permissions import IsAuthenticated
from schema.viewer import Viewer

Info = types.Info

# Type name in a global id -> (scope of what the viewer may see, GraphQL type).
NODE_TYPES: dict[str, tuple[Callable[[ViewerContext], Any], Callable[[Any], types.Node]]] = {
    "Student": (policy.visible_students, lambda m: types.Student(model=m)),
    "SchoolClass": (policy.visible_classes, lambda m: types.SchoolClass(model=m)),
    "School": (policy.visible_schools, lambda m: types.School(model=m)),
    "Lesson": (policy.visible_lessons, lambda m: types.Lesson(model=m)),
    "Grade": (policy.visible_grades, lambda m: diary.Grade(model=m)),
    "Homework": (policy.visible_homework, lambda m: types.Homework(model=m)),
    "Subject": (policy.visible_subjects, lambda m: types.Subject(model=m)),
    "User": (policy.visible_users, lambda m: types.User(model=m)),
    "Term": (policy.visible_terms, lambda m: types.Term(model=m)),
    "Remark": (policy.visible_remarks, lambda m: remarks.Remark(model=m)),
    "AbsenceNotice": (policy.visible_absence_notices, lambda m: absence.AbsenceNotice(model=m)),
    "TermGrade": (policy.visible_term_grades, lambda m: progress.TermGrade(model=m)),
}


async def load_node(info: Info, global_id: str, only: str | None = None) -> types.Node | None:
    """The object named by ``global_id`` if the viewer may see it (through its type's scope)."""
    parsed = from_global_id(global_id)
    if parsed is None or parsed[0] not in NODE_TYPES or (only is not None and parsed[0] != only):
        return None
    scope, wrap = NODE_TYPES[parsed[0]]
    obj = await scope(info.context.viewer).filter(id=parsed[1]).first()
    return wrap(obj) if obj is not None else None


@strawberry.type(description="Read the diary. Everything here needs `Authorization: Bearer <accessToken>`.")
class Query(AccountQueries):
    @strawberry.field(
        description="The logged-in user: roles, children, own record, teaching assignments, schools.",
        permission_classes=[IsAuthenticated],
    )
    async def viewer(self, info: Info) -> Viewer:
        user_id = info.context.viewer.user_id
        if user_id is None:  # guarded by IsAuthenticated; kept for the type checker
            raise Unauthenticated("Log in first.")
        return Viewer(user_id=user_id)

    @strawberry.field(
        description="Any object by its global id; null when it does not exist or you may not see it.",
        permission_classes=[IsAuthenticated],
    )
    async def node(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="A global id.")]
    ) -> types.Node | None:
        return await load_node(info, id)

    @strawberry.field(
        description="A student by id; null when it does not exist or you may not see it.",
        permission_classes=[IsAuthenticated],
    )
    async def student(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="A `Student` id.")]
    ) -> types.Student | None:
        student = await load_node(info, id, only="Student")
        if not isinstance(student, types.Student):
            return None
        info.context.loaders.student_by_id.prime(student.model.id, student.model)
        return student
