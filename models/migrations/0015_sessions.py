from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

async def sessions_of_live_refresh_tokens(apps, schema_editor):
    """Who is logged in stays logged in: every family of live refresh tokens becomes a session
    (its access tokens, which name no session, stop working; the app refreshes them)."""
    await schema_editor.client.execute_script(
        "INSERT INTO user_session (user_id, key, user_agent, address, created_at, last_seen_at) "
        "SELECT user_id, family, '', '', MIN(created_at), MAX(created_at) FROM refresh_token "
        "WHERE revoked_at IS NULL GROUP BY user_id, family"
    )


class Migration(migrations.Migration):
    dependencies = [('models', '0014_accounts')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Session',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('key', fields.CharField(unique=True, max_length=32)),
                ('user_agent', fields.CharField(default='', max_length=300)),
                ('address', fields.CharField(default='', max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('end_reason', fields.CharField(null=True, max_length=32)),
            ],
            options={'table': 'user_session', 'app': 'models', 'indexes': [Index(fields=['user_id', 'ended_at']), Index(fields=['ended_at'])], 'pk_attr': 'id', 'table_description': 'A login on one device: what ``viewer.sessions`` lists and ``sessionRevoke`` ends.'},
            bases=['Model'],
        ),
        ops.RunPython(sessions_of_live_refresh_tokens, ops.RunPython.noop),
    ]
