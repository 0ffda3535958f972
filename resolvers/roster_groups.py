"""The roster import's ``group`` column (issue 21): a student row names the class groups the
child is in, ``;`` between several (``5A English 1;5A computing 2``).

- A name is a group of the school's current academic year (compared ignoring case). A group
  the year does not have yet is created: a split of the child's class, or, when students of
  several classes name it in the same file, a cross-class group of those classes (parallel
  classes only: one grade level, else GROUP_CLASSES_MIXED); its home class is the class of the
  first row naming it. Names are the school's own: another school's groups are never seen.
- An existing group must draw from the child's class (the row's ``class``): else
  NOT_IN_GROUP_CLASSES; one that has ended takes no one (GROUP_ENDED).
- The child joins each named group from the import's date (today, or the year's first day
  before it starts), unless already in it then. The import only adds: groups a row does not
  name keep the child (a move between groups is ``classGroupMembersMove``), and an empty cell
  changes nothing. Importing the same file again changes nothing.

Reads a fixed number of statements whatever the file's size; writes bulk statements in the
import's transaction, audited as ``group.create`` and ``group.move`` (ids, names of groups,
dates: never a child's name)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from tortoise.expressions import Q

import models
from resolvers import audit
from resolvers.codes import ErrorCode
from resolvers.core import _, ngettext
from resolvers.errors import RowProblem
from resolvers.groups import MAX_GROUP_NAME
from resolvers.sessions import Viewer

if TYPE_CHECKING:
    from resolvers.roster_rows import Row

BATCH = 500


def names_of(row: Row) -> list[str]:
    """The group names of a row's ``group`` cell, once each, in the file's order."""
    named = (" ".join(n.split()) for n in row.groups.split(";"))
    return list(dict.fromkeys(n for n in named if n))


@dataclass
class NewGroup:
    name: str
    classes: list[models.SchoolClass] = field(default_factory=list)  # the home class first
    lines: list[Row] = field(default_factory=list)


class GroupPlan:
    """What the ``group`` cells of a file will create and join."""

    def __init__(self, school_id: int, year: models.AcademicYear | None, start: date) -> None:
        self.school_id, self.year, self.start = school_id, year, start
        self.groups: dict[str, models.ClassGroup] = {}  # by folded name, the year's groups
        self.group_classes: dict[int, set[int]] = defaultdict(set)
        self.member: set[tuple[int, int]] = set()  # (student, group) open on ``start``
        self.new: dict[str, NewGroup] = {}  # by folded name
        self.joins: list[tuple[str, str]] = []  # (student external id, folded group name)

    async def load(self, rows: list[Row], student_ids: list[int]) -> None:
        """The year's groups with their classes, and the file's known children's memberships:
        three statements at most."""
        if self.year is None or not any(r.groups for r in rows):
            return
        self.groups = {
            g.name.casefold(): g
            for g in await models.ClassGroup.filter(school_id=self.school_id, academic_year_id=self.year.id)
        }
        if self.groups:
            links = await models.ClassGroupClass.filter(group_id__in=[g.id for g in self.groups.values()]).values_list(
                "group_id", "school_class_id"
            )
            for group_id, class_id in links:
                self.group_classes[int(group_id)].add(int(class_id))
        if student_ids and self.groups:
            open_ = await models.GroupMembership.filter(
                Q(end_date__isnull=True) | Q(end_date__gte=self.start),
                student_id__in=student_ids,
                start_date__lte=self.start,
            ).values_list("student_id", "group_id")
            self.member = {(int(s), int(g)) for s, g in open_}

    def check(self, row: Row, klass: models.SchoolClass | None, problems: list[RowProblem]) -> None:
        """One student row's cell; ``klass`` is the row's class (None when unknown: reported
        already)."""
        for name in names_of(row):
            if len(name) > MAX_GROUP_NAME:
                problems.append(
                    RowProblem(
                        row.line,
                        "group",
                        ErrorCode.NAME_TOO_LONG,
                        ngettext(
                            "A group's name has at most {n} character.",
                            "A group's name has at most {n} characters.",
                            MAX_GROUP_NAME,
                        ),
                    )
                )
                continue
            if klass is None:
                continue
            key = name.casefold()
            group = self.groups.get(key)
            if group is None:
                new = self.new.setdefault(key, NewGroup(name))
                if klass not in new.classes:
                    new.classes.append(klass)
                new.lines.append(row)
            elif group.ended_on is not None and group.ended_on < self.start:
                problems.append(
                    RowProblem(
                        row.line,
                        "group",
                        ErrorCode.GROUP_ENDED,
                        _("The group {name!r} has ended: it takes no one.", name=group.name),
                    )
                )
                continue
            elif klass.id not in self.group_classes[group.id]:
                problems.append(
                    RowProblem(
                        row.line,
                        "group",
                        ErrorCode.NOT_IN_GROUP_CLASSES,
                        _(
                            "The group {name!r} does not draw from class {class_name}.",
                            name=group.name,
                            class_name=klass.name,
                        ),
                    )
                )
                continue
            self.joins.append((row.external_id, key))

    def finish(self, problems: list[RowProblem]) -> None:
        """A new name used by several classes is one cross-class group: parallel classes only."""
        for new in self.new.values():
            if len({c.grade_level for c in new.classes}) > 1:
                problems.extend(
                    RowProblem(
                        row.line,
                        "group",
                        ErrorCode.GROUP_CLASSES_MIXED,
                        _(
                            "Students of classes of different grade levels name the new group {name!r}: "
                            "a group's classes are parallel classes.",
                            name=new.name,
                        ),
                    )
                    for row in new.lines
                )

    def changes(self, external_id: str, student_id: int | None) -> bool:
        """Whether the import adds the child to a group."""
        for ext, key in self.joins:
            if ext == external_id:
                group = self.groups.get(key)
                if student_id is None or group is None or (student_id, group.id) not in self.member:
                    return True
        return False

    async def write(self, viewer: Viewer, student_ids: dict[str, int | None]) -> list[models.AuditEntry]:
        """Create the new groups and the memberships; the audit entries to record."""
        entries: list[models.AuditEntry] = []
        if self.new and self.year is not None:
            await models.ClassGroup.bulk_create(
                [
                    models.ClassGroup(
                        school_id=self.school_id,
                        academic_year_id=self.year.id,
                        home_class_id=new.classes[0].id,
                        name=new.name,
                        kind=models.GroupKind.SPLIT if len(new.classes) == 1 else models.GroupKind.CROSS_CLASS,
                    )
                    for new in self.new.values()
                ],
                batch_size=BATCH,
            )
            made = await models.ClassGroup.filter(
                academic_year_id=self.year.id, name__in=[new.name for new in self.new.values()]
            )
            self.groups.update({g.name.casefold(): g for g in made})
            await models.ClassGroupClass.bulk_create(
                [
                    models.ClassGroupClass(group_id=self.groups[key].id, school_class_id=c.id)
                    for key, new in self.new.items()
                    for c in new.classes
                ],
                batch_size=BATCH,
            )
            entries += [
                audit.entry(
                    viewer,
                    "group.create",
                    "ClassGroup",
                    self.groups[key].id,
                    {
                        "name": new.name,
                        "kind": self.groups[key].kind.value,
                        "classes": [c.id for c in new.classes],
                        "via": "roster.import",
                    },
                    school_id=self.school_id,
                )
                for key, new in self.new.items()
            ]
        joining: dict[int, list[int]] = defaultdict(list)  # group -> students
        for ext, key in self.joins:
            student, group = student_ids.get(ext), self.groups[key]
            if student is not None and (student, group.id) not in self.member and student not in joining[group.id]:
                joining[group.id].append(student)
        await models.GroupMembership.bulk_create(
            [
                models.GroupMembership(student_id=s, group_id=g, start_date=self.start)
                for g, students in joining.items()
                for s in students
            ],
            batch_size=BATCH,
        )
        entries += [
            audit.entry(
                viewer,
                "group.move",
                "ClassGroup",
                group_id,
                {
                    "students": students,
                    "from": None,
                    "to": group_id,
                    "date": self.start.isoformat(),
                    "via": "roster.import",
                },
                school_id=self.school_id,
            )
            for group_id, students in joining.items()
            if students
        ]
        return entries
