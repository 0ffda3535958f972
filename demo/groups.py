"""The demo's class groups (issue 21), in School No. 1: 5A's English in two groups at the same
hours, each with its own teacher (the class's English teacher keeps group 1; ``t1.en2`` takes
group 2), and 6B's computing in halves, both given by 6B's computing teacher (two group
assignments of one class + subject), half 1 at the class's hour and half 2 at an hour the class
has free. The children split alternately: ``student`` is in 5A English 1, ``parent2``'s child
in 5A English 2, ``parent``'s 6B child in 6B computing 1."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import models

ENGLISH = ("5A", "English", "t1.en2", "Margarita Pavlovna Lebedeva")
COMPUTING = ("6B", "Computing")
ROOMS = {"5A English 2": "115", "6B computing 1": "120", "6B computing 2": "120"}


@dataclass
class Split:
    """What the timetable and lessons of a school need of its groups."""

    # (class, subject) -> the groups replacing its class-wide slots, each with its teacher's id
    groups: dict[tuple[str, str], list[tuple[models.ClassGroup, int]]] = field(default_factory=dict)
    members: dict[int, set[int]] = field(default_factory=dict)  # group id -> student ids


async def seed_groups(
    school: models.School,
    year: models.AcademicYear,
    classes: dict[str, models.SchoolClass],
    subjects: dict[str, models.Subject],
    teacher_of: dict[tuple[str, str], models.User],
    password_hash: str,
) -> Split:
    """The groups and their teaching assignments (the class-wide assignments they replace are
    removed); their members come with ``join``."""
    split = Split()
    class_name, subject, login, name = ENGLISH
    if (class_name, subject) in teacher_of:
        second = await models.User.create(login=login, full_name=name, password_hash=password_hash)
        await models.RoleGrant.create(user=second, role=models.Role.TEACHER, school=school)
        teachers = [teacher_of[(class_name, subject)], second]
        split.groups[(class_name, subject)] = await _split(
            school, year, classes, subjects, class_name, subject, teachers
        )
    class_name, subject = COMPUTING
    if (class_name, subject) in teacher_of:
        teacher = teacher_of[(class_name, subject)]
        split.groups[(class_name, subject)] = await _split(
            school, year, classes, subjects, class_name, subject, [teacher, teacher], "computing"
        )
    return split


async def _split(
    school: models.School,
    year: models.AcademicYear,
    classes: dict[str, models.SchoolClass],
    subjects: dict[str, models.Subject],
    class_name: str,
    subject: str,
    teachers: list[models.User],
    word: str | None = None,
) -> list[tuple[models.ClassGroup, int]]:
    klass = classes[class_name]
    await models.TeachingAssignment.filter(
        teacher_id=teachers[0].id, school_class_id=klass.id, subject_id=subjects[subject].id
    ).delete()
    out = []
    for number, teacher in enumerate(teachers, start=1):
        group = await models.ClassGroup.create(
            school=school,
            academic_year=year,
            home_class=klass,
            name=f"{class_name} {word or subject} {number}",
            kind=models.GroupKind.SPLIT,
        )
        await models.ClassGroupClass.create(group=group, school_class=klass)
        await models.TeachingAssignment.create(
            teacher=teacher, school_class=klass, subject=subjects[subject], group=group
        )
        out.append((group, teacher.id))
    return out


def group_slots(
    split: Split,
    slots: list[tuple[str, str, int, int]],
    teacher_ids: dict[tuple[str, str], int],
    periods: int,
) -> list[tuple[str, str, int, int, models.ClassGroup | None, int]]:
    """The class-wide slots ``(class, subject, weekday, period)`` with the groups' in place of
    the split ones: ``(class, subject, weekday, period, group, teacher id)``. A group whose
    teacher also gives the other group (computing) moves to the first hour its class and
    teacher have free."""
    busy_class = {(c, w, p) for c, _s, w, p in slots}
    busy_teacher = {(teacher_ids[(c, s)], w, p) for c, s, w, p in slots}
    out: list[tuple[str, str, int, int, models.ClassGroup | None, int]] = []
    for c, s, w, p in slots:
        groups = split.groups.get((c, s))
        if not groups:
            out.append((c, s, w, p, None, teacher_ids[(c, s)]))
            continue
        for index, (group, teacher) in enumerate(groups):
            day, period = w, p
            if index and teacher in {t for _g, t in groups[:index]}:
                day, period = next(
                    (d, q)
                    for d in [w] + [x for x in range(1, 6) if x != w]
                    for q in range(1, periods + 1)
                    if (c, d, q) not in busy_class and (teacher, d, q) not in busy_teacher
                )
                busy_class.add((c, day, period))
                busy_teacher.add((teacher, day, period))
            out.append((c, s, day, period, group, teacher))
    return out


async def join(split: Split, students: dict[str, list[models.Student]], start: date) -> None:
    """The class's children alternately in group 1 and group 2, from the year's first day."""
    rows = []
    for (class_name, _subject), groups in split.groups.items():
        for index, student in enumerate(students.get(class_name, [])):
            group = groups[index % len(groups)][0]
            split.members.setdefault(group.id, set()).add(student.id)
            rows.append(models.GroupMembership(student_id=student.id, group_id=group.id, start_date=start))
    await models.GroupMembership.bulk_create(rows)
