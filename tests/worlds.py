"""Small worlds several test modules share, built from the factories."""

from __future__ import annotations

from dataclasses import dataclass

import models
from resolvers.core import today_utc
from tests.client import Client
from tests.factories import Factory, SchoolKit, school_days_before


@dataclass
class GradedFamily:
    """A 5A child with a parent, a classmate with another parent, and 5A's mathematics teacher
    with a few past lessons to grade (``lessons``, oldest first)."""

    kit: SchoolKit
    teacher: models.User
    parent: models.User
    other_parent: models.User
    child: models.Student
    classmate: models.Student
    lessons: list[models.Lesson]
    factory: Factory

    @property
    def lesson(self) -> models.Lesson:
        """The latest past lesson."""
        return self.lessons[-1]

    def as_teacher(self) -> Client:
        return self.factory.client(self.teacher)

    def as_parent(self) -> Client:
        return self.factory.client(self.parent)

    def as_other_parent(self) -> Client:
        return self.factory.client(self.other_parent)


async def graded_family(factory: Factory, lessons: int = 3) -> GradedFamily:
    kit = await factory.school(classes=("5A",))
    teacher = await factory.teacher(kit, [("5A", "Mathematics")], name="maths")
    parent, other_parent = await factory.parent("parent"), await factory.parent("parent2")
    child = await factory.student(kit, "5A", "child", guardians=[parent])
    classmate = await factory.student(kit, "5A", "classmate", guardians=[other_parent])
    days = school_days_before(today_utc(), lessons)
    past = await factory.lessons(kit, "5A", "Mathematics", teacher, days)
    return GradedFamily(kit, teacher, parent, other_parent, child, classmate, past, factory)
