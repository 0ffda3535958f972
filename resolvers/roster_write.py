"""Writing a validated roster plan: bulk statements in one transaction, whatever the size."""

from __future__ import annotations

from collections import defaultdict, deque
from datetime import date, timedelta
from typing import TYPE_CHECKING

import models
from resolvers import audit, passwords
from resolvers.core import now_utc
from resolvers.sessions import Context

if TYPE_CHECKING:
    from resolvers.roster_import import Counts, RosterPlan

BATCH = 500
Kind = models.RosterKind


async def write_plan(ctx: Context, plan: RosterPlan, counts: dict[Kind, Counts]) -> list[tuple[models.User, str]]:
    """Create what is new, update what changed, and return the new accounts with their
    one-time passwords (hashed in the database; these are the only clear copies). Runs in
    the caller's transaction, which holds the school's lock."""
    school_id = plan.school.id
    start = plan.start
    new_people = [p for p in plan.people.values() if p.user is None]
    issued = {p.login: passwords.one_time_password() for p in new_people}
    keys: list[models.RosterKey] = []
    enrollments: list[models.Enrollment] = []
    student_ids = {key: k.student_id for (kind, key), k in plan.keys.items() if kind == Kind.STUDENT}
    student_ids.update(await _create_students(plan, start, keys, enrollments))
    await _update_students(plan, start, enrollments)

    if new_people:
        await models.User.bulk_create(
            [
                models.User(
                    login=p.login,
                    full_name=p.full_name,
                    name_folded=models.fold_name(p.full_name)[:200],
                    email=p.email,
                    password_hash=passwords.hash_one_time_password(issued[p.login]),
                    must_change_password=True,
                )
                for p in new_people
            ],
            batch_size=BATCH,
        )
        created = {u.login: u for u in await models.User.filter(login__in=list(issued))}
        for p in new_people:
            p.user = created[p.login]
        await models.RoleGrant.bulk_create(
            [
                models.RoleGrant(
                    user_id=_uid(p.user),
                    role=models.Role.PARENT if p.kind == Kind.GUARDIAN else models.Role.TEACHER,
                    school_id=school_id,
                )
                for p in new_people
            ],
            batch_size=BATCH,
        )
        keys += [
            models.RosterKey(school_id=school_id, kind=p.kind, key=p.login, user_id=_uid(p.user)) for p in new_people
        ]
    renamed = [p.user for p in plan.people.values() if p.user is not None and p.user.full_name != p.full_name]
    for p in plan.people.values():
        if p.user is not None:
            p.user.full_name = p.full_name
            p.user.name_folded = models.fold_name(p.full_name)[:200]
    if renamed:  # bulk: no save signal, so the folded name for search is set here too
        await models.User.bulk_update(renamed, fields=["full_name", "name_folded"], batch_size=BATCH)

    links: list[models.Guardianship] = []
    teaching: list[models.TeachingAssignment] = []
    for p in plan.people.values():
        uid = _uid(p.user)
        for ext, relation in p.children.items():
            sid = student_ids.get(ext)
            if sid is not None and (uid, sid) not in plan.linked:
                links.append(models.Guardianship(guardian_id=uid, student_id=sid, relation=relation))
        teaching += [
            models.TeachingAssignment(teacher_id=uid, school_class_id=c, subject_id=s)
            for c, s in sorted(p.teaches)
            if (uid, c, s) not in plan.assigned
        ]
    if keys:
        await models.RosterKey.bulk_create(keys, batch_size=BATCH)
    if enrollments:
        await models.Enrollment.bulk_create(enrollments, batch_size=BATCH)
    if links:
        await models.Guardianship.bulk_create(links, batch_size=BATCH)
    if teaching:
        await models.TeachingAssignment.bulk_create(teaching, batch_size=BATCH)
    linked = [(p, provider, subject) for p in plan.people.values() for provider, subject in sorted(p.identities)]
    if linked:
        await models.ExternalIdentity.bulk_create(
            [
                models.ExternalIdentity(user_id=_uid(p.user), provider=provider, subject=subject, linked_at=now_utc())
                for p, provider, subject in linked
            ],
            batch_size=BATCH,
        )

    summary = {kind.value: vars(c) for kind, c in counts.items()}
    entries = [audit.entry(ctx.viewer, "roster.import", "School", school_id, summary, school_id=school_id)]
    entries += await plan.groups.write(ctx.viewer, student_ids)
    entries += [
        audit.entry(
            ctx.viewer,
            "account.create",
            "User",
            _uid(p.user),
            {"login": p.login, "role": "PARENT" if p.kind == Kind.GUARDIAN else "TEACHER", "via": "roster.import"},
            school_id=school_id,
        )
        for p in new_people
    ]
    entries += [
        audit.entry(
            ctx.viewer, "identity.preregister", "User", _uid(p.user), {"provider": provider}, school_id=school_id
        )
        for p, provider, _subject in linked
    ]
    await audit.record_many(entries, batch_size=BATCH)
    return [(p.user, issued[p.login]) for p in new_people if p.user is not None]


def _uid(user: models.User | None) -> int:
    assert user is not None
    return user.id


async def _create_students(
    plan: RosterPlan, start: date, keys: list[models.RosterKey], enrollments: list[models.Enrollment]
) -> dict[str, int]:
    """Insert the new students in one statement and find their ids: the rows above the highest
    id before the insert, matched by name and birth date in insertion order (imports of a
    school are serialized by the lock the caller holds)."""
    if not plan.new_students:
        return {}
    school_id = plan.school.id
    last = await models.Student.all().order_by("-id").only("id").first()
    floor = last.id if last else 0
    await models.Student.bulk_create(
        [
            models.Student(school_id=school_id, full_name=r.full_name, birth_date=r.birth_date)
            for r in plan.new_students
        ],
        batch_size=BATCH,
    )
    pool: dict[tuple[str, date | None], deque[models.Student]] = defaultdict(deque)
    for student in await models.Student.filter(school_id=school_id, id__gt=floor).order_by("id"):
        pool[student.full_name, student.birth_date].append(student)
    ids: dict[str, int] = {}
    for row in plan.new_students:
        student = pool[row.full_name, row.birth_date].popleft()
        ids[row.external_id] = student.id
        keys.append(
            models.RosterKey(school_id=school_id, kind=Kind.STUDENT, key=row.external_id, student_id=student.id)
        )
        enrollments.append(
            models.Enrollment(
                student_id=student.id, school_class_id=plan.classes[row.class_name.upper()].id, start_date=start
            )
        )
    return ids


async def _update_students(plan: RosterPlan, start: date, enrollments: list[models.Enrollment]) -> None:
    """Renames, corrected birth dates, and transfers: a class change ends the current
    enrolment yesterday and starts one today (or moves one that only started today)."""
    renamed: list[models.Student] = []
    ended: list[models.Enrollment] = []
    moved: list[models.Enrollment] = []
    for row, student in plan.changed_students:
        if (student.full_name, student.birth_date) != (row.full_name, row.birth_date):
            student.full_name, student.birth_date = row.full_name, row.birth_date
            renamed.append(student)
        klass = plan.classes[row.class_name.upper()]
        current = plan.current.get(student.id)
        if current is not None and current.school_class_id == klass.id:
            continue
        if current is not None and current.start_date >= start:
            current.school_class_id = klass.id
            moved.append(current)
            continue
        if current is not None:
            current.end_date = start - timedelta(days=1)
            ended.append(current)
        enrollments.append(models.Enrollment(student_id=student.id, school_class_id=klass.id, start_date=start))
    if renamed:
        await models.Student.bulk_update(renamed, fields=["full_name", "birth_date"], batch_size=BATCH)
    if ended:
        await models.Enrollment.bulk_update(ended, fields=["end_date"], batch_size=BATCH)
    if moved:
        await models.Enrollment.bulk_update(moved, fields=["school_class_id"], batch_size=BATCH)
