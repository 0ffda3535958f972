"""External identities (OpenID Connect, issue 20): who a provider's subject is here, and the
logins started at a provider that wait for its answer."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.user import User


class ExternalIdentity(Model):
    """A provider's subject (``sub``) linked to an account: by its owner (a link), by an admin
    ahead of the first login (a pre-registration), or by a first login that created the account.
    One subject of one provider belongs to one account at most (the unique key)."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="external_identities", on_delete=fields.CASCADE
    )
    provider = fields.CharField(max_length=40)
    subject = fields.CharField(max_length=255)
    linked_at = fields.DatetimeField()
    # Set by the first login through it: a pre-registered subject has none until then.
    last_login_at = fields.DatetimeField(null=True)

    user_id: int

    class Meta:
        table = "external_identity"
        unique_together = (("provider", "subject"),)


class ExternalLoginPurpose(StrEnum):
    LOGIN = "LOGIN"  # log in to the linked account; nothing is created
    REGISTER = "REGISTER"  # log in, or create a role-less account when the subject is not linked
    LINK = "LINK"  # link the subject to ``user``


class ExternalLogin(Model):
    """A login started at a provider: what its answer is checked against (the ``state`` as its
    SHA-256, the ``nonce``, the PKCE verifier, the provider and redirect URI). Used once
    (``used_at``), and dead after ``expires_at``."""

    id = fields.IntField(primary_key=True)
    state_hash = fields.CharField(max_length=64, unique=True)
    nonce = fields.CharField(max_length=64)
    code_verifier = fields.CharField(max_length=128)
    provider = fields.CharField(max_length=40)
    redirect_uri = fields.CharField(max_length=500)
    purpose = fields.CharEnumField(ExternalLoginPurpose, max_length=16)
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="external_logins", null=True, on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(db_index=True)
    used_at = fields.DatetimeField(null=True)

    user_id: int | None

    class Meta:
        table = "external_login"
