from tortoise import migrations
from tortoise.migrations import operations as ops
from models.journal import GradeKind
from models.notification import NotificationCategory
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0022_groups')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PlannedAssessment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('lesson', fields.OneToOneField('models.Lesson', source_field='lesson_id', db_constraint=True, to_field='id', related_name='planned_assessment', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='CLASSWORK: CLASSWORK\nHOMEWORK: HOMEWORK\nORAL: ORAL\nQUIZ: QUIZ\nTEST: TEST\nLAB_WORK: LAB_WORK\nPROJECT: PROJECT\nCONTROL_WORK: CONTROL_WORK\nDICTATION: DICTATION\nEXAM: EXAM', enum_type=GradeKind, max_length=20)),
                ('description', fields.CharField(max_length=1000)),
                ('planned_by', fields.ForeignKeyField('models.User', source_field='planned_by_id', db_constraint=True, to_field='id', related_name='assessments_planned', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('cancelled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'planned_assessment', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An assessment a teacher announces for a lesson (a control work, a test, a dictation: a'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AssessmentReminder',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('planned_assessment', fields.ForeignKeyField('models.PlannedAssessment', source_field='planned_assessment_id', db_constraint=True, to_field='id', related_name='reminders', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='assessment_reminders', on_delete=OnDelete.CASCADE)),
                ('lesson_date', fields.DateField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'assessment_reminder', 'app': 'models', 'unique_together': (('planned_assessment', 'user', 'lesson_date'),), 'pk_attr': 'id', 'table_description': "That a user was reminded of an assessment for its lesson's date: written with the"},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Grade',
            name='kind',
            field=fields.CharEnumField(default=GradeKind.CLASSWORK, description='CLASSWORK: CLASSWORK\nHOMEWORK: HOMEWORK\nORAL: ORAL\nQUIZ: QUIZ\nTEST: TEST\nLAB_WORK: LAB_WORK\nPROJECT: PROJECT\nCONTROL_WORK: CONTROL_WORK\nDICTATION: DICTATION\nEXAM: EXAM', enum_type=GradeKind, max_length=20),
        ),
        ops.AddField(
            model_name='Lesson',
            name='plan_note',
            field=fields.CharField(null=True, max_length=1000),
        ),
        ops.AlterField(
            model_name='Notification',
            name='category',
            field=fields.CharEnumField(description='GRADES: GRADES\nABSENCES: ABSENCES\nHOMEWORK: HOMEWORK\nREMARKS: REMARKS\nANNOUNCEMENTS: ANNOUNCEMENTS\nMEETINGS: MEETINGS\nCHAT_MESSAGES: CHAT_MESSAGES\nASSESSMENTS: ASSESSMENTS', enum_type=NotificationCategory, max_length=16),
        ),
        ops.AddField(
            model_name='Notification',
            name='planned_assessment',
            field=fields.ForeignKeyField('models.PlannedAssessment', source_field='planned_assessment_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='NotificationSettings',
            name='reminder_hour',
            field=fields.SmallIntField(null=True),
        ),
    ]
