"""A forgotten password, recovered by its owner (README, "Recovering a forgotten password").

``start`` (``passwordRecoveryStart``) is public: given a login, an e-mail address or a phone
number it sends the account a single-use link by e-mail (to the account's ``email``) or a
six-digit code by SMS (to the phone of the account's notification preferences, the one its
owner set while logged in). Its answer is the same whether or not the account exists, is
active, or has an address on the channel asked for; the request is counted by the rate limits
the same way too (per account as named and per client address; past the limit of messages to
one account however it is named, the answer is the same success and nothing is sent), and the
answer is given no sooner than ``MIN_ANSWER_SECONDS``, while the message is handed to the mail
server or SMS gateway in a task of its own: the time of the answer says nothing either.

``complete`` (``passwordRecoveryComplete``) takes the link's token, or the login and the code,
and the new password: a recovery works once, until it expires (``password_recovery_ttl_seconds``
by the project clock), and a code dies after ``password_recovery_code_attempts`` wrong tries
(each try is counted before it is compared, so parallel guesses get no more). A newer request
ends the earlier ones, and so does the owner changing the password (``passwordChange``).
Setting the password clears ``must_change_password`` and ends every session of the user
(sockets close with 4401); the answer is a plain success, not a session: the owner logs in
with the new password, through whatever second factor the account has.

Only a keyed hash (HMAC with ``SECRET_KEY``) of a token or code is stored; the audit trail
has the request (only for an existing account), the completion and counted failures, never a
token, code or address."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from urllib.parse import quote

from tortoise.expressions import F
from tortoise.transactions import in_transaction

import models
from edge import intake
from edge.channels import DeliveryError, Mailer, SmsGateway
from resolvers import audit, passwords, sessions
from resolvers.accounts import home_school_id, normalize_login, password_problems
from resolvers.codes import ErrorCode
from resolvers.core import Text, _, ngettext, now_utc
from resolvers.errors import InvalidCredentials, refuse
from resolvers.sessions import Context, Viewer

log = logging.getLogger(__name__)

# The language of recovery messages: accounts keep no language preference, and whoever asks
# may not be the owner, so not the asker's either.
MESSAGE_LOCALE = "ru"
# The answer to ``start`` takes at least this long, whatever was found and written.
MIN_ANSWER_SECONDS = 0.25
CODE_DIGITS = 6
_PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")
MAX_ASKED = 254


class RecoveryChannel(StrEnum):
    EMAIL = "EMAIL"  # a link
    SMS = "SMS"  # a code


@dataclass(frozen=True)
class Channels:
    """Where messages go: the process's mailer and SMS gateway (``server.py``)."""

    mailer: Mailer
    sms: SmsGateway


def channels_of(ctx: Context) -> Channels:
    state = ctx.request.app.state
    return Channels(state.mailer, state.sms)


# Messages being handed over, kept so that they are not collected before they finish.
_SENDING: set[asyncio.Task[None]] = set()


async def sending_done() -> None:
    """Wait until every message handed to a task is sent or has failed (shutdown, tests)."""
    while _SENDING:
        await asyncio.gather(*list(_SENDING), return_exceptions=True)


def _keyed(secret_key: str, text: str) -> str:
    return hmac.new(secret_key.encode(), text.encode(), hashlib.sha256).hexdigest()


def _link_hash(ctx: Context, token: str) -> str:
    return _keyed(ctx.settings.secret_key, f"recovery-link:{token}")


def _code_hash(ctx: Context, user_id: int, code: str) -> str:
    return _keyed(ctx.settings.secret_key, f"recovery-code:{user_id}:{code}")


def _asked_key(asked: str) -> str:
    """What the per-account limit counts: the login, e-mail or phone as asked for, normalised
    (known or not, so that an unknown one is counted exactly like a known one)."""
    return hashlib.sha256("".join(asked.split()).lower().encode()).hexdigest()[:32]


async def account_asked(asked: str) -> models.User | None:
    """The active account ``asked`` names: an e-mail address (with an @), a phone number in
    international form (that of notification preferences), else a login. An address or phone
    several active accounts share names none of them (the owner then asks with the login)."""
    text = asked.strip()[:MAX_ASKED]
    phone = "".join(text.split())
    if "@" in text:
        found = models.User.filter(email__iexact=text, is_active=True)
    elif _PHONE.match(phone):
        found = models.User.filter(notification_settings__phone=phone, is_active=True)
    else:
        found = models.User.filter(login=normalize_login(text)[:100], is_active=True)
    users = await found.limit(2)
    return users[0] if len(users) == 1 else None


async def _address(user: models.User, channel: RecoveryChannel) -> str | None:
    if channel == RecoveryChannel.EMAIL:
        return user.email or None
    preferences = await models.NotificationSettings.get_or_none(user_id=user.id)
    return preferences.phone if preferences is not None and preferences.phone else None


def recovery_link(ctx: Context, token: str) -> str:
    base = ctx.settings.password_recovery_url
    return f"{base}{'&' if '?' in base else '?'}token={quote(token)}"


def _minutes(ctx: Context) -> int:
    return max(1, ctx.settings.password_recovery_ttl_seconds // 60)


def email_message(ctx: Context, user: models.User, token: str) -> tuple[str, str]:
    minutes = _minutes(ctx)
    subject = _("Password recovery in the e-diary")
    text = ngettext(
        "Someone, hopefully you, asked to recover the password of the account {login} in the e-diary. "
        "To choose a new password, open this link within {n} minute:\n\n{link}\n\n"
        "The link works once. If it was not you, ignore this e-mail: your password stays as it is.",
        "Someone, hopefully you, asked to recover the password of the account {login} in the e-diary. "
        "To choose a new password, open this link within {n} minutes:\n\n{link}\n\n"
        "The link works once. If it was not you, ignore this e-mail: your password stays as it is.",
        minutes,
        login=user.login,
        link=recovery_link(ctx, token),
    )
    return subject.render(MESSAGE_LOCALE), text.render(MESSAGE_LOCALE)


def sms_message(ctx: Context, code: str) -> str:
    text = ngettext(
        "E-diary password recovery code: {code}. It works for {n} minute. Do not tell it to anyone.",
        "E-diary password recovery code: {code}. It works for {n} minutes. Do not tell it to anyone.",
        _minutes(ctx),
        code=code,
    )
    return text.render(MESSAGE_LOCALE)


async def _deliver(channels: Channels, channel: RecoveryChannel, to: str, subject: str, text: str) -> None:
    try:
        if channel == RecoveryChannel.EMAIL:
            await channels.mailer.send(to, subject, text)
        else:
            await channels.sms.send(to, text)
    except DeliveryError as exc:  # the owner asks again; nothing to retry without the secret
        log.warning("password recovery %s not delivered: %s", channel.value, exc)


def _send_later(channels: Channels, channel: RecoveryChannel, to: str, subject: str, text: str) -> None:
    task = asyncio.create_task(_deliver(channels, channel, to, subject, text), name="password-recovery")
    _SENDING.add(task)
    task.add_done_callback(_SENDING.discard)


async def _limit(ctx: Context, buckets: list[tuple[str, int]], what: Text) -> None:
    await intake.attempt_all(ctx.limiter, buckets, ctx.settings.password_recovery_window_seconds, what)


async def start(ctx: Context, asked: str, channel: RecoveryChannel) -> None:
    """Send a recovery link or code to the account ``asked`` names, if there is one that can
    receive it; the same answer (and about the same time) either way."""
    began = time.monotonic()
    try:
        settings = ctx.settings
        await _limit(
            ctx,
            [
                (f"recovery:account:{_asked_key(asked)}", settings.password_recoveries_per_account),
                (f"recovery:address:{ctx.viewer.address}", settings.password_recoveries_per_address),
            ],
            _("password recovery requests"),
        )
        user = await account_asked(asked)
        # Messages per account, however it was named (login, e-mail, phone): over the limit the
        # answer stays the same and nothing is sent. An unknown account is counted just the same.
        sends = await _count(ctx, f"recovery:user:{user.id}" if user else f"recovery:none:{_asked_key(asked)}")
        to = await _address(user, channel) if user is not None and sends else None
        secret = secrets.token_urlsafe(32) if channel == RecoveryChannel.EMAIL else _new_code()
        if user is None or to is None:
            return  # nothing to send to: the same answer
        if channel == RecoveryChannel.EMAIL:
            secret_hash, (subject, text) = _link_hash(ctx, secret), email_message(ctx, user, secret)
        else:
            secret_hash, subject, text = _code_hash(ctx, user.id, secret), "", sms_message(ctx, secret)
        now = now_utc()
        async with in_transaction():
            # A newer request ends the earlier ones: only the latest link or code works.
            await models.PasswordRecovery.filter(user_id=user.id, ended_at__isnull=True).update(ended_at=now)
            await models.PasswordRecovery.create(
                user_id=user.id,
                channel=channel.value,
                secret_hash=secret_hash,
                created_at=now,
                expires_at=now + timedelta(seconds=settings.password_recovery_ttl_seconds),
            )
            await audit.record(
                Viewer(None, ctx.viewer.address),
                "password.recovery_request",
                "User",
                user.id,
                {"channel": channel.value},
                school_id=await home_school_id(user.id),
            )
        _send_later(channels_of(ctx), channel, to, subject, text)
    finally:
        await asyncio.sleep(max(0.0, MIN_ANSWER_SECONDS - (time.monotonic() - began)))


async def _count(ctx: Context, key: str) -> bool:
    """Count one message to an account; False when its limit is reached (nothing more is sent)."""
    limit = ctx.settings.password_recoveries_per_account
    if ctx.limiter is None or limit <= 0:
        return True
    return (await ctx.limiter.hit(key, limit, ctx.settings.password_recovery_window_seconds)).allowed


def _new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def _invalid() -> InvalidCredentials:
    return InvalidCredentials(
        _("This recovery link or code is wrong, expired or already used. Ask for a new one."),
        ErrorCode.INVALID_RECOVERY,
    )


async def _failed(ctx: Context, row: models.PasswordRecovery, attempts: int) -> None:
    await audit.record(
        Viewer(None, ctx.viewer.address),
        "password.recovery_fail",
        "User",
        row.user_id,
        {"channel": row.channel, "attempts": attempts},
        school_id=await home_school_id(row.user_id),
    )


async def _by_link(ctx: Context, token: str) -> models.PasswordRecovery:
    row = await models.PasswordRecovery.filter(
        secret_hash=_link_hash(ctx, token.strip()[:100]), channel=RecoveryChannel.EMAIL.value
    ).first()
    if row is None:
        raise _invalid()
    if row.ended_at is not None or row.expires_at <= now_utc():
        await _failed(ctx, row, row.attempts)  # a used, replaced or expired link presented again
        raise _invalid()
    return row


async def _by_code(ctx: Context, asked: str, code: str) -> models.PasswordRecovery:
    user = await account_asked(asked)
    code = "".join(code.split())[: CODE_DIGITS + 1]
    row = None
    if user is not None:
        row = (
            await models.PasswordRecovery.filter(
                user_id=user.id, channel=RecoveryChannel.SMS.value, ended_at__isnull=True, expires_at__gt=now_utc()
            )
            .order_by("-id")
            .first()
        )
    if user is None or row is None:
        raise _invalid()
    # Counted before it is compared: parallel guesses get no more tries than sequential ones.
    counted = await models.PasswordRecovery.filter(
        id=row.id, ended_at__isnull=True, attempts__lt=ctx.settings.password_recovery_code_attempts
    ).update(attempts=F("attempts") + 1)
    if not counted:
        raise _invalid()
    if hmac.compare_digest(row.secret_hash, _code_hash(ctx, user.id, code)):
        return row
    attempts = row.attempts + 1
    if attempts >= ctx.settings.password_recovery_code_attempts:  # no tries left: the code is dead
        await models.PasswordRecovery.filter(id=row.id, ended_at__isnull=True).update(ended_at=now_utc())
    await _failed(ctx, row, attempts)
    raise _invalid()


async def complete(ctx: Context, token: str | None, asked: str | None, code: str | None, new_password: str) -> None:
    """Set a new password with a recovery link's token, or with the login (e-mail, phone) and
    the SMS code; then every session of the user ends."""
    settings = ctx.settings
    await _limit(
        ctx,
        [(f"recovery:complete:{ctx.viewer.address}", settings.password_recovery_completions_per_address)],
        _("password recovery attempts from your address"),
    )
    if token and (asked or code):
        raise refuse([("token", ErrorCode.INVALID_INPUT, _("Give the link's token, or the login and the code."))])
    if token:
        row = await _by_link(ctx, token)
    elif asked and code:
        row = await _by_code(ctx, asked, code)
    else:
        raise refuse([("token", ErrorCode.INVALID_INPUT, _("Give the link's token, or the login and the code."))])
    user = await models.User.get_or_none(id=row.user_id, is_active=True)
    if user is None or (user.password_changed_at is not None and user.password_changed_at >= row.created_at):
        raise _invalid()  # deactivated, or the owner changed the password since: no longer needed
    problems = password_problems(user, "", new_password)
    if problems:  # the link or code still works: the owner tries another password
        raise refuse(problems)
    new_hash = await passwords.hashed(new_password)
    async with in_transaction():
        now = now_utc()
        # Used up by one statement: of two requests presenting it at once, one sets the password.
        used = await models.PasswordRecovery.filter(id=row.id, ended_at__isnull=True, expires_at__gt=now).update(
            used_at=now, ended_at=now
        )
        if not used:  # used by a concurrent request, or expired meanwhile
            raise _invalid()
        await models.PasswordRecovery.filter(user_id=user.id, ended_at__isnull=True).update(ended_at=now)
        user.password_hash = new_hash
        user.must_change_password = False
        user.password_changed_at = now
        await user.save(update_fields=["password_hash", "must_change_password", "password_changed_at"])
        # The failed logins that may have locked the owner out are forgiven.
        await models.LoginAttempt.filter(login=user.login).delete()
        ended = await sessions.end(sessions.EndReason.PASSWORD_RESET, user_id=user.id)
        await audit.record(
            Viewer(user.id, ctx.viewer.address),
            "password.recover",
            "User",
            user.id,
            {"channel": row.channel, "sessionsEnded": len(ended)},
            school_id=await home_school_id(user.id),
        )
    await sessions.announce(ctx.broker, ended)
