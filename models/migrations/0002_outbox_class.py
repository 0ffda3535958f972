from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(
            model_name='OutboxEvent',
            name='school_class',
            field=fields.ForeignKeyField('models.SchoolClass', source_field='school_class_id', null=True, db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE),
        ),
        ops.AddIndex(
            model_name='OutboxEvent',
            index=Index(fields=['school_class_id', 'id']),
        ),
    ]
