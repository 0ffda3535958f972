"""A child's own login made by a guardian: who made it (``created_by``), and who switched an
account off (``deactivated_by``), so that a guardian switches back on only what a guardian
switched off."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0019_second_factor")]

    initial = False

    operations = [
        ops.AddField(
            model_name="User",
            name="created_by",
            field=fields.ForeignKeyField(
                "models.User",
                source_field="created_by_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name="logins_created",
                on_delete=OnDelete.SET_NULL,
            ),
        ),
        ops.AddField(
            model_name="User",
            name="deactivated_by",
            field=fields.ForeignKeyField(
                "models.User",
                source_field="deactivated_by_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name="accounts_deactivated",
                on_delete=OnDelete.SET_NULL,
            ),
        ),
    ]
