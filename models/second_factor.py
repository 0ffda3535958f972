"""A second factor of login (TOTP, RFC 6238): its sealed secret, its recovery codes, and the
challenges a login leaves open between the password and the code."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

if TYPE_CHECKING:
    from models.user import User


class SecondFactor(Model):
    """A user's TOTP authenticator. Enrolled (``confirmed_at`` null) until a first valid code
    confirms it; only then does login ask for a code. The secret is stored sealed with a key
    derived from SECRET_KEY (``resolvers/second_factor.py``): a database dump alone does not
    give it away."""

    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "models.User", related_name="second_factor", on_delete=fields.CASCADE
    )
    secret_sealed = fields.CharField(max_length=255)
    created_at = fields.DatetimeField(auto_now_add=True)
    confirmed_at = fields.DatetimeField(null=True)
    # The last TOTP time step accepted: a code of this step or an earlier one is refused
    # (a replayed code), whichever process sees it (the update is conditional).
    last_step = fields.BigIntField(null=True)

    user_id: int

    class Meta:
        table = "second_factor"


class RecoveryCode(Model):
    """A single-use recovery code, stored only hashed (argon2, like a one-time password)."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="recovery_codes", on_delete=fields.CASCADE
    )
    code_hash = fields.CharField(max_length=255)
    created_at = fields.DatetimeField(auto_now_add=True)
    used_at = fields.DatetimeField(null=True)

    user_id: int

    class Meta:
        table = "recovery_code"
        indexes = (Index(fields=("user_id", "used_at")),)


class LoginChallenge(Model):
    """A login whose password was right, waiting for the second factor: short-lived,
    single-use, bound to its user, stored as the SHA-256 of the token the client holds."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="login_challenges", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    address = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    user_id: int

    class Meta:
        table = "login_challenge"


class SecondFactorAttempt(Model):
    """A wrong second-factor code, counted per user and per address to limit guessing (kept
    apart from ``LoginAttempt``: a right password must not forgive wrong codes)."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="second_factor_attempts", on_delete=fields.CASCADE
    )
    address = fields.CharField(max_length=64)
    at = fields.DatetimeField(auto_now_add=True)

    user_id: int

    class Meta:
        table = "second_factor_attempt"
        indexes = (Index(fields=("user_id", "at")), Index(fields=("address", "at")))
