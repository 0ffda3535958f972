"""Dashboards: `School.stats`, `District.stats` and the `District` type they hang off."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated, Any, TypeVar

import strawberry

import models
from resolvers import grades as grading
from resolvers import pages
from resolvers import progress as progress_resolvers
from resolvers import stats as stats_resolvers
from resolvers.core import pk_of
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
    # Plain values, worked out when the row is built (``_figures``): a few divisions per row
    # cost less than a resolver call per field, and a dashboard is hundreds of fields.
    grades: int = strawberry.field(description="Counted grades (not removed).")
    average: float | None = strawberry.field(
        description="Plain mean of the counted grades, 2 decimals; null without grades."
    )
    weighted_average: float | None = strawberry.field(
        description="Sum of mark x weight over sum of weights, 2 decimals; null without grades."
    )
    graded_students: int | None = strawberry.field(
        description="Graded students (per class they were graded in); null where not broken down (subjects, "
        "teachers, weeks)."
    )
    success: float | None = strawberry.field(
        description="Share (0 to 1) of the graded students with no grade below the pass mark; null without "
        "graded students or where not broken down."
    )
    quality: float | None = strawberry.field(
        description="Share (0 to 1) of the graded students with only top grades (from halfway between the pass "
        "mark and the best mark: 4 and 5 on 1-5); null without graded students or where not broken down."
    )
    marked_attendance: int | None = strawberry.field(
        description="Attendance marks taken; null where not broken down (subjects, teachers)."
    )
    attendance_rate: float | None = strawberry.field(
        description="Share (0 to 1) of the marks that are PRESENT or LATE; null without marks or where not broken down."
    )
    unexcused_absences: int | None = strawberry.field(
        description="ABSENT_UNEXCUSED marks; null where not broken down (subjects, teachers)."
    )


def _figures(group: stats_resolvers.Group) -> dict[str, Any]:
    """The values of ``StatsFigures`` for one row of a dashboard."""
    figures, shares, attendance = group.figures, group.shares, group.attendance
    return {
        "grades": figures.grades,
        "average": figures.average,
        "weighted_average": figures.weighted_average,
        "graded_students": shares.students if shares else None,
        "success": shares.success if shares else None,
        "quality": shares.quality if shares else None,
        "marked_attendance": attendance.marked if attendance else None,
        "attendance_rate": attendance.rate if attendance else None,
        "unexcused_absences": attendance.unexcused if attendance else None,
    }


@strawberry.type(description="A class's figures.")
class ClassStats(StatsFigures):
    school_class: SchoolClass = strawberry.field(description="The class.")


@strawberry.type(description="A subject's figures (grades only).")
class SubjectStats(StatsFigures):
    subject: Subject = strawberry.field(description="The subject.")


@strawberry.type(description="The figures of the grades a subject of this name got in every school of the district.")
class SubjectNameStats(StatsFigures):
    name: str = strawberry.field(description='The subject\'s name, e.g. "Mathematics".')


@strawberry.type(description="The figures of the grades a teacher gave (grades only).")
class TeacherStats(StatsFigures):
    teacher: User = strawberry.field(description="The teacher.")


@strawberry.type(description="One week's figures (grades and attendance).")
class WeekStats(StatsFigures):
    week_start: dt.date = strawberry.field(description="The Monday of the week.")


@strawberry.type(description="One school's figures on its district's dashboard.")
class SchoolSummaryStats(StatsFigures):
    school: School = strawberry.field(description="The school.")


@strawberry.type(description="A student at risk: failing on average, or often absent without excuse.")
class AtRiskStudent:
    student: Student = strawberry.field(description="The student.")
    school_class: SchoolClass = strawberry.field(description="The class the figures come from.")
    weighted_average: float | None = strawberry.field(
        description="The weighted average of the term's grades in that class; null without grades."
    )
    unexcused_absences: int = strawberry.field(description="Unexcused absences in that class over the term.")


def _must(value: T | None) -> T:
    if value is None:  # a dangling id: the roll-ups name only rows that exist
        raise LookupError("missing row")
    return value


@strawberry.type(description="A school's dashboard for one term, from the roll-ups kept with every write.")
class SchoolStats(StatsFigures):
    term: Term = strawberry.field(description="The term the figures cover.")
    stats: strawberry.Private[stats_resolvers.Stats]
    school: strawberry.Private[models.School]
    named: strawberry.Private[stats_resolvers.Named]

    @strawberry.field(description="Counted grades per mark, best first.")
    def distribution(self) -> list[MarkCount]:
        shown = {m.numeric: m.value for m in grading.marks(self.school)}
        return [MarkCount(mark=m, value=shown.get(m), count=n) for m, n in self.stats.distribution]

    @strawberry.field(description="Per class, by class id.")
    def by_class(self) -> list[ClassStats]:
        named = self.named.classes
        groups = self.stats.groups[stats_resolvers.CLASS]
        return [ClassStats(**_figures(g), school_class=SchoolClass(model=_must(named.get(g.key)))) for g in groups]

    @strawberry.field(description="Per subject (grades only).")
    def by_subject(self) -> list[SubjectStats]:
        named = self.named.subjects
        groups = self.stats.groups[stats_resolvers.SUBJECT]
        return [SubjectStats(**_figures(g), subject=Subject(model=_must(named.get(g.key)))) for g in groups]

    @strawberry.field(description="Per teacher who gave the grades (grades only).")
    def by_teacher(self) -> list[TeacherStats]:
        named = self.named.teachers
        groups = self.stats.groups[stats_resolvers.TEACHER]
        return [TeacherStats(**_figures(g), teacher=User(model=_must(named.get(g.key)))) for g in groups]

    @strawberry.field(description="Per week with grades or attendance marks, oldest first.")
    def by_week(self) -> list[WeekStats]:
        return [WeekStats(**_figures(g), week_start=g.key) for g in self.stats.groups[stats_resolvers.WEEK]]

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
                student=Student(model=r.student),
                school_class=SchoolClass(model=_must(self.named.classes.get(r.class_id))),
                weighted_average=r.weighted_average,
                unexcused_absences=r.unexcused,
            )
            for r in self.stats.at_risk
        ]


@strawberry.type(description="A district's dashboard for one term: every school's same-numbered term.")
class DistrictStats(StatsFigures):
    stats: strawberry.Private[stats_resolvers.Stats]
    schools: strawberry.Private[dict[int, models.School]]

    @strawberry.field(description="Counted grades per numeric mark, best first.")
    def distribution(self) -> list[MarkCount]:
        return [MarkCount(mark=m, value=None, count=n) for m, n in self.stats.distribution]

    @strawberry.field(description="Per school, by school id.")
    def by_school(self) -> list[SchoolSummaryStats]:
        groups = self.stats.groups[stats_resolvers.SCHOOL]
        return [SchoolSummaryStats(**_figures(g), school=School(model=_must(self.schools.get(g.key)))) for g in groups]

    @strawberry.field(description="Per subject name, over every school (grades only).")
    def by_subject(self) -> list[SubjectNameStats]:
        return [SubjectNameStats(**_figures(g), name=str(g.key)) for g in self.stats.groups[stats_resolvers.SUBJECT]]

    @strawberry.field(description="Per week, oldest first.")
    def by_week(self) -> list[WeekStats]:
        return [WeekStats(**_figures(g), week_start=g.key) for g in self.stats.groups[stats_resolvers.WEEK]]


async def school_stats(info: Info, school: models.School, term_id: strawberry.ID | None) -> SchoolStats | None:
    """For the school's admins and its district's: null for everyone else and for a term of another school.

    The checks and the terms are read in one statement, then the figures beside the classes,
    subjects and teachers they name (the at-risk list brings its students)."""
    viewer, loaders = info.context.viewer, info.context.loaders
    pk = pk_of(term_id, "Term") if term_id is not None else None
    if term_id is not None and pk is None:
        return None
    terms, at_risk = await stats_resolvers.school_terms(viewer, school.id)
    if not terms:  # not theirs, or no term yet
        return None
    loaders.terms_by_school.prime(school.id, terms)
    term = await progress_resolvers.resolve_school_term(loaders, school.id, pk)
    if term is None:
        return None
    scope = stats_resolvers.Scope([term.id], [school])
    data, named = await asyncio.gather(
        stats_resolvers.load(scope, district=False, at_risk=at_risk), stats_resolvers.names(scope)
    )
    return SchoolStats(**_figures(data.total), term=Term(model=term), stats=data, school=school, named=named)


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
        pk = pk_of(term_id, "Term") if term_id is not None else None
        if term_id is not None and pk is None:
            return None
        schools, term_ids = await asyncio.gather(
            stats_resolvers.district_schools(self.model.id),
            stats_resolvers.district_terms(pk, self.model.id) if pk is not None else _no_terms(),
        )
        if not schools:
            return None
        if pk is None:  # the current term of its first school stands for the district's
            term = await progress_resolvers.resolve_school_term(info.context.loaders, schools[0].id, None)
            term_ids = await stats_resolvers.district_terms(term.id, self.model.id) if term else []
        if not term_ids:
            return None
        data = await stats_resolvers.load(stats_resolvers.Scope(term_ids, schools), district=True, at_risk=False)
        return DistrictStats(**_figures(data.total), stats=data, schools={s.id: s for s in schools})


async def _no_terms() -> list[int]:
    return []


@strawberry.type
class DistrictViewer:
    @strawberry.field(description="The districts the user administers.")
    async def districts(self, info: Info) -> list[District]:
        return [District(model=d) for d in await stats_resolvers.visible_districts(info.context.viewer)]
