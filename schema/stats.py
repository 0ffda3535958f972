"""Dashboards: `School.stats`, `District.stats` and the `District` type they hang off."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, TypeVar

import strawberry
from tortoise.models import Model

import models
from resolvers import pages, policy, scales
from resolvers import progress as progress_resolvers
from resolvers import stats as stats_resolvers
from resolvers.ids import pk_of
from resolvers.schools import DISTRICT_SCHOOLS
from schema.calendar import Term
from schema.org import SchoolClass, Subject
from schema.pages import PageInfo, first_argument, keyset_page_info, last_argument
from schema.schools import School
from schema.students import Student
from schema.types import Info, Node
from schema.users import User

T = TypeVar("T")

TermArg = Annotated[
    strawberry.ID | None,
    strawberry.argument(description="A `Term` id; default: the current term (else the last one that started)."),
]


@strawberry.type(description="How many counted grades have one mark.")
class MarkCount:
    mark: float = strawberry.field(description="The mark's numeric value (letters and pass/fail count as theirs).")
    value: str | None = strawberry.field(
        description='The mark as shown on the school\'s scale ("5", "A", "pass"); null on a district\'s dashboard.'
    )
    count: int = strawberry.field(description="Counted grades with this mark.")


@strawberry.type(description="Figures of a group of grades and attendance marks over a term.")
class StatsFigures:
    data: strawberry.Private[stats_resolvers.Group]

    @strawberry.field(description="Counted grades (not removed).")
    def grades(self) -> int:
        return self.data.figures.grades

    @strawberry.field(description="Plain mean of the counted grades, 2 decimals; null without grades.")
    def average(self) -> float | None:
        return self.data.figures.average

    @strawberry.field(description="Sum of mark x weight over sum of weights, 2 decimals; null without grades.")
    def weighted_average(self) -> float | None:
        return self.data.figures.weighted_average

    @strawberry.field(
        description="Graded students (per class they were graded in); null where not broken down (subjects, "
        "teachers, weeks)."
    )
    def graded_students(self) -> int | None:
        return self.data.shares.students if self.data.shares else None

    @strawberry.field(
        description="Share (0 to 1) of the graded students with no grade below the pass mark; null without "
        "graded students or where not broken down."
    )
    def success(self) -> float | None:
        return self.data.shares.success if self.data.shares else None

    @strawberry.field(
        description="Share (0 to 1) of the graded students with only top grades (from halfway between the pass "
        "mark and the best mark: 4 and 5 on 1-5); null without graded students or where not broken down."
    )
    def quality(self) -> float | None:
        return self.data.shares.quality if self.data.shares else None

    @strawberry.field(description="Attendance marks taken; null where not broken down (subjects, teachers).")
    def marked_attendance(self) -> int | None:
        return self.data.attendance.marked if self.data.attendance else None

    @strawberry.field(
        description="Share (0 to 1) of the marks that are PRESENT or LATE; null without marks or where not broken down."
    )
    def attendance_rate(self) -> float | None:
        return self.data.attendance.rate if self.data.attendance else None

    @strawberry.field(description="ABSENT_UNEXCUSED marks; null where not broken down (subjects, teachers).")
    def unexcused_absences(self) -> int | None:
        return self.data.attendance.unexcused if self.data.attendance else None


@strawberry.type(description="A class's figures.")
class ClassStats(StatsFigures):
    # Loaded with the dashboard (``school_stats``): a plain field keeps the whole list off
    # the executor's awaitable path, which costs more than the figures themselves.
    entity: strawberry.Private[models.SchoolClass]

    @strawberry.field(description="The class.")
    def school_class(self) -> SchoolClass:
        return SchoolClass(model=self.entity)


@strawberry.type(description="A subject's figures (grades only).")
class SubjectStats(StatsFigures):
    entity: strawberry.Private[models.Subject]

    @strawberry.field(description="The subject.")
    def subject(self) -> Subject:
        return Subject(model=self.entity)


@strawberry.type(description="The figures of the grades a subject of this name got in every school of the district.")
class SubjectNameStats(StatsFigures):
    @strawberry.field(description='The subject\'s name, e.g. "Mathematics".')
    def name(self) -> str:
        return str(self.data.key)


@strawberry.type(description="The figures of the grades a teacher gave (grades only).")
class TeacherStats(StatsFigures):
    entity: strawberry.Private[models.User]

    @strawberry.field(description="The teacher.")
    def teacher(self) -> User:
        return User(model=self.entity)


@strawberry.type(description="One week's figures (grades and attendance).")
class WeekStats(StatsFigures):
    @strawberry.field(description="The Monday of the week.")
    def week_start(self) -> dt.date:
        key: dt.date = self.data.key
        return key


@strawberry.type(description="One school's figures on its district's dashboard.")
class SchoolSummaryStats(StatsFigures):
    @strawberry.field(description="The school.")
    async def school(self, info: Info) -> School:
        return School(model=_must(await info.context.loaders.school_by_id.load(self.data.key)))


@strawberry.type(description="A student at risk: failing on average, or often absent without excuse.")
class AtRiskStudent:
    data: strawberry.Private[stats_resolvers.AtRisk]
    student_model: strawberry.Private[models.Student]
    class_model: strawberry.Private[models.SchoolClass]

    @strawberry.field(description="The student.")
    def student(self) -> Student:
        return Student(model=self.student_model)

    @strawberry.field(description="The class the figures come from.")
    def school_class(self) -> SchoolClass:
        return SchoolClass(model=self.class_model)

    @strawberry.field(description="The weighted average of the term's grades in that class; null without grades.")
    def weighted_average(self) -> float | None:
        return self.data.weighted_average

    @strawberry.field(description="Unexcused absences in that class over the term.")
    def unexcused_absences(self) -> int:
        return self.data.unexcused


def _must(value: T | None) -> T:
    if value is None:  # a dangling id: the roll-ups name only rows that exist
        raise LookupError("missing row")
    return value


F = TypeVar("F", bound="StatsFigures")
M = TypeVar("M", bound=Model)


def _wrap(kind: type[F], groups: list[stats_resolvers.Group]) -> list[F]:
    return [kind(data=g) for g in groups]


@dataclass(frozen=True)
class Named:
    classes: dict[int, models.SchoolClass]
    subjects: dict[int, models.Subject]
    teachers: dict[int, models.User]
    students: dict[int, models.Student]


@strawberry.type(description="A school's dashboard for one term, from the roll-ups kept with every write.")
class SchoolStats(StatsFigures):
    stats: strawberry.Private[stats_resolvers.Stats]
    school: strawberry.Private[models.School]
    term_model: strawberry.Private[models.Term]
    # What the figures name, by id: classes, subjects, teachers (users) and students.
    named: strawberry.Private[Named]

    @strawberry.field(description="The term the figures cover.")
    def term(self) -> Term:
        return Term(model=self.term_model)

    @strawberry.field(description="Counted grades per mark, best first.")
    def distribution(self) -> list[MarkCount]:
        shown = {m.numeric: m.value for m in scales.marks(self.school)}
        return [MarkCount(mark=m, value=shown.get(m), count=n) for m, n in self.stats.distribution]

    @strawberry.field(description="Per class, by class id.")
    def by_class(self) -> list[ClassStats]:
        named = self.named.classes
        return [ClassStats(data=g, entity=_must(named.get(g.key))) for g in self.stats.groups[stats_resolvers.CLASS]]

    @strawberry.field(description="Per subject (grades only).")
    def by_subject(self) -> list[SubjectStats]:
        named = self.named.subjects
        groups = self.stats.groups[stats_resolvers.SUBJECT]
        return [SubjectStats(data=g, entity=_must(named.get(g.key))) for g in groups]

    @strawberry.field(description="Per teacher who gave the grades (grades only).")
    def by_teacher(self) -> list[TeacherStats]:
        named = self.named.teachers
        groups = self.stats.groups[stats_resolvers.TEACHER]
        return [TeacherStats(data=g, entity=_must(named.get(g.key))) for g in groups]

    @strawberry.field(description="Per week with grades or attendance marks, oldest first.")
    def by_week(self) -> list[WeekStats]:
        return _wrap(WeekStats, self.stats.groups[stats_resolvers.WEEK])

    @strawberry.field(
        description=f"Students whose weighted average is below the pass mark or with at least "
        f"{stats_resolvers.AT_RISK_UNEXCUSED} unexcused absences in the term. For the school's own admins only; "
        "null for everyone else (a district admin reads aggregates, not names)."
    )
    def at_risk(self) -> list[AtRiskStudent] | None:
        if self.stats.at_risk is None:
            return None
        return [
            AtRiskStudent(
                data=r,
                student_model=_must(self.named.students.get(r.student_id)),
                class_model=_must(self.named.classes.get(r.class_id)),
            )
            for r in self.stats.at_risk
        ]


@strawberry.type(description="A district's dashboard for one term: every school's same-numbered term.")
class DistrictStats(StatsFigures):
    stats: strawberry.Private[stats_resolvers.Stats]

    @strawberry.field(description="Counted grades per numeric mark, best first.")
    def distribution(self) -> list[MarkCount]:
        return [MarkCount(mark=m, value=None, count=n) for m, n in self.stats.distribution]

    @strawberry.field(description="Per school, by school id.")
    def by_school(self) -> list[SchoolSummaryStats]:
        return _wrap(SchoolSummaryStats, self.stats.groups[stats_resolvers.SCHOOL])

    @strawberry.field(description="Per subject name, over every school (grades only).")
    def by_subject(self) -> list[SubjectNameStats]:
        return _wrap(SubjectNameStats, self.stats.groups[stats_resolvers.SUBJECT])

    @strawberry.field(description="Per week, oldest first.")
    def by_week(self) -> list[WeekStats]:
        return _wrap(WeekStats, self.stats.groups[stats_resolvers.WEEK])


async def school_stats(info: Info, school: models.School, term_id: strawberry.ID | None) -> SchoolStats | None:
    """For the school's admins and its district's: null for everyone else and for a term of another school.

    The checks and the term are read at once, then the figures; the classes, subjects, teachers
    and students they name are loaded together before the fields ask (one statement each)."""
    viewer, loaders = info.context.viewer, info.context.loaders
    pk = pk_of(term_id, "Term") if term_id is not None else None
    if term_id is not None and pk is None:
        return None
    allowed, at_risk, term = await asyncio.gather(
        policy.stats_schools(viewer).filter(id=school.id).exists(),
        policy.at_risk_schools(viewer).filter(id=school.id).exists(),
        progress_resolvers.resolve_school_term(loaders, school.id, pk),
    )
    if not allowed or term is None:
        return None
    scope = stats_resolvers.Scope([term.id], [school])
    data = await stats_resolvers.load(scope, district=False, at_risk=at_risk)
    groups, risky = data.groups, data.at_risk or []
    class_ids = {g.key for g in groups[stats_resolvers.CLASS]} | {r.class_id for r in risky}
    classes, subjects, teachers, students = await asyncio.gather(
        loaders.class_by_id.load_many(sorted(class_ids)),
        loaders.subject_by_id.load_many([g.key for g in groups[stats_resolvers.SUBJECT]]),
        loaders.user_by_id.load_many([g.key for g in groups[stats_resolvers.TEACHER]]),
        loaders.student_by_id.load_many(sorted({r.student_id for r in risky})),
    )
    named = Named(_by_pk(classes), _by_pk(subjects), _by_pk(teachers), _by_pk(students))
    return SchoolStats(data=data.total, stats=data, school=school, term_model=term, named=named)


def _by_pk(rows: Sequence[M | None]) -> dict[int, M]:
    return {row.pk: row for row in rows if row is not None}


@strawberry.type(description="A school of a district, with the cursor.")
class SchoolEdge:
    node: School = strawberry.field(description="The school.")
    cursor: str = strawberry.field(description="Pass as `after` (or `before`) to page from here.")


@strawberry.type(description="A page of a district's schools, by name.")
class SchoolConnection:
    edges: list[SchoolEdge] = strawberry.field(description="The schools of this page, by name.")
    page_info: PageInfo = strawberry.field(description="Whether there is more, and where to continue.")


@strawberry.type(description="A school district: the schools one education authority runs.")
class District(Node):
    model: strawberry.Private[models.District]

    @strawberry.field(description="The district's name.")
    def name(self) -> str:
        return self.model.name

    @strawberry.field(
        description="The district's schools, by name.",
        deprecation_reason="Use `schoolsConnection`, a connection; removed after 2027-03-31.",
    )
    async def schools(self, info: Info) -> list[School]:
        rows = await models.School.filter(district_id=self.model.id).order_by("name", "id")
        info.context.loaders.prime_many(info.context.loaders.school_by_id, rows)
        return [School(model=s) for s in rows]

    @strawberry.field(
        description="The district's schools (a city district runs hundreds), by name then id, as a Relay "
        "connection: `first`/`after` from the start, `last`/`before` from the end, at most 100 a page "
        "(default 50)."
    )
    async def schools_connection(
        self,
        info: Info,
        first: Annotated[int | None, first_argument(DISTRICT_SCHOOLS.default_first)] = None,
        after: Annotated[str | None, strawberry.argument(description="An `endCursor`: the schools after.")] = None,
        last: Annotated[int | None, last_argument()] = None,
        before: Annotated[str | None, strawberry.argument(description="A `startCursor`: the schools before.")] = None,
    ) -> SchoolConnection:
        wanted = pages.PageArgs.of(first, after, last, before)
        page = await info.context.loaders.school_page_by_district.load((self.model.id, wanted))
        info.context.loaders.prime_many(info.context.loaders.school_by_id, page.rows)
        cursor = DISTRICT_SCHOOLS.kind
        edges = [SchoolEdge(node=School(model=s), cursor=pages.encode(cursor, s.id)) for s in page.rows]
        return SchoolConnection(edges=edges, page_info=keyset_page_info(page, cursor))

    @strawberry.field(
        description="The dashboard over every school for a term (a `Term` of any of its schools stands for the "
        "terms with the same number in the same academic year of all of them); null for an unknown term. "
        "Aggregates only: no student is named."
    )
    async def stats(self, info: Info, term_id: TermArg = None) -> DistrictStats | None:
        schools = await models.School.filter(district_id=self.model.id).order_by("id")
        if not schools:
            return None
        pk = pk_of(term_id, "Term") if term_id is not None else None
        if term_id is not None and pk is None:
            return None
        if pk is not None:
            term = await models.Term.filter(id=pk, school__district_id=self.model.id).first()
        else:
            term = await progress_resolvers.resolve_school_term(info.context.loaders, schools[0].id, None)
        if term is None:
            return None
        term_ids = await stats_resolvers.district_terms(term, self.model.id)
        data = await stats_resolvers.load(stats_resolvers.Scope(term_ids, schools), district=True, at_risk=False)
        return DistrictStats(data=data.total, stats=data)


@strawberry.type
class DistrictViewer:
    @strawberry.field(description="The districts the user administers.")
    async def districts(self, info: Info) -> list[District]:
        rows = await policy.visible_districts(info.context.viewer).order_by("name", "id")
        return [District(model=d) for d in rows]
