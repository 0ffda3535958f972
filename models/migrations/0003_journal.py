from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.attendance import AbsenceNoticeKind
from models.journal import GradeKind, RevisionAction
from models.remark import RemarkKind
from models.school import ScaleKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_outbox_class')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AbsenceNotice',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('student', fields.ForeignKeyField('models.Student', source_field='student_id', db_constraint=True, to_field='id', related_name='absence_notices', on_delete=OnDelete.CASCADE)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', db_constraint=True, to_field='id', related_name='absence_notices', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='BY_DAY: BY_DAY\nLESSONS: LESSONS', enum_type=AbsenceNoticeKind, max_length=16)),
                ('start_date', fields.DateField()),
                ('end_date', fields.DateField()),
                ('reason', fields.CharField(max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'absence_notice', 'app': 'models', 'indexes': [Index(fields=['student_id', 'start_date'])], 'pk_attr': 'id', 'table_description': "A parent's notice that their child will miss (or missed) school: whole days from"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AbsenceNoticeItem',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('notice', fields.ForeignKeyField('models.AbsenceNotice', source_field='notice_id', db_constraint=True, to_field='id', related_name='items', on_delete=OnDelete.CASCADE)),
                ('student', fields.ForeignKeyField('models.Student', source_field='student_id', db_constraint=True, to_field='id', related_name='absence_notice_items', on_delete=OnDelete.CASCADE)),
                ('date', fields.DateField()),
                ('lesson', fields.ForeignKeyField('models.Lesson', source_field='lesson_id', null=True, db_constraint=True, to_field='id', related_name='absence_notice_items', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'absence_notice_item', 'app': 'models', 'indexes': [Index(fields=['student_id', 'date']), Index(fields=['notice_id'])], 'pk_attr': 'id', 'table_description': 'One day (BY_DAY: ``lesson`` null) or one lesson (LESSONS) a notice covers.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AttendanceRevision',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('student', fields.ForeignKeyField('models.Student', source_field='student_id', db_constraint=True, to_field='id', related_name='attendance_revisions', on_delete=OnDelete.CASCADE)),
                ('lesson', fields.ForeignKeyField('models.Lesson', source_field='lesson_id', db_constraint=True, to_field='id', related_name='attendance_revisions', on_delete=OnDelete.CASCADE)),
                ('actor', fields.ForeignKeyField('models.User', source_field='actor_id', db_constraint=True, to_field='id', related_name='attendance_revisions', on_delete=OnDelete.RESTRICT)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('old_status', fields.CharField(null=True, max_length=20)),
                ('new_status', fields.CharField(null=True, max_length=20)),
                ('old_late_minutes', fields.SmallIntField(null=True)),
                ('new_late_minutes', fields.SmallIntField(null=True)),
                ('old_reason', fields.CharField(null=True, max_length=500)),
                ('new_reason', fields.CharField(null=True, max_length=500)),
            ],
            options={'table': 'attendance_revision', 'app': 'models', 'indexes': [Index(fields=['lesson_id', 'student_id', 'at'])], 'pk_attr': 'id', 'table_description': 'One change of a mark, append-only: re-marking a register replaces the mark and keeps'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='GradeRevision',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('grade', fields.ForeignKeyField('models.Grade', source_field='grade_id', db_constraint=True, to_field='id', related_name='revisions', on_delete=OnDelete.CASCADE)),
                ('action', fields.CharEnumField(description='CREATED: CREATED\nUPDATED: UPDATED\nDELETED: DELETED', enum_type=RevisionAction, max_length=16)),
                ('actor', fields.ForeignKeyField('models.User', source_field='actor_id', db_constraint=True, to_field='id', related_name='grade_revisions', on_delete=OnDelete.RESTRICT)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('old_value', fields.CharField(null=True, max_length=16)),
                ('new_value', fields.CharField(null=True, max_length=16)),
                ('old_weight', fields.SmallIntField(null=True)),
                ('new_weight', fields.SmallIntField(null=True)),
                ('old_kind', fields.CharField(null=True, max_length=20)),
                ('new_kind', fields.CharField(null=True, max_length=20)),
                ('old_comment', fields.CharField(null=True, max_length=1000)),
                ('new_comment', fields.CharField(null=True, max_length=1000)),
                ('reason', fields.CharField(null=True, max_length=500)),
            ],
            options={'table': 'grade_revision', 'app': 'models', 'indexes': [Index(fields=['grade_id', 'at'])], 'pk_attr': 'id', 'table_description': 'One change of a grade, append-only: who, when, what it was, what it became, and why.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Remark',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('student', fields.ForeignKeyField('models.Student', source_field='student_id', db_constraint=True, to_field='id', related_name='remarks', on_delete=OnDelete.CASCADE)),
                ('school_class', fields.ForeignKeyField('models.SchoolClass', source_field='school_class_id', db_constraint=True, to_field='id', related_name='remarks', on_delete=OnDelete.RESTRICT)),
                ('author', fields.ForeignKeyField('models.User', source_field='author_id', db_constraint=True, to_field='id', related_name='remarks_written', on_delete=OnDelete.RESTRICT)),
                ('subject', fields.ForeignKeyField('models.Subject', source_field='subject_id', null=True, db_constraint=True, to_field='id', related_name='remarks', on_delete=OnDelete.RESTRICT)),
                ('lesson', fields.ForeignKeyField('models.Lesson', source_field='lesson_id', null=True, db_constraint=True, to_field='id', related_name='remarks', on_delete=OnDelete.SET_NULL)),
                ('kind', fields.CharEnumField(description='PRAISE: PRAISE\nBEHAVIOUR: BEHAVIOUR\nMISSING_WORK: MISSING_WORK\nOTHER: OTHER', enum_type=RemarkKind, max_length=16)),
                ('text', fields.CharField(max_length=2000)),
                ('date', fields.DateField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('acknowledged_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('acknowledged_by', fields.ForeignKeyField('models.User', source_field='acknowledged_by_id', null=True, db_constraint=True, to_field='id', related_name='remarks_acknowledged', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'remark', 'app': 'models', 'indexes': [Index(fields=['student_id', 'date'])], 'pk_attr': 'id', 'table_description': "A teacher's note on a student, optionally about a lesson. The first guardian (or the"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TermGrade',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('student', fields.ForeignKeyField('models.Student', source_field='student_id', db_constraint=True, to_field='id', related_name='term_grades', on_delete=OnDelete.CASCADE)),
                ('subject', fields.ForeignKeyField('models.Subject', source_field='subject_id', db_constraint=True, to_field='id', related_name='term_grades', on_delete=OnDelete.RESTRICT)),
                ('school_class', fields.ForeignKeyField('models.SchoolClass', source_field='school_class_id', db_constraint=True, to_field='id', related_name='term_grades', on_delete=OnDelete.RESTRICT)),
                ('academic_year', fields.ForeignKeyField('models.AcademicYear', source_field='academic_year_id', db_constraint=True, to_field='id', related_name='term_grades', on_delete=OnDelete.RESTRICT)),
                ('term', fields.ForeignKeyField('models.Term', source_field='term_id', null=True, db_constraint=True, to_field='id', related_name='term_grades', on_delete=OnDelete.RESTRICT)),
                ('period_key', fields.CharField(max_length=32)),
                ('teacher', fields.ForeignKeyField('models.User', source_field='teacher_id', db_constraint=True, to_field='id', related_name='term_grades_given', on_delete=OnDelete.RESTRICT)),
                ('value', fields.CharField(max_length=16)),
                ('numeric_value', fields.FloatField(null=True)),
                ('comment', fields.CharField(null=True, max_length=1000)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'term_grade', 'app': 'models', 'unique_together': (('student', 'subject', 'period_key'),), 'indexes': [Index(fields=['school_class_id', 'subject_id', 'period_key'])], 'pk_attr': 'id', 'table_description': 'A final grade of a student in a subject for a term, or for the whole year when'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TermGradeRevision',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('term_grade', fields.ForeignKeyField('models.TermGrade', source_field='term_grade_id', db_constraint=True, to_field='id', related_name='revisions', on_delete=OnDelete.CASCADE)),
                ('action', fields.CharEnumField(description='CREATED: CREATED\nUPDATED: UPDATED\nDELETED: DELETED', enum_type=RevisionAction, max_length=16)),
                ('actor', fields.ForeignKeyField('models.User', source_field='actor_id', db_constraint=True, to_field='id', related_name='term_grade_revisions', on_delete=OnDelete.RESTRICT)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('old_value', fields.CharField(null=True, max_length=16)),
                ('new_value', fields.CharField(null=True, max_length=16)),
                ('reason', fields.CharField(null=True, max_length=500)),
            ],
            options={'table': 'term_grade_revision', 'app': 'models', 'indexes': [Index(fields=['term_grade_id', 'at'])], 'pk_attr': 'id', 'table_description': 'One change of a term or year grade, append-only (see ``GradeRevision``).'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Attendance',
            name='notice',
            field=fields.ForeignKeyField('models.AbsenceNotice', source_field='notice_id', null=True, db_constraint=True, to_field='id', related_name='marks', on_delete=OnDelete.SET_NULL),
        ),
        ops.AlterField(
            model_name='Grade',
            name='kind',
            field=fields.CharEnumField(default=GradeKind.CLASSWORK, description='CLASSWORK: CLASSWORK\nHOMEWORK: HOMEWORK\nORAL: ORAL\nQUIZ: QUIZ\nTEST: TEST\nLAB_WORK: LAB_WORK\nPROJECT: PROJECT\nCONTROL_WORK: CONTROL_WORK\nEXAM: EXAM', enum_type=GradeKind, max_length=20),
        ),
        ops.AddField(
            model_name='Grade',
            name='delete_reason',
            field=fields.CharField(null=True, max_length=500),
        ),
        ops.AddField(
            model_name='Grade',
            name='deleted_by',
            field=fields.ForeignKeyField('models.User', source_field='deleted_by_id', null=True, db_constraint=True, to_field='id', related_name='grades_deleted', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='Homework',
            name='assigned_in',
            field=fields.ForeignKeyField('models.Lesson', source_field='assigned_in_id', null=True, db_constraint=True, to_field='id', related_name='homework_set', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Homework',
            name='deleted_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='OutboxEvent',
            name='remark',
            field=fields.ForeignKeyField('models.Remark', source_field='remark_id', null=True, db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='OutboxEvent',
            name='term_grade',
            field=fields.ForeignKeyField('models.TermGrade', source_field='term_grade_id', null=True, db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='School',
            name='kind_weights',
            field=fields.JSONField(null=True, default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='School',
            name='rounding_threshold',
            field=fields.FloatField(default=0.5, db_default=0.5),
        ),
        ops.AddField(
            model_name='School',
            name='scale_kind',
            field=fields.CharEnumField(default=ScaleKind.NUMERIC, description='NUMERIC: NUMERIC\nLETTER: LETTER\nPASS_FAIL: PASS_FAIL', db_default='NUMERIC', enum_type=ScaleKind, max_length=16),
        ),
        ops.AddField(
            model_name='School',
            name='scale_marks',
            field=fields.JSONField(null=True, default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
    ]
