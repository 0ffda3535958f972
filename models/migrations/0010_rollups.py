from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0009_org')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AttendanceRollup',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('school_id', fields.IntField()),
                ('term_id', fields.IntField()),
                ('school_class_id', fields.IntField()),
                ('week_start', fields.DateField()),
                ('marked', fields.IntField(default=0)),
                ('present', fields.IntField(default=0)),
                ('late', fields.IntField(default=0)),
                ('excused', fields.IntField(default=0)),
                ('unexcused', fields.IntField(default=0)),
            ],
            options={'table': 'rollup_attendance', 'app': 'models', 'unique_together': (('school_id', 'term_id', 'school_class_id', 'week_start'),), 'indexes': [Index(fields=['term_id', 'school_id'])], 'pk_attr': 'id', 'table_description': 'Attendance marks per term, class and week (its Monday).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='GradeRollup',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('school_id', fields.IntField()),
                ('term_id', fields.IntField()),
                ('school_class_id', fields.IntField()),
                ('subject_id', fields.IntField()),
                ('teacher_id', fields.IntField()),
                ('grades', fields.IntField(default=0)),
                ('weight', fields.BigIntField(default=0)),
                ('mark_sum', fields.BigIntField(default=0)),
                ('weighted_sum', fields.BigIntField(default=0)),
            ],
            options={'table': 'rollup_grade', 'app': 'models', 'unique_together': (('school_id', 'term_id', 'school_class_id', 'subject_id', 'teacher_id'),), 'indexes': [Index(fields=['term_id', 'school_id'])], 'pk_attr': 'id', 'table_description': 'Counted grades per term, class, subject and teacher (who gave them).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='GradeWeekRollup',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('school_id', fields.IntField()),
                ('term_id', fields.IntField()),
                ('week_start', fields.DateField()),
                ('mark', fields.IntField()),
                ('grades', fields.IntField(default=0)),
                ('weight', fields.BigIntField(default=0)),
            ],
            options={'table': 'rollup_grade_week', 'app': 'models', 'unique_together': (('school_id', 'term_id', 'week_start', 'mark'),), 'indexes': [Index(fields=['term_id', 'school_id'])], 'pk_attr': 'id', 'table_description': 'Counted grades per term, week (its Monday) and mark: the distribution and the weeks.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LowestMarkRollup',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('school_id', fields.IntField()),
                ('term_id', fields.IntField()),
                ('school_class_id', fields.IntField()),
                ('lowest', fields.IntField()),
                ('students', fields.IntField(default=0)),
            ],
            options={'table': 'rollup_lowest_mark', 'app': 'models', 'unique_together': (('school_id', 'term_id', 'school_class_id', 'lowest'),), 'indexes': [Index(fields=['term_id', 'school_id'])], 'pk_attr': 'id', 'table_description': 'How many students of a class have ``lowest`` as their lowest counted mark of the term:'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StudentAttendanceRollup',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('school_id', fields.IntField()),
                ('term_id', fields.IntField()),
                ('school_class_id', fields.IntField()),
                ('student_id', fields.IntField()),
                ('marked', fields.IntField(default=0)),
                ('unexcused', fields.IntField(default=0)),
            ],
            options={'table': 'rollup_student_attendance', 'app': 'models', 'unique_together': (('school_id', 'term_id', 'school_class_id', 'student_id'),), 'indexes': [Index(fields=['term_id', 'school_id'])], 'pk_attr': 'id', 'table_description': "A student's attendance marks per term and class: the at-risk list's absences."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StudentMarkRollup',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('school_id', fields.IntField()),
                ('term_id', fields.IntField()),
                ('school_class_id', fields.IntField()),
                ('student_id', fields.IntField()),
                ('mark', fields.IntField()),
                ('grades', fields.IntField(default=0)),
                ('weight', fields.BigIntField(default=0)),
            ],
            options={'table': 'rollup_student_mark', 'app': 'models', 'unique_together': (('school_id', 'term_id', 'school_class_id', 'student_id', 'mark'),), 'indexes': [Index(fields=['term_id', 'school_id']), Index(fields=['student_id'])], 'pk_attr': 'id', 'table_description': "A student's counted grades per term and class, by mark: the student's average, and"},
            bases=['Model'],
        ),
    ]
