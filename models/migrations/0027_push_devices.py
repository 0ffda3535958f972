from tortoise import migrations
from tortoise.migrations import operations as ops
from models.notification import DeliveryStatus
from models.push import PushKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0026_submissions')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PushDevice',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='push_devices', on_delete=OnDelete.CASCADE)),
                ('session', fields.ForeignKeyField('models.Session', source_field='session_id', db_constraint=True, to_field='id', related_name='push_devices', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='WEB_PUSH: WEB_PUSH\nFCM: FCM\nAPNS: APNS', enum_type=PushKind, max_length=8)),
                ('address_hash', fields.CharField(unique=True, max_length=64)),
                ('endpoint', fields.CharField(null=True, max_length=1000)),
                ('p256dh', fields.CharField(null=True, max_length=100)),
                ('auth', fields.CharField(null=True, max_length=40)),
                ('token', fields.CharField(null=True, max_length=4096)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'push_device', 'app': 'models', 'indexes': [Index(fields=['user_id', 'id'])], 'pk_attr': 'id', 'table_description': 'One device of one session. ``address_hash`` (SHA-256 of the kind and the endpoint or'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PushDelivery',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('notification', fields.ForeignKeyField('models.Notification', source_field='notification_id', db_constraint=True, to_field='id', related_name='push_deliveries', on_delete=OnDelete.CASCADE)),
                ('device', fields.ForeignKeyField('models.PushDevice', source_field='device_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(default=DeliveryStatus.PENDING, description='PENDING: PENDING\nSENT: SENT\nFAILED: FAILED\nSKIPPED: SKIPPED', enum_type=DeliveryStatus, max_length=8)),
                ('attempts', fields.SmallIntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_error', fields.CharField(null=True, max_length=500)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'push_delivery', 'app': 'models', 'unique_together': (('notification', 'device'),), 'indexes': [Index(fields=['status', 'next_attempt_at'])], 'pk_attr': 'id', 'table_description': 'One notification pushed to one device, at most once (unique pair). Claimed, retried'},
            bases=['Model'],
        ),
    ]
