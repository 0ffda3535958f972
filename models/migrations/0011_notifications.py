from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.announcement import Audience, MeetingAnswer
from models.notification import Channel, DeliveryStatus, NotificationCategory
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0010_rollups')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Announcement',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('school', fields.ForeignKeyField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name='announcements', on_delete=OnDelete.CASCADE)),
                ('school_class', fields.ForeignKeyField('models.SchoolClass', source_field='school_class_id', null=True, db_constraint=True, to_field='id', related_name='announcements', on_delete=OnDelete.CASCADE)),
                ('audience', fields.CharEnumField(description='EVERYONE: EVERYONE\nPARENTS: PARENTS\nSTUDENTS: STUDENTS\nTEACHERS: TEACHERS', enum_type=Audience, max_length=16)),
                ('title', fields.CharField(max_length=200)),
                ('body', fields.TextField(unique=False)),
                ('pinned', fields.BooleanField(default=False)),
                ('author', fields.ForeignKeyField('models.User', source_field='author_id', db_constraint=True, to_field='id', related_name='announcements', on_delete=OnDelete.RESTRICT)),
                ('published_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'announcement', 'app': 'models', 'indexes': [Index(fields=['school_id', 'published_at']), Index(fields=['school_class_id', 'published_at'])], 'pk_attr': 'id', 'table_description': 'News of a school (``school_class`` null) or of one class, for an ``audience``. Removing'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Meeting',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('school', fields.ForeignKeyField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name='meetings', on_delete=OnDelete.CASCADE)),
                ('title', fields.CharField(max_length=200)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('place', fields.CharField(null=True, max_length=200)),
                ('link', fields.CharField(null=True, max_length=500)),
                ('agenda', fields.TextField(default='', unique=False)),
                ('organiser', fields.ForeignKeyField('models.User', source_field='organiser_id', db_constraint=True, to_field='id', related_name='meetings_organised', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('cancelled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'meeting', 'app': 'models', 'indexes': [Index(fields=['school_id', 'starts_at'])], 'pk_attr': 'id', 'table_description': 'A parent-teacher meeting for the parents of one or more classes of a school.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MeetingClass',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('meeting', fields.ForeignKeyField('models.Meeting', source_field='meeting_id', db_constraint=True, to_field='id', related_name='classes', on_delete=OnDelete.CASCADE)),
                ('school_class', fields.ForeignKeyField('models.SchoolClass', source_field='school_class_id', db_constraint=True, to_field='id', related_name='meetings', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'meeting_class', 'app': 'models', 'unique_together': (('meeting', 'school_class'),), 'pk_attr': 'id', 'table_description': 'A class whose parents are invited to a meeting.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MeetingResponse',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('meeting', fields.ForeignKeyField('models.Meeting', source_field='meeting_id', db_constraint=True, to_field='id', related_name='responses', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='meeting_responses', on_delete=OnDelete.CASCADE)),
                ('answer', fields.CharEnumField(description='ATTENDING: ATTENDING\nNOT_ATTENDING: NOT_ATTENDING', enum_type=MeetingAnswer, max_length=16)),
                ('comment', fields.CharField(null=True, max_length=1000)),
                ('answered_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'meeting_response', 'app': 'models', 'unique_together': (('meeting', 'user'),), 'pk_attr': 'id', 'table_description': 'The answer of an invited parent to a meeting. Answering again replaces it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Notification',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=32)),
                ('category', fields.CharEnumField(description='GRADES: GRADES\nABSENCES: ABSENCES\nHOMEWORK: HOMEWORK\nREMARKS: REMARKS\nANNOUNCEMENTS: ANNOUNCEMENTS\nMEETINGS: MEETINGS\nCHAT_MESSAGES: CHAT_MESSAGES', enum_type=NotificationCategory, max_length=16)),
                ('in_app', fields.BooleanField(default=True)),
                ('school', fields.ForeignKeyField('models.School', source_field='school_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('student', fields.ForeignKeyField('models.Student', source_field='student_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('outbox_event', fields.ForeignKeyField('models.OutboxEvent', source_field='outbox_event_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('announcement', fields.ForeignKeyField('models.Announcement', source_field='announcement_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('meeting', fields.ForeignKeyField('models.Meeting', source_field='meeting_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('chat_message_id', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notification', 'app': 'models', 'unique_together': (('user', 'outbox_event'),), 'indexes': [Index(fields=['user_id', 'id']), Index(fields=['user_id', 'read_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NotificationDelivery',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('notification', fields.ForeignKeyField('models.Notification', source_field='notification_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('channel', fields.CharEnumField(description='EMAIL: EMAIL\nSMS: SMS', enum_type=Channel, max_length=8)),
                ('status', fields.CharEnumField(default=DeliveryStatus.PENDING, description='PENDING: PENDING\nSENT: SENT\nFAILED: FAILED\nSKIPPED: SKIPPED', enum_type=DeliveryStatus, max_length=8)),
                ('attempts', fields.SmallIntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_error', fields.CharField(null=True, max_length=500)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'notification_delivery', 'app': 'models', 'indexes': [Index(fields=['status', 'next_attempt_at'])], 'pk_attr': 'id', 'table_description': 'One notification sent on one channel. The worker claims due rows by moving'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NotificationSettings',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='notification_settings', on_delete=OnDelete.CASCADE)),
                ('channels', fields.JSONField(null=True, default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('quiet_start', fields.SmallIntField(null=True)),
                ('quiet_end', fields.SmallIntField(null=True)),
                ('timezone', fields.CharField(null=True, max_length=64)),
                ('phone', fields.CharField(null=True, max_length=32)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'notification_settings', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The choices of a user. ``channels`` maps a category to the channels wanted besides the'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NotifierCursor',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('last_event_id', fields.BigIntField(default=0)),
            ],
            options={'table': 'notifier_cursor', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The one row (id 1) holding the last outbox event the notifier has turned into'},
            bases=['Model'],
        ),
    ]
