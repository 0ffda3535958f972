"""Accounts: users, their roles, refresh tokens and login attempts."""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model
from tortoise.signals import pre_save

if TYPE_CHECKING:
    from models.roster import Student
    from models.school import District, School


class Role(StrEnum):
    STUDENT = "STUDENT"
    PARENT = "PARENT"
    TEACHER = "TEACHER"
    SCHOOL_ADMIN = "SCHOOL_ADMIN"
    DISTRICT_ADMIN = "DISTRICT_ADMIN"


class User(Model):
    id = fields.IntField(primary_key=True)
    login = fields.CharField(max_length=100, unique=True)
    password_hash = fields.CharField(max_length=255)
    full_name = fields.CharField(max_length=200)
    email = fields.CharField(max_length=254, null=True)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    # ``fold_name(full_name)``, kept by ``_fold_on_save`` (set it yourself in ``bulk_create``):
    # name search is a prefix match on its words, case-insensitive in every script and database.
    name_folded = fields.CharField(max_length=200, default="", db_default="", db_index=True)
    # Set when an admin issues (or resets) a one-time password: the user logs in with it but
    # may do nothing except change it (see schema/gates.py).
    must_change_password = fields.BooleanField(default=False, db_default=False)
    password_changed_at = fields.DatetimeField(null=True)
    # Deactivation keeps the row and everything that points to it (grades given, audit,
    # guardianships): the user just cannot log in, and their tokens stop working.
    deactivated_at = fields.DatetimeField(null=True)
    deactivation_reason = fields.CharField(max_length=500, null=True)
    # Who switched the account off: a child's guardian may switch back on only what a guardian
    # switched off, never what the school did (``resolvers/child_logins.py``).
    deactivated_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="accounts_deactivated", null=True, on_delete=fields.SET_NULL
    )
    # The guardian who made this login for their child (``childLoginCreate``), shown to the
    # school; null for an account the school issued or a person registered. When is ``created_at``.
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="logins_created", null=True, on_delete=fields.SET_NULL
    )

    deactivated_by_id: int | None
    created_by_id: int | None

    class Meta:
        table = "user_account"


_WORD_BREAK = re.compile(r"[\W_]+")


def fold_name(text: str) -> str:
    """The words of ``text`` case-folded (``str.casefold``, any script) and NFKC-normalised,
    joined by single spaces: "Пётр  ИВАНОВ-Сидоров" -> "пётр иванов сидоров". A database's own
    lower()/LIKE folds ASCII only (SQLite) or depends on the server's locale (PostgreSQL)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(word for word in _WORD_BREAK.split(folded) if word)


@pre_save(User)
async def _fold_on_save(sender: type[User], instance: User, using_db: Any, update_fields: list[str] | None) -> None:
    instance.name_folded = fold_name(instance.full_name)[:200]
    if update_fields and "full_name" in update_fields and "name_folded" not in update_fields:
        update_fields.append("name_folded")


class RoleGrant(Model):
    """A role held by a user, scoped to a school (staff) or a district (district admin)."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="role_grants", on_delete=fields.CASCADE
    )
    role = fields.CharEnumField(Role, max_length=20)
    school: fields.ForeignKeyNullableRelation[School] = fields.ForeignKeyField(
        "models.School", related_name="role_grants", null=True, on_delete=fields.CASCADE
    )
    district: fields.ForeignKeyNullableRelation[District] = fields.ForeignKeyField(
        "models.District", related_name="role_grants", null=True, on_delete=fields.CASCADE
    )

    user_id: int
    school_id: int | None
    district_id: int | None

    class Meta:
        table = "role_grant"
        indexes = (Index(fields=("user_id", "role")),)


class Session(Model):
    """A login on one device: what ``viewer.sessions`` lists and ``sessionRevoke`` ends.

    Its ``key`` is the ``family`` of its refresh tokens, and its id is the ``sid`` claim of
    every access token issued to it: a request, a socket and a live stream all follow the
    session, so ending it (``ended_at``) ends them all at once (``resolvers/sessions.py``)."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="sessions", on_delete=fields.CASCADE
    )
    key = fields.CharField(max_length=32, unique=True)
    user_agent = fields.CharField(max_length=300, default="")
    address = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    # Written at most once a minute per session (``resolvers/sessions.py``), not per request.
    last_seen_at = fields.DatetimeField()
    ended_at = fields.DatetimeField(null=True)
    # LOGOUT, REVOKED, PASSWORD_CHANGED, PASSWORD_RESET, DEACTIVATED, REFRESH_REUSED,
    # SECOND_FACTOR_RESET
    end_reason = fields.CharField(max_length=32, null=True)

    user_id: int

    class Meta:
        table = "user_session"
        indexes = (Index(fields=("user_id", "ended_at")), Index(fields=("ended_at",)))


class RefreshToken(Model):
    """A refresh token, stored as its SHA-256 only. Tokens rotate: each use revokes the
    used one and issues a successor in the same ``family``; reusing a revoked token
    revokes the whole family (it was stolen or replayed)."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="refresh_tokens", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    family = fields.CharField(max_length=32, db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)

    user_id: int

    class Meta:
        table = "refresh_token"


class LoginAttempt(Model):
    """Failed logins, counted per login and per client address to limit guessing.

    Kept in the database so that every server process shares the same counts."""

    id = fields.IntField(primary_key=True)
    login = fields.CharField(max_length=100)
    address = fields.CharField(max_length=64)
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "login_attempt"
        indexes = (Index(fields=("login", "at")), Index(fields=("address", "at")))


class PasswordRecovery(Model):
    """A request to recover a forgotten password (``resolvers/recovery.py``): a link sent by
    e-mail or a short code sent by SMS. Only a keyed hash of its secret is stored; it works once
    (``used_at``), until ``expires_at``, and a code dies after a few wrong tries (``attempts``).
    A newer or completed request ends the others (``ended_at``); one asked before the password
    last changed no longer works."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="password_recoveries", on_delete=fields.CASCADE
    )
    channel = fields.CharField(max_length=8)  # EMAIL (a link) or SMS (a code)
    secret_hash = fields.CharField(max_length=64, db_index=True)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    attempts = fields.SmallIntField(default=0, db_default=0)
    used_at = fields.DatetimeField(null=True)
    ended_at = fields.DatetimeField(null=True)

    user_id: int

    class Meta:
        table = "password_recovery"
        indexes = (Index(fields=("user_id", "ended_at")),)


class RosterKind(StrEnum):
    STUDENT = "STUDENT"
    GUARDIAN = "GUARDIAN"
    TEACHER = "TEACHER"


class RosterKey(Model):
    """What a roster import created, under the key the school's file names it by: a student's
    external id, a guardian's or teacher's login. Re-importing a file finds its rows again
    through these keys, so the same file changes nothing and a changed name is an update."""

    id = fields.IntField(primary_key=True)
    school: fields.ForeignKeyRelation[School] = fields.ForeignKeyField(
        "models.School", related_name="roster_keys", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(RosterKind, max_length=16)
    key = fields.CharField(max_length=100)
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="roster_keys", null=True, on_delete=fields.CASCADE
    )
    student: fields.ForeignKeyNullableRelation[Student] = fields.ForeignKeyField(
        "models.Student", related_name="roster_keys", null=True, on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    school_id: int
    user_id: int | None
    student_id: int | None

    class Meta:
        table = "roster_key"
        unique_together = (("school", "kind", "key"),)
