from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0024_group_assignments')]

    initial = False

    operations = [
        ops.CreateModel(
            name='StoredFile',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, max_length=64)),
                ('name', fields.CharField(max_length=200)),
                ('uploaded_by', fields.ForeignKeyField('models.User', source_field='uploaded_by_id', db_constraint=True, to_field='id', related_name='files_uploaded', on_delete=OnDelete.CASCADE)),
                ('size', fields.IntField(null=True)),
                ('content_type', fields.CharField(null=True, max_length=100)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('uploaded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('attached_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('homework', fields.ForeignKeyField('models.Homework', source_field='homework_id', null=True, db_constraint=True, to_field='id', related_name='files', on_delete=OnDelete.CASCADE)),
                ('announcement', fields.ForeignKeyField('models.Announcement', source_field='announcement_id', null=True, db_constraint=True, to_field='id', related_name='files', on_delete=OnDelete.CASCADE)),
                ('message', fields.ForeignKeyField('models.Message', source_field='message_id', null=True, db_constraint=True, to_field='id', related_name='files', on_delete=OnDelete.CASCADE)),
                ('remark', fields.ForeignKeyField('models.Remark', source_field='remark_id', null=True, db_constraint=True, to_field='id', related_name='files', on_delete=OnDelete.CASCADE)),
                ('absence_notice', fields.ForeignKeyField('models.AbsenceNotice', source_field='absence_notice_id', null=True, db_constraint=True, to_field='id', related_name='files', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'stored_file', 'app': 'models', 'indexes': [Index(fields=['attached_at', 'expires_at'])], 'pk_attr': 'id', 'table_description': "A file uploaded by ``uploaded_by``. It is pending (its uploader's alone, attached to"},
            bases=['Model'],
        ),
    ]
