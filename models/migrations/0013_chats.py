from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

import re
import unicodedata


def fold_name(text):
    """A frozen copy of models.user.fold_name as of this migration."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(word for word in re.split(r"[\W_]+", folded) if word)


async def backfill_folded_names(apps, schema_editor):
    """Existing users get their folded name (the column is new)."""
    client = schema_editor.client
    rows = await client.execute_query_dict("SELECT id, full_name FROM user_account")
    param = "$1" if client.capabilities.dialect == "postgres" else "?"
    param2 = "$2" if client.capabilities.dialect == "postgres" else "?"
    for row in rows:
        await client.execute_query(
            f"UPDATE user_account SET name_folded = {param} WHERE id = {param2}",
            [fold_name(row["full_name"])[:200], row["id"]],
        )

class Migration(migrations.Migration):
    dependencies = [('models', '0012_calendar')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Chat',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('school', fields.ForeignKeyField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name='chats', on_delete=OnDelete.CASCADE)),
                ('title', fields.CharField(max_length=200)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', db_constraint=True, to_field='id', related_name='chats_created', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_activity_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'chat', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A conversation between people of one school. ``last_activity_at`` moves with every'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ChatMember',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('chat', fields.ForeignKeyField('models.Chat', source_field='chat_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='chat_memberships', on_delete=OnDelete.CASCADE)),
                ('is_admin', fields.BooleanField(default=False)),
                ('joined_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('removed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_read_message_id', fields.IntField(null=True)),
            ],
            options={'table': 'chat_member', 'app': 'models', 'unique_together': (('chat', 'user'),), 'indexes': [Index(fields=['user_id', 'removed_at'])], 'pk_attr': 'id', 'table_description': 'A person in a chat. Leaving or being removed sets ``removed_at``, kept for history:'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Message',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('chat', fields.ForeignKeyField('models.Chat', source_field='chat_id', db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.CASCADE)),
                ('author', fields.ForeignKeyField('models.User', source_field='author_id', db_constraint=True, to_field='id', related_name='chat_messages', on_delete=OnDelete.RESTRICT)),
                ('text', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('edited_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'chat_message', 'app': 'models', 'indexes': [Index(fields=['chat_id', 'id'])], 'pk_attr': 'id', 'table_description': 'A message. Deleting keeps a tombstone: the row stays with ``deleted_at`` and no text.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ChatEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(max_length=32)),
                ('chat', fields.ForeignKeyField('models.Chat', source_field='chat_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('message', fields.ForeignKeyField('models.Message', source_field='message_id', null=True, db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.SET_NULL)),
                ('member', fields.ForeignKeyField('models.User', source_field='member_id', null=True, db_constraint=True, to_field='id', related_name='chat_member_events', on_delete=OnDelete.SET_NULL)),
                ('actor', fields.ForeignKeyField('models.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='chat_events', on_delete=OnDelete.SET_NULL)),
                ('occurred_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('published_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'chat_event', 'app': 'models', 'indexes': [Index(fields=['chat_id', 'id']), Index(fields=['published_at', 'id'])], 'pk_attr': 'id', 'table_description': 'The chat outbox: written in the same transaction as the change it reports. The id is'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='User',
            name='name_folded',
            field=fields.CharField(default='', db_index=True, db_default='', max_length=200),
        ),
        ops.RunPython(backfill_folded_names, ops.RunPython.noop),
    ]
