"""A teacher may hold two group assignments of one class + subject ("5A English 1" and "5A
English 2", issue 21): the unique key of ``teaching_assignment`` gains the group.

NULLs are distinct in a UNIQUE constraint on both backends, so the new key alone would let a
teacher hold the same class-wide assignment twice: a partial unique index keeps that one
(``group_id IS NULL``). SQLite cannot drop a constraint written inside CREATE TABLE (its index
is the table's own), so there the table is rebuilt without it (the schema editor's own rebuild,
as for a removed column) before the new unique index is made; PostgreSQL drops the constraint."""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.migrations.constraints import UniqueConstraint

OLD_KEY = ["teacher", "school_class", "subject"]


class RemoveInlineUnique(ops.RemoveConstraint):
    """``RemoveConstraint``, except on SQLite, where the table is rebuilt without the inline
    UNIQUE (the rebuild copies every row and column; the table has no other index)."""

    async def database_forward(
        self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None
    ) -> None:
        if state_editor is not None and state_editor.DIALECT == "sqlite":
            model = new_state.apps.get_model(f"{app_label}.{self.model_name}")
            await state_editor._remake_table(model)
            return
        await super().database_forward(app_label, old_state, new_state, state_editor)

    async def database_backward(
        self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None
    ) -> None:
        await super().database_backward(app_label, old_state, new_state, state_editor)


class Migration(migrations.Migration):
    dependencies = [('models', '0023_lesson_plans')]

    initial = False

    operations = [
        RemoveInlineUnique(
            model_name='TeachingAssignment',
            name=None,
            fields=OLD_KEY,
        ),
        ops.AddConstraint(
            model_name='TeachingAssignment',
            constraint=UniqueConstraint(fields=('teacher', 'school_class', 'subject', 'group'), name=None),
        ),
        ops.RunSQL(
            'CREATE UNIQUE INDEX "uidx_teaching_assignment_class_wide" ON "teaching_assignment" '
            '("teacher_id", "school_class_id", "subject_id") WHERE "group_id" IS NULL',
            'DROP INDEX "uidx_teaching_assignment_class_wide"',
        ),
    ]
