from tortoise import migrations
from tortoise.migrations import operations as ops
from models.access import AccessRequestStatus, GuardianRelation, RefusalReason
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0004_audit_school')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AccessRequest',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('applicant', fields.ForeignKeyField('models.User', source_field='applicant_id', db_constraint=True, to_field='id', related_name='access_requests', on_delete=OnDelete.CASCADE)),
                ('school', fields.ForeignKeyField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name='access_requests', on_delete=OnDelete.CASCADE)),
                ('child_full_name', fields.CharField(max_length=200)),
                ('child_birth_date', fields.DateField()),
                ('birth_certificate_number', fields.CharField(max_length=50)),
                ('identity_document', fields.CharField(max_length=200)),
                ('relation', fields.CharEnumField(description='MOTHER: MOTHER\nFATHER: FATHER\nLEGAL_GUARDIAN: LEGAL_GUARDIAN\nOTHER_REPRESENTATIVE: OTHER_REPRESENTATIVE', enum_type=GuardianRelation, max_length=24)),
                ('consent_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('status', fields.CharEnumField(default=AccessRequestStatus.SUBMITTED, description='SUBMITTED: SUBMITTED\nAPPROVED: APPROVED\nREFUSED: REFUSED\nWITHDRAWN: WITHDRAWN', enum_type=AccessRequestStatus, max_length=16)),
                ('submitted_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('reviewed_by', fields.ForeignKeyField('models.User', source_field='reviewed_by_id', null=True, db_constraint=True, to_field='id', related_name='access_requests_reviewed', on_delete=OnDelete.SET_NULL)),
                ('reviewed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('refusal_reason', fields.CharEnumField(null=True, description='NOT_PARENT: NOT_PARENT\nNOT_STUDYING_HERE: NOT_STUDYING_HERE\nDOCUMENTS_INVALID: DOCUMENTS_INVALID\nCONFLICTING_INFORMATION: CONFLICTING_INFORMATION\nWITHDRAWN_ON_REQUEST: WITHDRAWN_ON_REQUEST', enum_type=RefusalReason, max_length=32)),
                ('comment', fields.CharField(null=True, max_length=2000)),
                ('student', fields.ForeignKeyField('models.Student', source_field='student_id', null=True, db_constraint=True, to_field='id', related_name='access_requests', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'access_request', 'app': 'models', 'indexes': [Index(fields=['school_id', 'status', 'due_at']), Index(fields=['applicant_id', 'submitted_at'])], 'pk_attr': 'id', 'table_description': "One application by ``applicant`` to be linked to a child of ``school``. The child's and"},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Subject',
            name='archived_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
