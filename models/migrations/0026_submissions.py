from tortoise import migrations
from tortoise.migrations import operations as ops
from models.submission import SubmissionStatus
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0025_files')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Submission',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('homework', fields.ForeignKeyField('models.Homework', source_field='homework_id', db_constraint=True, to_field='id', related_name='submissions', on_delete=OnDelete.CASCADE)),
                ('student', fields.ForeignKeyField('models.Student', source_field='student_id', db_constraint=True, to_field='id', related_name='submissions', on_delete=OnDelete.CASCADE)),
                ('text', fields.TextField(default='', unique=False)),
                ('status', fields.CharEnumField(description='ASSIGNED: ASSIGNED\nSUBMITTED: SUBMITTED\nLATE: LATE\nRETURNED: RETURNED\nGRADED: GRADED', enum_type=SubmissionStatus, max_length=16)),
                ('late', fields.BooleanField(default=False)),
                ('attempt', fields.IntField(default=1)),
                ('submitted_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('returned_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('returned_by', fields.ForeignKeyField('models.User', source_field='returned_by_id', null=True, db_constraint=True, to_field='id', related_name='submissions_returned', on_delete=OnDelete.SET_NULL)),
                ('return_comment', fields.TextField(null=True, unique=False)),
                ('grade', fields.ForeignKeyField('models.Grade', source_field='grade_id', null=True, db_constraint=True, to_field='id', related_name='submissions', on_delete=OnDelete.SET_NULL)),
                ('graded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'submission', 'app': 'models', 'unique_together': (('homework_id', 'student_id'),), 'pk_attr': 'id', 'table_description': "One student's work for one homework (one row per pair: a resubmission replaces the text"},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='OutboxEvent',
            name='submission',
            field=fields.ForeignKeyField('models.Submission', source_field='submission_id', null=True, db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='StoredFile',
            name='submission',
            field=fields.ForeignKeyField('models.Submission', source_field='submission_id', null=True, db_constraint=True, to_field='id', related_name='files', on_delete=OnDelete.CASCADE),
        ),
    ]
