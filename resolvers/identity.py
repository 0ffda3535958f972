"""Logging in with an external identity (OpenID Connect, issue 20), linking one to an account and
unlinking it.

A login starts here (``start``): a fresh ``state``, ``nonce`` and PKCE verifier are kept in an
``ExternalLogin`` row and the provider's authorization URL is returned; the person logs in at
the provider, which sends them back to the app's redirect URI with a ``code``; the app hands
``state`` and ``code`` to ``complete``. The row is used once and only before it expires, so the
server keeps no state of its own between the two calls (any process may answer either).

An identity logs in only to the account it is linked to. Starting with ``REGISTER`` lets an
unlinked identity create a role-less account instead (the name and a verified e-mail from the
provider), which then asks a school for access like a self-registered one
(``resolvers/access.py``). Every login, account, link and unlink is audited in the transaction
that writes it, with the provider's name only."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

import models
from edge.identity_providers import IdentityProvider
from resolvers import account_admin, audit, login_steps, oidc, second_factor, sessions
from resolvers.accounts import check_attempts as check_login_attempts
from resolvers.accounts import home_school_id, user_agent
from resolvers.codes import ErrorCode
from resolvers.core import Text, _, now_utc, pk_of
from resolvers.errors import ExternalLoginFailed, NotFound, Problem, refuse
from resolvers.sessions import Context, Viewer

Purpose = models.ExternalLoginPurpose


@dataclass(frozen=True)
class Started:
    """Where to send the person, and the ``state`` the provider will send back."""

    authorization_url: str
    state: str
    expires_at: datetime


def provider_named(ctx: Context, name: str) -> IdentityProvider | None:
    return next((p for p in ctx.settings.oidc_providers if p.name == name), None)


def _digest(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def _failed(message: Text, code: ErrorCode) -> ExternalLoginFailed:
    return ExternalLoginFailed(message, code)


def _provider_error() -> ExternalLoginFailed:
    return _failed(
        _("The identity provider refused the login or cannot be reached. Try again later."),
        ErrorCode.IDENTITY_PROVIDER_ERROR,
    )


async def start(ctx: Context, provider_name: str, redirect_uri: str, purpose: Purpose) -> Started:
    """A new external login: nothing is written unless the provider's URL could be built."""
    await check_login_attempts(ctx)
    problems: list[Problem] = []
    provider = provider_named(ctx, provider_name.strip().lower())
    if provider is None:
        problems.append(("provider", ErrorCode.IDENTITY_PROVIDER_UNKNOWN, _("No such identity provider.")))
    elif redirect_uri not in provider.redirect_uris:
        problems.append(
            (
                "redirectUri",
                ErrorCode.REDIRECT_URI_NOT_ALLOWED,
                _("This redirect URI is not registered for the provider."),
            )
        )
    if problems or provider is None:
        raise refuse(problems)
    # The state in the provider's format (ESIA takes only a UUID), nonce and PKCE verifier.
    state, nonce, verifier = provider.authentication.new_state(), secrets.token_urlsafe(32), secrets.token_urlsafe(48)
    try:
        url = await oidc.authorization_url(
            provider, redirect_uri=redirect_uri, state=state, nonce=nonce, code_verifier=verifier
        )
    except oidc.ProviderUnavailable:
        raise _provider_error() from None
    now = now_utc()
    expires = now + timedelta(seconds=ctx.settings.oidc_login_ttl_seconds)
    async with in_transaction():
        # Long-dead logins are removed as new ones start: the table holds only recent ones.
        await models.ExternalLogin.filter(expires_at__lt=now - timedelta(days=1)).delete()
        await models.ExternalLogin.create(
            state_hash=_digest(state),
            nonce=nonce,
            code_verifier=verifier,
            provider=provider.name,
            redirect_uri=redirect_uri,
            purpose=purpose,
            user_id=ctx.viewer.user_id if purpose is Purpose.LINK else None,
            created_at=now,
            expires_at=expires,
        )
    return Started(url, state, expires)


async def _claims(ctx: Context, state: str, code: str, link: bool) -> tuple[models.ExternalLogin, oidc.Claims]:
    """The pending login ``state`` names, used up now, and the verified claims its code gives."""
    await check_login_attempts(ctx)
    now = now_utc()
    invalid = _failed(
        _("This login is unknown, already used or expired. Start again."), ErrorCode.EXTERNAL_LOGIN_INVALID
    )
    pending = models.ExternalLogin.filter(state_hash=_digest(state), used_at__isnull=True, expires_at__gt=now)
    if link:
        pending = pending.filter(purpose=Purpose.LINK, user_id=ctx.viewer.user_id)
    else:
        pending = pending.filter(purpose__in=[Purpose.LOGIN, Purpose.REGISTER])
    row = await pending.first()
    # Marked used by a conditional update: of two calls with the same state, one wins.
    if row is None or not await models.ExternalLogin.filter(id=row.id, used_at__isnull=True).update(used_at=now):
        raise invalid
    provider = provider_named(ctx, row.provider)
    if provider is None or not code or len(code) > 2048:
        raise invalid

    async def wants_name(subject: str) -> bool:
        # The provider's name (and e-mail) of the person only names a new account: not wanted to
        # link, to log into a linked account, or for a login that is refused as not linked.
        return row.purpose is Purpose.REGISTER and not await models.ExternalIdentity.exists(
            provider=row.provider, subject=subject
        )

    try:
        claims = await oidc.exchange_code(
            provider,
            code=code,
            redirect_uri=row.redirect_uri,
            state=state,
            nonce=row.nonce,
            code_verifier=row.code_verifier,
            skew=ctx.settings.oidc_clock_skew_seconds,
            wants_name=wants_name,
        )
    except (oidc.ProviderUnavailable, oidc.ProviderRefused):
        raise _provider_error() from None
    except oidc.IdTokenRejected:
        raise _failed(
            _("The identity provider's answer could not be verified. Start again."), ErrorCode.ID_TOKEN_INVALID
        ) from None
    return row, claims


def _deactivated() -> ExternalLoginFailed:
    return _failed(_("This account is deactivated. Ask your school."), ErrorCode.ACCOUNT_DEACTIVATED)


async def complete_login(ctx: Context, state: str, code: str) -> sessions.TokenPair | login_steps.Challenge:
    """A session of the account the identity is linked to (or of a new role-less one, when the
    login was started to register and the identity is linked to none). An account with
    two-factor login on gets a challenge instead, as after its password: the identity stands for
    the password, not for the second factor (``loginSecondFactor`` completes it)."""
    row, claims = await _claims(ctx, state, code, link=False)
    now = now_utc()
    asks_second_factor = False
    try:
        async with in_transaction():
            identity = await models.ExternalIdentity.filter(provider=row.provider, subject=claims.subject).first()
            if identity is not None:
                user = await models.User.get(id=identity.user_id)
                if not user.is_active:
                    raise _deactivated()
                await models.ExternalIdentity.filter(id=identity.id).update(last_login_at=now)
                details: dict[str, object] = {"provider": row.provider}
                if await second_factor.active_factor(user.id) is not None:
                    asks_second_factor = details["secondFactor"] = True
                await _audit_login(ctx, user, "identity.login", details)
            elif row.purpose is Purpose.REGISTER:
                login = f"{row.provider}.{secrets.token_hex(5)}"
                user = await models.User.create(
                    login=login, password_hash="", full_name=(claims.name or login)[:200], email=claims.email
                )
                await models.ExternalIdentity.create(
                    user=user, provider=row.provider, subject=claims.subject, linked_at=now, last_login_at=now
                )
                await _audit_login(ctx, user, "identity.register", {"provider": row.provider, "login": login})
            else:
                raise _failed(
                    _("No account is linked to this identity. Link it from your account first, or register."),
                    ErrorCode.IDENTITY_NOT_LINKED,
                )
            pair = None
            if not asks_second_factor:
                pair = await sessions.start_session(ctx.settings, user, user_agent(ctx), ctx.viewer.address)
    except IntegrityError:  # the same identity registered by a concurrent login
        raise _failed(_("This identity is already linked to an account."), ErrorCode.IDENTITY_TAKEN) from None
    if pair is None:  # a second factor to ask for: the challenge, no session yet
        return await login_steps.finish_login(ctx, user)
    return pair


async def _audit_login(ctx: Context, user: models.User, action: str, details: dict[str, object]) -> None:
    await audit.record(
        Viewer(user.id, ctx.viewer.address), action, "User", user.id, details, school_id=await home_school_id(user.id)
    )


async def complete_link(ctx: Context, state: str, code: str) -> models.ExternalIdentity:
    """The identity linked to the viewer's account (again: linking twice changes nothing)."""
    row, claims = await _claims(ctx, state, code, link=True)
    user_id = ctx.viewer.user_id
    taken = _failed(_("This identity is already linked to an account."), ErrorCode.IDENTITY_TAKEN)
    try:
        async with in_transaction():
            found = await models.ExternalIdentity.filter(provider=row.provider, subject=claims.subject).first()
            if found is not None:
                if found.user_id != user_id:
                    raise taken
                return found
            identity = await models.ExternalIdentity.create(
                user_id=user_id, provider=row.provider, subject=claims.subject, linked_at=now_utc()
            )
            await audit.record(
                ctx.viewer,
                "identity.link",
                "ExternalIdentity",
                identity.id,
                {"provider": row.provider},
                school_id=await home_school_id(user_id) if user_id else None,
            )
    except IntegrityError:
        raise taken from None
    return identity


async def unlink(ctx: Context, identity_id: str) -> None:
    """Unlink one of the viewer's identities, unless it is their last way in (no password and no
    other identity). Another's identity and a non-id are the same IDENTITY_NOT_FOUND."""
    pk = pk_of(identity_id, "ExternalIdentity")
    user_id = ctx.viewer.user_id
    async with in_transaction():
        # The account's row is locked so that two unlinks at once cannot both leave it empty.
        user = await models.User.filter(id=user_id).select_for_update().first()
        identity = None
        if pk is not None and user is not None:
            identity = await models.ExternalIdentity.get_or_none(id=pk, user_id=user.id)
        if identity is None or user is None:
            raise NotFound(_("No such linked identity."), ErrorCode.IDENTITY_NOT_FOUND)
        others = await models.ExternalIdentity.filter(user_id=user.id).exclude(id=identity.id).exists()
        if not others and not user.password_hash:
            raise refuse(
                [
                    (
                        "id",
                        ErrorCode.LAST_WAY_IN,
                        _("This is your only way to log in: link another identity first."),
                    )
                ]
            )
        await identity.delete()
        await audit.record(
            ctx.viewer,
            "identity.unlink",
            "ExternalIdentity",
            pk,
            {"provider": identity.provider},
            school_id=await home_school_id(user.id),
        )


async def pre_register(ctx: Context, user_id: str, provider_name: str, subject: str) -> models.ExternalIdentity:
    """An admin links a provider's subject id (from the state register, a school's tenant) to an
    account they administer: its first login through that provider goes straight into it."""
    user = await account_admin.managed_user(ctx, user_id)
    problems: list[Problem] = []
    provider = provider_named(ctx, provider_name.strip().lower())
    if provider is None:
        problems.append(("provider", ErrorCode.IDENTITY_PROVIDER_UNKNOWN, _("No such identity provider.")))
    sub = subject.strip()
    if not sub or len(sub) > 255 or not sub.isprintable():
        problems.append(
            ("subject", ErrorCode.SUBJECT_INVALID, _("Give the subject id the provider uses, 1-255 characters."))
        )
    taken: Problem = ("subject", ErrorCode.IDENTITY_TAKEN, _("This identity is already linked to an account."))
    if (
        provider is not None
        and not problems
        and await models.ExternalIdentity.exists(provider=provider.name, subject=sub)
    ):
        problems.append(taken)
    if problems or provider is None:
        raise refuse(problems)
    try:
        async with in_transaction():
            identity = await models.ExternalIdentity.create(
                user_id=user.id, provider=provider.name, subject=sub, linked_at=now_utc()
            )
            await audit.record(
                ctx.viewer,
                "identity.preregister",
                "ExternalIdentity",
                identity.id,
                {"provider": provider.name},
                school_id=await home_school_id(user.id),
            )
    except IntegrityError:
        raise refuse([taken]) from None
    return identity
