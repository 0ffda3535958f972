from tortoise import migrations
from tortoise.migrations import operations as ops
from models.group import GroupKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0021_password_recovery')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ClassGroup',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('school', fields.ForeignKeyField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name='class_groups', on_delete=OnDelete.CASCADE)),
                ('academic_year', fields.ForeignKeyField('models.AcademicYear', source_field='academic_year_id', db_constraint=True, to_field='id', related_name='class_groups', on_delete=OnDelete.CASCADE)),
                ('home_class', fields.ForeignKeyField('models.SchoolClass', source_field='home_class_id', db_constraint=True, to_field='id', related_name='home_groups', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=100)),
                ('kind', fields.CharEnumField(description='SPLIT: SPLIT\nCROSS_CLASS: CROSS_CLASS', enum_type=GroupKind, max_length=16)),
                ('ended_on', fields.DateField(null=True)),
            ],
            options={'table': 'class_group', 'app': 'models', 'unique_together': (('academic_year', 'name'),), 'pk_attr': 'id', 'table_description': 'A group of one academic year. ``home_class`` is the class its lessons and timetable'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ClassGroupClass',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('group', fields.ForeignKeyField('models.ClassGroup', source_field='group_id', db_constraint=True, to_field='id', related_name='class_links', on_delete=OnDelete.CASCADE)),
                ('school_class', fields.ForeignKeyField('models.SchoolClass', source_field='school_class_id', db_constraint=True, to_field='id', related_name='group_links', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'class_group_class', 'app': 'models', 'unique_together': (('group', 'school_class'),), 'pk_attr': 'id', 'table_description': 'One class a group draws its students from (one row for a split, two or more for a'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='GroupMembership',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('student', fields.ForeignKeyField('models.Student', source_field='student_id', db_constraint=True, to_field='id', related_name='group_memberships', on_delete=OnDelete.CASCADE)),
                ('group', fields.ForeignKeyField('models.ClassGroup', source_field='group_id', db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.CASCADE)),
                ('start_date', fields.DateField()),
                ('end_date', fields.DateField(null=True)),
            ],
            options={'table': 'group_membership', 'app': 'models', 'indexes': [Index(fields=['group_id', 'start_date']), Index(fields=['student_id', 'start_date'])], 'pk_attr': 'id', 'table_description': "A student's membership of a group from ``start_date`` to ``end_date`` (inclusive, open"},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Lesson',
            name='group',
            field=fields.ForeignKeyField('models.ClassGroup', source_field='group_id', null=True, db_constraint=True, to_field='id', related_name='lessons', on_delete=OnDelete.RESTRICT),
        ),
        ops.AlterModelOptions(
            name='TeachingAssignment',
            options={'table': 'teaching_assignment', 'app': 'models', 'unique_together': (('teacher', 'school_class', 'subject'),), 'pk_attr': 'id', 'table_description': 'A teacher teaches ``subject`` in ``school_class``, or only to ``group`` of it (then'},
        ),
        ops.AddField(
            model_name='TeachingAssignment',
            name='group',
            field=fields.ForeignKeyField('models.ClassGroup', source_field='group_id', null=True, db_constraint=True, to_field='id', related_name='teaching_assignments', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='TimetableSlot',
            name='group',
            field=fields.ForeignKeyField('models.ClassGroup', source_field='group_id', null=True, db_constraint=True, to_field='id', related_name='timetable', on_delete=OnDelete.CASCADE),
        ),
    ]
