"""Roster import: one CSV of a school's students, guardians and teachers (a ``type`` column
tells which), all or nothing, idempotent.

Validation reads the database in a fixed number of statements whatever the file's size (the
school's classes and subjects, the keys and logins the file names, their enrolments,
guardianships and assignments), then every write is a bulk statement inside one
transaction. Rows are found again on a re-import through ``models.RosterKey``: a student by
the school's external id, a guardian or teacher by login."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

import models
from resolvers import policy
from resolvers.account_admin import EMAIL_RE, LOGIN_RE, MAX_NAME
from resolvers.codes import ErrorCode
from resolvers.core import Text, _, ngettext, today_utc
from resolvers.errors import FileRefused, RowProblem, found_in, refuse
from resolvers.roster_groups import GroupPlan
from resolvers.roster_rows import COLUMNS, Row, parse_rows
from resolvers.roster_write import write_plan
from resolvers.sessions import Context

Callback = Callable[[Row, str | None, ErrorCode, Text], None]
MAX_BYTES = 2_000_000
MAX_ROWS = 5000
Kind = models.RosterKind


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ImportResult:
    dry_run: bool
    counts: dict[Kind, Counts]
    # (user, one-time password) of every account the import created; empty on a dry run.
    issued: list[tuple[models.User, str]] = field(default_factory=list)


@dataclass
class Person:
    """A guardian or teacher of the file, merged over their rows."""

    kind: Kind
    login: str
    full_name: str
    email: str | None
    line: int
    user: models.User | None = None
    children: dict[str, str] = field(default_factory=dict)  # student external id -> relation
    teaches: set[tuple[int, int]] = field(default_factory=set)  # (class id, subject id)
    identities: set[tuple[str, str]] = field(default_factory=set)  # (provider, subject) to link


async def import_roster(ctx: Context, school_id: str, text: str, dry_run: bool) -> ImportResult:
    school = await found_in(
        policy.administered_schools(ctx.viewer), school_id, "School", _("No such school."), ErrorCode.SCHOOL_NOT_FOUND
    )
    if not text.strip():
        raise refuse([("csv", ErrorCode.CSV_EMPTY, _("The file is empty."))])
    if len(text.encode()) > MAX_BYTES:
        raise refuse(
            [
                (
                    "csv",
                    ErrorCode.CSV_TOO_LARGE,
                    _("Import at most {megabytes} MB at once.", megabytes=MAX_BYTES // 1_000_000),
                )
            ]
        )
    rows, problems = parse_rows(io.StringIO(text.lstrip("\ufeff")))
    if len(rows) > MAX_ROWS:
        raise refuse(
            [
                (
                    "csv",
                    ErrorCode.CSV_TOO_LARGE,
                    ngettext("Import at most {n} row at once.", "Import at most {n} rows at once.", MAX_ROWS),
                )
            ]
        )
    if problems and problems[0].line == 1:  # header errors: the rows cannot be read
        raise FileRefused(problems[0].message, problems[0].code, problems)
    if dry_run:
        plan = await _validated(ctx, school, rows, problems)
        return ImportResult(True, plan.counts())
    try:
        async with in_transaction():
            # One import of a school at a time, validated and written under the same lock: a
            # second import waits here, then validates against what the first one wrote.
            await models.School.filter(id=school.id).select_for_update().first()
            plan = await _validated(ctx, school, rows, problems)
            counts = plan.counts()
            issued = await write_plan(ctx, plan, counts)
    except IntegrityError:
        # Someone else took one of the file's logins between validation and writing (an
        # account created meanwhile): nothing was written.
        raise refuse(
            [
                (
                    "csv",
                    ErrorCode.IMPORT_CONFLICT,
                    _("The school's accounts changed during the import; import the file again."),
                )
            ]
        ) from None
    return ImportResult(False, counts, issued)


async def _validated(ctx: Context, school: models.School, rows: list[Row], problems: list[RowProblem]) -> RosterPlan:
    """The plan of a file whose every row is valid, else FileRefused with every problem."""
    plan = RosterPlan(school, today_utc(), frozenset(p.name for p in ctx.settings.oidc_providers))
    await plan.load(rows)
    plan.check(rows, problems)
    if problems:
        raise FileRefused.of(problems, COLUMNS)
    return plan


def identities_of(row: Row) -> list[tuple[str, str]]:
    """The (provider, subject) pairs of a row's ``identity`` cell: ``esia:1000123456;google:42``."""
    pairs = []
    for item in filter(None, (i.strip() for i in row.identity.split(";"))):
        provider, _colon, subject = item.partition(":")
        pairs.append((provider.strip().lower(), subject.strip()))
    return pairs


class RosterPlan:
    def __init__(self, school: models.School, today: date, providers: frozenset[str] = frozenset()) -> None:
        self.school, self.today, self.providers = school, today, providers
        # (provider, subject) -> the account it is linked to, of the identities the file names
        self.identities: dict[tuple[str, str], int] = {}
        self.classes: dict[str, models.SchoolClass] = {}
        self.subjects: dict[str, models.Subject] = {}
        self.keys: dict[tuple[Kind, str], models.RosterKey] = {}
        self.users: dict[str, models.User] = {}
        self.students: dict[int, models.Student] = {}
        self.current: dict[int, models.Enrollment] = {}
        self.linked: set[tuple[int, int]] = set()  # (guardian id, student id), unrevoked
        self.assigned: set[tuple[int, int, int]] = set()  # (teacher, class, subject)
        self.year: models.AcademicYear | None = None
        self.new_students: list[Row] = []
        self.changed_students: list[tuple[Row, models.Student]] = []
        self.same_students: list[Row] = []
        self.people: dict[str, Person] = {}
        self.groups = GroupPlan(school.id, None, today)

    @property
    def start(self) -> date:
        """The day the import's enrolments and group memberships start: today, or the year's
        first day before it begins."""
        return max(self.year.start_date, self.today) if self.year else self.today

    async def load(self, rows: list[Row]) -> None:
        """Everything validation needs, in a fixed number of statements."""
        school = self.school.id
        self.year = await models.AcademicYear.filter(
            school_id=school, start_date__lte=self.today, end_date__gte=self.today
        ).first()
        self.groups = GroupPlan(school, self.year, self.start)
        if self.year is not None:
            for c in await models.SchoolClass.filter(school_id=school, academic_year_id=self.year.id):
                self.classes[c.name.upper()] = c
        self.subjects = {s.name.lower(): s for s in await models.Subject.filter(school_id=school)}
        ext_ids = {r.external_id for r in rows if r.external_id} | {
            r.student_external_id for r in rows if r.student_external_id
        }
        logins = {r.login for r in rows if r.login}
        if ext_ids or logins:
            found = await models.RosterKey.filter(
                Q(kind=Kind.STUDENT, key__in=ext_ids or {""})
                | Q(kind__in=[Kind.GUARDIAN, Kind.TEACHER], key__in=logins or {""}),
                school_id=school,
            )
            self.keys = {(k.kind, k.key): k for k in found}
        if logins:
            self.users = {u.login: u for u in await models.User.filter(login__in=logins)}
        subjects = {s for r in rows for _p, s in identities_of(r)}
        if subjects:
            linked = await models.ExternalIdentity.filter(subject__in=subjects).values_list(
                "provider", "subject", "user_id"
            )
            self.identities = {(str(p), str(s)): int(u) for p, s, u in linked}
        student_ids = [k.student_id for k in self.keys.values() if k.student_id is not None]
        user_ids = [u.id for u in self.users.values()]
        if student_ids:
            self.students = {s.id: s for s in await models.Student.filter(id__in=student_ids)}
            for e in await models.Enrollment.filter(
                Q(end_date__isnull=True) | Q(end_date__gte=self.today), student_id__in=student_ids
            ).order_by("start_date", "id"):
                self.current[e.student_id] = e
        await self.groups.load(rows, student_ids)
        if user_ids:
            links = await models.Guardianship.filter(guardian_id__in=user_ids, revoked_at__isnull=True).values_list(
                "guardian_id", "student_id"
            )
            self.linked = {(int(g), int(s)) for g, s in links}
            # class-wide assignments only: a ``Subject@Class`` pair is the whole class
            taught = await models.TeachingAssignment.filter(teacher_id__in=user_ids, group_id=None).values_list(
                "teacher_id", "school_class_id", "subject_id"
            )
            self.assigned = {(int(t), int(c), int(s)) for t, c, s in taught}

    def check(self, rows: list[Row], problems: list[RowProblem]) -> None:
        """Every row against the file and the database; problems carry the row's line."""

        def bad(row: Row, column: str | None, code: ErrorCode, message: Text) -> None:
            problems.append(RowProblem(row.line, column, code, message))

        seen_students: dict[str, int] = {}
        seen_links: dict[tuple[str, str], int] = {}
        file_students = {r.external_id for r in rows if r.type == "student" and r.external_id}
        for row in rows:
            if not row.full_name:
                bad(row, "full_name", ErrorCode.FULL_NAME_REQUIRED, _("Give the person's full name."))
            elif len(row.full_name) > MAX_NAME:
                bad(
                    row,
                    "full_name",
                    ErrorCode.FULL_NAME_TOO_LONG,
                    ngettext("A name has at most {n} character.", "A name has at most {n} characters.", MAX_NAME),
                )
            if row.type == "student":
                self._check_student(row, seen_students, bad, problems)
            elif row.type in ("guardian", "teacher"):
                self._check_person(row, bad)
                if row.type == "guardian":
                    ext = row.student_external_id
                    if not ext:
                        bad(
                            row,
                            "student_external_id",
                            ErrorCode.STUDENT_REQUIRED,
                            _("Name the child by their external id."),
                        )
                    elif ext not in file_students and (Kind.STUDENT, ext) not in self.keys:
                        bad(
                            row,
                            "student_external_id",
                            ErrorCode.STUDENT_UNKNOWN,
                            _("No student with external id {ext!r} in this file or in the school's roster.", ext=ext),
                        )
                    elif (row.login, ext) in seen_links:
                        bad(
                            row,
                            None,
                            ErrorCode.DUPLICATE_ROW,
                            _("The same guardian and child as line {line}.", line=seen_links[row.login, ext]),
                        )
                    else:
                        seen_links[row.login, ext] = row.line
        self.groups.finish(problems)
        self._classify_students(rows)

    def _check_student(self, row: Row, seen: dict[str, int], bad: Callback, problems: list[RowProblem]) -> None:
        if not row.external_id:
            bad(row, "external_id", ErrorCode.EXTERNAL_ID_REQUIRED, _("A student needs the school's external id."))
        elif row.external_id in seen:
            bad(
                row,
                "external_id",
                ErrorCode.DUPLICATE_ROW,
                _("The same external id as line {line}.", line=seen[row.external_id]),
            )
        else:
            seen[row.external_id] = row.line
        if row.birth_date is None:
            code = ErrorCode.BIRTH_DATE_REQUIRED if not row.raw_birth_date else ErrorCode.DATE_INVALID
            bad(row, "birth_date", code, _("Give the birth date as YYYY-MM-DD."))
        elif not date(1900, 1, 1) <= row.birth_date <= self.today:
            bad(row, "birth_date", ErrorCode.DATE_INVALID, _("The birth date is not a plausible one."))
        self.groups.check(row, self.classes.get(row.class_name.upper()), problems)
        if row.class_name.upper() not in self.classes:
            bad(
                row,
                "class",
                ErrorCode.CLASS_UNKNOWN,
                _("No class {class_name!r} in the school's current academic year.", class_name=row.class_name),
            )

    def _check_person(self, row: Row, bad: Callback) -> None:
        if not row.login:
            bad(row, "login", ErrorCode.LOGIN_REQUIRED, _("Give a login or an e-mail address."))
            return
        if not LOGIN_RE.match(row.login):
            bad(
                row,
                "login",
                ErrorCode.LOGIN_INVALID,
                _("A login is 3-100 characters: a-z, digits, '.', '_', '-', '@'."),
            )
        if row.email and not EMAIL_RE.match(row.email):
            bad(row, "email", ErrorCode.EMAIL_INVALID, _("Not an e-mail address."))
        kind = Kind.GUARDIAN if row.type == "guardian" else Kind.TEACHER
        user = self.users.get(row.login)
        key = self.keys.get((kind, row.login))
        if user is not None and (key is None or key.user_id != user.id):
            bad(
                row,
                "login",
                ErrorCode.LOGIN_TAKEN,
                (
                    _("The login {login!r} belongs to an account not imported as this guardian of this school.")
                    if kind == Kind.GUARDIAN
                    else _("The login {login!r} belongs to an account not imported as this teacher of this school.")
                ).with_params(login=row.login),
            )
        person = self.people.get(row.login)
        if person is None:
            self.people[row.login] = Person(kind, row.login, row.full_name, row.email or None, row.line, user)
        elif person.kind != kind:
            bad(
                row,
                "type",
                ErrorCode.CONFLICTING_ROW,
                (
                    _("Line {line} lists {login!r} as a guardian.")
                    if person.kind == Kind.GUARDIAN
                    else _("Line {line} lists {login!r} as a teacher.")
                ).with_params(line=person.line, login=row.login),
            )
        elif person.full_name != row.full_name:
            bad(
                row,
                "full_name",
                ErrorCode.CONFLICTING_ROW,
                _("Line {line} gives {login!r} another name.", line=person.line, login=row.login),
            )
        elif kind == Kind.TEACHER:
            bad(row, "login", ErrorCode.DUPLICATE_ROW, _("The same teacher as line {line}.", line=person.line))
        person = self.people[row.login]
        self._check_identities(row, person, bad)
        if row.type == "guardian" and row.student_external_id:
            person.children[row.student_external_id] = row.relation or "parent"
        for pair in filter(None, (p.strip() for p in row.subjects.split(";"))):
            subject_name, _at, class_name = pair.rpartition("@")
            subject = self.subjects.get(subject_name.strip().lower())
            klass = self.classes.get(class_name.strip().upper())
            if not subject_name or subject is None:
                bad(
                    row,
                    "subjects",
                    ErrorCode.SUBJECT_UNKNOWN,
                    _(
                        "No subject {subject!r} in the school (write Subject@Class, e.g. Mathematics@5A).",
                        subject=subject_name or pair,
                    ),
                )
            elif klass is None:
                bad(
                    row,
                    "subjects",
                    ErrorCode.CLASS_UNKNOWN,
                    _("No class {class_name!r} in the school's current academic year.", class_name=class_name),
                )
            else:
                person.teaches.add((klass.id, subject.id))

    def _check_identities(self, row: Row, person: Person, bad: Callback) -> None:
        """``provider:subject`` cells: a configured provider, a plausible subject, linked to no
        other account (in the database or by another line of the file)."""
        for provider, subject in identities_of(row):
            if provider not in self.providers:
                bad(row, "identity", ErrorCode.IDENTITY_PROVIDER_UNKNOWN, _("No such identity provider."))
            elif not subject or len(subject) > 255 or not subject.isprintable():
                bad(
                    row,
                    "identity",
                    ErrorCode.SUBJECT_INVALID,
                    _("Give the subject id the provider uses, 1-255 characters."),
                )
            else:
                owner = self.identities.get((provider, subject))
                others = [p for p in self.people.values() if p is not person and (provider, subject) in p.identities]
                if (owner is not None and (person.user is None or owner != person.user.id)) or others:
                    bad(row, "identity", ErrorCode.IDENTITY_TAKEN, _("This identity is already linked to an account."))
                elif owner is None:
                    person.identities.add((provider, subject))

    def _classify_students(self, rows: list[Row]) -> None:
        """New, changed or unchanged: what a valid student row will do."""
        for row in rows:
            if row.type != "student" or not row.external_id:
                continue
            key = self.keys.get((Kind.STUDENT, row.external_id))
            student = self.students.get(key.student_id) if key and key.student_id else None
            if student is None:
                self.new_students.append(row)
            elif self._student_same(row, student):
                self.same_students.append(row)
            else:
                self.changed_students.append((row, student))

    def _student_same(self, row: Row, student: models.Student) -> bool:
        enrolled = self.current.get(student.id)
        klass = self.classes.get(row.class_name.upper())
        return (
            student.full_name == row.full_name
            and student.birth_date == row.birth_date
            and klass is not None
            and enrolled is not None
            and enrolled.school_class_id == klass.id
            and not self.groups.changes(row.external_id, student.id)
        )

    def _person_changes(
        self, person: Person, student_ids: dict[str, int | None]
    ) -> tuple[bool, list[int], list[tuple[int, int]]]:
        """(name changed, children to link, (class, subject) pairs to assign) of a known person."""
        user = person.user
        assert user is not None
        links = [
            sid
            for ext in person.children
            if (sid := student_ids.get(ext)) is not None and (user.id, sid) not in self.linked
        ]
        teach = [(c, s) for c, s in sorted(person.teaches) if (user.id, c, s) not in self.assigned]
        return user.full_name != person.full_name, links, teach

    def _known_student_ids(self) -> dict[str, int | None]:
        return {key: k.student_id for (kind, key), k in self.keys.items() if kind == Kind.STUDENT}

    def counts(self) -> dict[Kind, Counts]:
        counts = {kind: Counts() for kind in Kind}
        counts[Kind.STUDENT] = Counts(len(self.new_students), len(self.changed_students), len(self.same_students))
        known = self._known_student_ids()
        for person in self.people.values():
            c = counts[person.kind]
            if person.user is None:
                c.created += 1
                continue
            renamed, links, teach = self._person_changes(person, known)
            # A child new to the school counts as a change of their guardian's links.
            new_child = any(ext not in known for ext in person.children)
            if renamed or links or teach or new_child or person.identities:
                c.updated += 1
            else:
                c.unchanged += 1
        return counts
