from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.roster import RevocationCategory
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0015_sessions')]

    initial = False

    operations = [
        ops.CreateModel(
            name='GuardianshipRevocation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('guardianship', fields.ForeignKeyField('models.Guardianship', source_field='guardianship_id', db_constraint=True, to_field='id', related_name='revocations', on_delete=OnDelete.CASCADE)),
                ('category', fields.CharEnumField(description='COURT_ORDER: COURT_ORDER\nCUSTODY_CHANGE: CUSTODY_CHANGE\nGUARDIAN_REQUEST: GUARDIAN_REQUEST\nENTERED_BY_MISTAKE: ENTERED_BY_MISTAKE\nOTHER: OTHER', enum_type=RevocationCategory, max_length=32)),
                ('reason', fields.CharField(max_length=500)),
                ('revoked_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_by', fields.ForeignKeyField('models.User', source_field='revoked_by_id', null=True, db_constraint=True, to_field='id', related_name='guardianships_revoked', on_delete=OnDelete.SET_NULL)),
                ('restored_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('restored_by', fields.ForeignKeyField('models.User', source_field='restored_by_id', null=True, db_constraint=True, to_field='id', related_name='guardianships_restored', on_delete=OnDelete.SET_NULL)),
                ('chat_members', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'guardianship_revocation', 'app': 'models', 'indexes': [Index(fields=['guardianship_id', 'revoked_at'])], 'pk_attr': 'id', 'table_description': "One revocation of a guardianship by a school's admin, open until it is restored. The"},
            bases=['Model'],
        ),
        ops.AlterModelOptions(
            name='Guardianship',
            options={'table': 'guardianship', 'app': 'models', 'indexes': [Index(fields=['guardian_id', 'student_id'])], 'pk_attr': 'id', 'table_description': 'A parent or legal representative of a student. Revoking keeps the row for history:'},
        ),
    ]
