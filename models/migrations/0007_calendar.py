from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('models', '0004_audit_school')]

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
        ops.AddConstraint(
            model_name='Lesson',
            constraint=UniqueConstraint(fields=('slot', 'date'), name=None),
        ),
    ]
