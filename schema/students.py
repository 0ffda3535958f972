"""A child on a school's roll as the people who may see it read it: its class and school, and
what each domain keeps about it (enrolments, guardians, diary, remarks, absence notices, progress),
annotated lazily: those modules build on this one."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import strawberry

import models
from resolvers import diary as diary_resolvers
from resolvers import progress as progress_resolvers
from resolvers.core import pk_of, today_utc
from resolvers.loaders import RangeKey
from schema.assessments import PlannedAssessment
from schema.enums import ChartBucket
from schema.faces import shown
from schema.org import SchoolClass
from schema.progress import ClassRank, ProgressPoint
from schema.schools import School
from schema.types import FromArg, Info, Node, ToArg, _must

if TYPE_CHECKING:
    from schema.absence import AbsenceNotice
    from schema.child_logins import StudentLogin
    from schema.diary import DiaryDay, SubjectProgress
    from schema.enrollment import Enrollment
    from schema.guardianships import Guardianship
    from schema.remarks import Remark
    from schema.term_grades import TermGrade


@strawberry.type(description="A child on a school's roll.")
class Student(Node):
    model: strawberry.Private[models.Student]

    @strawberry.field(description="Full name.")
    def full_name(self) -> str:
        return self.model.full_name

    @strawberry.field(description="The class the child is in today (else the most recent one).")
    async def school_class(self, info: Info) -> SchoolClass:
        c = await info.context.loaders.class_by_student.load(self.model.id)
        return await shown(info, SchoolClass(model=_must(c, "class")))

    @strawberry.field(description="The child's school.")
    async def school(self, info: Info) -> School:
        s = await info.context.loaders.school_by_id.load(self.model.school_id)
        return await shown(info, School(model=_must(s, "school")))

    @strawberry.field(description="Every class the child was, is or will be in, by first day (transfers included).")
    async def enrollments(self, info: Info) -> list[Annotated[Enrollment, strawberry.lazy("schema.enrollment")]]:
        # Here, not at the top: schema.enrollment imports this module, a cycle.
        from schema.enrollment import Enrollment

        return [
            Enrollment(model=e)
            for e in await info.context.loaders.grouped(models.Enrollment, "student_id", "start_date", "id").load(
                self.model.id
            )
        ]

    @strawberry.field(
        description="The child's parents and legal representatives, oldest link first. The school's admins (and its "
        "district's) see every guardianship, revoked ones included with why (to revoke and restore them); the child "
        "and its guardians see the ones that stand; everyone else an empty list."
    )
    async def guardianships(self, info: Info) -> list[Annotated[Guardianship, strawberry.lazy("schema.guardianships")]]:
        # Here, not at the top: schema.guardianships imports this module, a cycle.
        from schema.guardianships import Guardianship

        return [Guardianship(model=g) for g in await info.context.loaders.guardianships_by_student.load(self.model.id)]

    @strawberry.field(
        description="The child's own login and its state: read by the child's guardians (while their guardianship "
        "stands) and the school's admins; null for everyone else, and while the child has no login."
    )
    async def login(self, info: Info) -> Annotated[StudentLogin, strawberry.lazy("schema.child_logins")] | None:
        # Here, not at the top: schema.child_logins imports this module, a cycle.
        from schema.child_logins import StudentLogin

        user = await info.context.loaders.login_by_student.load(self.model.id)
        return StudentLogin(model=user) if user is not None else None

    @strawberry.field(description="Every day of the range with its lessons. At most 92 days (BAD_USER_INPUT).")
    async def diary(
        self, info: Info, from_: FromArg, to: ToArg
    ) -> list[Annotated[DiaryDay, strawberry.lazy("schema.diary")]]:
        # Here, not at the top: schema.diary imports this module (through attendance), a cycle.
        from schema.diary import DiaryDay

        diary_resolvers.check_range(from_, to, info.context.settings.max_diary_days)
        days = await diary_resolvers.load_diary(info.context.loaders, self.model, from_, to)
        return [DiaryDay(data=d) for d in days]

    @strawberry.field(
        description="The assessments (control works, tests, dictations...) announced for the child's lessons that "
        "have not started, from now to the end of the day `days` days from today, soonest first. At most 92 days "
        "(BAD_USER_INPUT); a cancelled lesson's are not listed."
    )
    async def upcoming_assessments(
        self,
        info: Info,
        days: Annotated[int, strawberry.argument(description="How many days ahead, 0-92 (0: today only).")] = 14,
    ) -> list[PlannedAssessment]:
        diary_resolvers.check_ahead(days, info.context.settings.max_diary_days)
        today = today_utc()
        key = RangeKey(self.model.id, today, today + dt.timedelta(days=days))
        rows = await info.context.loaders.upcoming_assessments_by_student.load(key)
        return [PlannedAssessment(model=r) for r in rows]

    @strawberry.field(
        description="Teachers' remarks on the child over the range (by the remark's date), newest first. "
        "At most 92 days (BAD_USER_INPUT). Readable by the family, the teachers of the class the remark "
        "was written in (a teacher of a group only: those of the days the child was in their group) and the "
        "school's admins; others get an empty list."
    )
    async def remarks(
        self, info: Info, from_: FromArg, to: ToArg
    ) -> list[Annotated[Remark, strawberry.lazy("schema.remarks")]]:
        # Here, not at the top: schema.remarks imports this module, a cycle.
        from schema.remarks import Remark

        diary_resolvers.check_range(from_, to, info.context.settings.max_diary_days)
        rows = await info.context.loaders.remarks_by_student.load(RangeKey(self.model.id, from_, to))
        return [Remark(model=r) for r in rows]

    @strawberry.field(
        description=(
            "The parents' absence notices overlapping the range, by first day. At most 92 days (BAD_USER_INPUT)."
        )
    )
    async def absence_notices(
        self, info: Info, from_: FromArg, to: ToArg
    ) -> list[Annotated[AbsenceNotice, strawberry.lazy("schema.absence")]]:
        # Here, not at the top: schema.absence imports this module, a cycle.
        from schema.absence import AbsenceNotice

        diary_resolvers.check_range(from_, to, info.context.settings.max_diary_days)
        rows = await info.context.loaders.absence_notices_by_student.load(RangeKey(self.model.id, from_, to))
        return [AbsenceNotice(model=n) for n in rows]

    @strawberry.field(
        description="Per subject: grades, averages and absences over a term (default: the current one). A teacher"
        " counts the days the child was in their class (a teacher of the child's group only: in their group)."
    )
    async def progress(
        self,
        info: Info,
        term_id: Annotated[strawberry.ID | None, strawberry.argument(description="A `Term` id.")] = None,
    ) -> list[Annotated[SubjectProgress, strawberry.lazy("schema.diary")]]:
        # Here, not at the top: schema.diary imports this module (through attendance), a cycle.
        from schema.diary import asked, subject_progress

        pk = None
        if term_id is not None:
            pk = pk_of(term_id, "Term")
            if pk is None:
                return []
        loaders = info.context.loaders
        # The viewer's windows over the child do not depend on the term: asked for now, they come
        # in the round of the school's terms (a class's progress: one round less).
        loaders.windows_by_student.load(self.model.id)
        term = await progress_resolvers.resolve_school_term(loaders, self.model.school_id, pk)
        if term is None:
            return []
        rows = await diary_resolvers.load_progress(loaders, self.model, term)
        if not rows:  # none of the term is the viewer's: nothing to load figures for (and no
            return []  # early batch of them apart from the children that have lines)
        wanted = asked(info)
        # the subjects (their names order the lines) in the round of the figures: one round less
        subjects = loaders.subject_by_id.load_many([r.subject_id for r in rows])
        figures = await progress_resolvers.subject_figures(
            loaders,
            self.model,
            term,
            rows,
            term_grades="termGrade" in wanted,
            suggestions="suggestedGrade" in wanted,
            class_averages="classWeightedAverage" in wanted,
        )
        by_id = {s.id: s for s in await subjects if s is not None}
        rows.sort(key=lambda r: (by_id[r.subject_id].name if r.subject_id in by_id else "", r.subject_id))
        return subject_progress(rows, by_id, figures)

    @strawberry.field(
        description="The child's final grades of one academic year in every subject: each term's and the year's"
        " (by subject; a subject's terms in date order, its year grade last). Each has the audience of `node`:"
        " the family, the teachers and admins of the class it was set in; a teacher of a group only, the terms"
        " the child spent some day in their group. An unknown year gives an empty list."
    )
    async def final_grades(
        self,
        info: Info,
        academic_year_id: Annotated[
            strawberry.ID, strawberry.argument(description="An `AcademicYear` id (`School.academicYears`).")
        ],
    ) -> list[Annotated[TermGrade, strawberry.lazy("schema.term_grades")]]:
        # Here, not at the top: schema.term_grades imports this module (through grades), a cycle.
        from schema.term_grades import TermGrade

        pk = pk_of(academic_year_id, "AcademicYear")
        if pk is None:
            return []
        rows = await info.context.loaders.final_grades_by_student.load((self.model.id, pk))
        return [TermGrade(model=t) for t in rows]

    @strawberry.field(
        description="The child's weighted average in one subject week by week or month by month, with the class's."
        " Every bucket of the range appears (empty ones with nulls). At most 366 days (BAD_USER_INPUT). A teacher"
        " counts only the days the child was in their class (after a transfer: the old class up to the day before,"
        " the new one from the day)."
    )
    async def progress_chart(
        self,
        info: Info,
        subject_id: Annotated[strawberry.ID, strawberry.argument(description="A `Subject` id.")],
        from_: FromArg,
        to: Annotated[dt.date, strawberry.argument(description="Last day, inclusive. At most 366 days after `from`.")],
        bucket: Annotated[ChartBucket, strawberry.argument(description="Weeks or months.")] = ChartBucket.WEEK,
    ) -> list[ProgressPoint]:
        diary_resolvers.check_range(from_, to, progress_resolvers.MAX_CHART_DAYS)
        pk = pk_of(subject_id, "Subject")
        subject = await info.context.loaders.subject_by_id.load(pk) if pk is not None else None
        if subject is None or subject.school_id != self.model.school_id:
            return []
        kind = progress_resolvers.Bucket[bucket.name]
        points = await progress_resolvers.load_chart(info.context.loaders, self.model, subject.id, from_, to, kind)
        return [ProgressPoint(data=p) for p in points]

    @strawberry.field(
        description="The child's place in their current class by the weighted average of all the term's grades"
        " (default: the current term); null for an unknown term, for the teachers and admins of the child's"
        " former class after a transfer, and for a teacher of the child's group only when the child was not in"
        " the group on any day of the term."
    )
    async def rank(
        self,
        info: Info,
        term_id: Annotated[strawberry.ID | None, strawberry.argument(description="A `Term` id.")] = None,
    ) -> ClassRank | None:
        pk = pk_of(term_id, "Term") if term_id is not None else None
        if term_id is not None and pk is None:
            return None
        term = await progress_resolvers.resolve_school_term(info.context.loaders, self.model.school_id, pk)
        if term is None:
            return None
        data = await progress_resolvers.load_rank(info.context.loaders, self.model, term)
        return ClassRank(data=data) if data else None
