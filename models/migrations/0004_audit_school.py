from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0003_journal')]

    initial = False

    operations = [
        ops.AlterModelOptions(
            name='AuditEntry',
            options={'table': 'audit_entry', 'app': 'models', 'indexes': [Index(fields=['object_type', 'object_id']), Index(fields=['actor_id', 'at']), Index(fields=['school_id', 'at'])], 'pk_attr': 'id', 'table_description': "One write. ``school`` is the school whose data it changed, when there is one: a school's"},
        ),
        ops.AddField(
            model_name='AuditEntry',
            name='school',
            field=fields.ForeignKeyField('models.School', source_field='school_id', null=True, db_constraint=True, to_field='id', related_name='audit_entries', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddIndex(
            model_name='AuditEntry',
            index=Index(fields=['school_id', 'at']),
        ),
    ]
