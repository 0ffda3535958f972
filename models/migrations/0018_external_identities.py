"""External identities: identity providers' subjects linked to accounts, and started logins."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from models.identity import ExternalLoginPurpose
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0017_audit_private_content')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ExternalIdentity',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='external_identities', on_delete=OnDelete.CASCADE)),
                ('provider', fields.CharField(max_length=40)),
                ('subject', fields.CharField(max_length=255)),
                ('linked_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_login_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'external_identity', 'app': 'models', 'unique_together': (('provider', 'subject'),), 'pk_attr': 'id', 'table_description': "A provider's subject (``sub``) linked to an account: by its owner (a link), by an admin"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ExternalLogin',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('state_hash', fields.CharField(unique=True, max_length=64)),
                ('nonce', fields.CharField(max_length=64)),
                ('code_verifier', fields.CharField(max_length=128)),
                ('provider', fields.CharField(max_length=40)),
                ('redirect_uri', fields.CharField(max_length=500)),
                ('purpose', fields.CharEnumField(description='LOGIN: LOGIN\nREGISTER: REGISTER\nLINK: LINK', enum_type=ExternalLoginPurpose, max_length=16)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='external_logins', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'external_login', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A login started at a provider: what its answer is checked against (the ``state`` as its'},
            bases=['Model'],
        ),
    ]
