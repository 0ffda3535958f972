from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint

# Lessons generated before this migration were not linked to their slot: link each to the slot
# of its class, subject, period and weekday valid on its date, so that a later change of the
# timetable moves them instead of generating a second lesson beside them.
_LINK = """
UPDATE lesson SET slot_id = (
    SELECT MIN(s.id) FROM timetable_slot s
    WHERE s.school_class_id = lesson.school_class_id AND s.subject_id = lesson.subject_id
      AND s.period = lesson.period AND s.weekday = {weekday}
      AND s.valid_from <= lesson.date AND (s.valid_to IS NULL OR s.valid_to >= lesson.date)
)
WHERE slot_id IS NULL
"""
_WEEKDAY = {
    "postgres": "EXTRACT(ISODOW FROM lesson.date)",
    "sqlite": "((CAST(strftime('%w', lesson.date) AS INTEGER) + 6) % 7) + 1",
}


async def link_lessons_to_slots(apps, schema_editor):
    dialect = str(schema_editor.client.capabilities.dialect)
    await schema_editor.client.execute_script(_LINK.format(weekday=_WEEKDAY[dialect]))


async def unlink_lessons(apps, schema_editor):
    await schema_editor.client.execute_script("UPDATE lesson SET slot_id = NULL")


class Migration(migrations.Migration):
    dependencies = [('models', '0011_notifications')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ShortDay',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('school', fields.ForeignKeyField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name='short_days', on_delete=OnDelete.CASCADE)),
                ('date', fields.DateField()),
                ('name', fields.CharField(max_length=200)),
            ],
            options={'table': 'short_day', 'app': 'models', 'unique_together': (('school', 'date'),), 'pk_attr': 'id', 'table_description': 'A school day that follows the SHORTENED bell schedule (e.g. the eve of a holiday).'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Lesson',
            name='cancel_reason',
            field=fields.CharField(null=True, max_length=500),
        ),
        ops.AddField(
            model_name='Lesson',
            name='day_off',
            field=fields.ForeignKeyField('models.DayOff', source_field='day_off_id', null=True, db_constraint=True, to_field='id', related_name='cancelled_lessons', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Lesson',
            name='slot',
            field=fields.ForeignKeyField('models.TimetableSlot', source_field='slot_id', null=True, db_constraint=True, to_field='id', related_name='lessons', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Lesson',
            name='substitution_reason',
            field=fields.CharField(null=True, max_length=500),
        ),
        ops.RunPython(link_lessons_to_slots, unlink_lessons),
        ops.AddConstraint(
            model_name='Lesson',
            constraint=UniqueConstraint(fields=('slot', 'date'), name=None),
        ),
    ]
