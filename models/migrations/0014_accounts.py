from tortoise import migrations
from tortoise.migrations import operations as ops
from models.user import RosterKind
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0013_chats')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RosterKey',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('school', fields.ForeignKeyField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name='roster_keys', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='STUDENT: STUDENT\nGUARDIAN: GUARDIAN\nTEACHER: TEACHER', enum_type=RosterKind, max_length=16)),
                ('key', fields.CharField(max_length=100)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='roster_keys', on_delete=OnDelete.CASCADE)),
                ('student', fields.ForeignKeyField('models.Student', source_field='student_id', null=True, db_constraint=True, to_field='id', related_name='roster_keys', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'roster_key', 'app': 'models', 'unique_together': (('school', 'kind', 'key'),), 'pk_attr': 'id', 'table_description': "What a roster import created, under the key the school's file names it by: a student's"},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='User',
            name='deactivated_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='User',
            name='deactivation_reason',
            field=fields.CharField(null=True, max_length=500),
        ),
        ops.AddField(
            model_name='User',
            name='must_change_password',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='User',
            name='password_changed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
