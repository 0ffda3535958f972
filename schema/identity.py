"""Signing in with an identity provider (OpenID Connect, issue 20): the configured providers,
starting and completing an external login, linking and unlinking an identity (README "Signing in
with an identity provider")."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

import models
from resolvers import identity, login_steps, policy
from schema import types
from schema.account_admin import ACCOUNT_MANAGERS
from schema.accounts import LoginSuccess, SecondFactorRequired
from schema.errors import ExternalLoginError, NotFoundError, RateLimitedError, ValidationError
from schema.gates import IsAuthenticated, IsPublic

Info = types.Info
INPUT = strawberry.argument(description="The mutation's input.")


@strawberry.type(description="An identity provider this server accepts logins from.")
class IdentityProvider:
    name: str = strawberry.field(description="Its name, for `externalLoginStart(input: {provider})`: `esia`.")
    display_name: str = strawberry.field(description='What a login screen shows: "Госуслуги".')


@strawberry.type(description="An identity at a provider, linked to your account: you can log in with it.")
class ExternalIdentity(types.Node):
    model: strawberry.Private[models.ExternalIdentity]

    @strawberry.field(description="The provider's name (`IdentityProvider.name`).")
    def provider(self) -> str:
        return self.model.provider

    @strawberry.field(description="The provider's display name; its name when it is no longer configured.")
    def display_name(self, info: Info) -> str:
        provider = identity.provider_named(info.context, self.model.provider)
        return provider.display_name if provider is not None else self.model.provider

    @strawberry.field(description="When it was linked (by you, by an admin, or by the login that created the account).")
    def linked_at(self) -> dt.datetime:
        return self.model.linked_at

    @strawberry.field(description="When it was last used to log in; null when never.")
    def last_login_at(self) -> dt.datetime | None:
        return self.model.last_login_at


@strawberry.type
class IdentityQueries:
    @strawberry.field(
        description="The identity providers you can log in with, in the server's order: public, for a login screen.",
        permission_classes=[IsPublic],
    )
    def identity_providers(self, info: Info) -> list[IdentityProvider]:
        return [
            IdentityProvider(name=p.name, display_name=p.display_name) for p in info.context.settings.oidc_providers
        ]


@strawberry.type
class IdentityViewer:
    @strawberry.field(
        description="The identities at providers linked to your account (never their tokens), oldest first."
    )
    async def external_identities(self, info: Info) -> list[ExternalIdentity]:
        rows = await policy.own_identities(info.context.viewer).order_by("linked_at", "id")
        return [ExternalIdentity(model=r) for r in rows]


@strawberry.input(description="Where to log in, and where the provider sends the person back.")
class ExternalLoginStartInput:
    provider: str = strawberry.field(description="An `IdentityProvider.name`.")
    redirect_uri: str = strawberry.field(
        description="One of the redirect URIs the server registers for the provider (OIDC_<NAME>_REDIRECT_URIS): "
        "the web app's callback page, or a mobile app's custom scheme."
    )
    create_account: bool = strawberry.field(
        default=False,
        description="When the identity is linked to no account, create a role-less one (name and verified e-mail "
        "from the provider) instead of answering IDENTITY_NOT_LINKED; it then asks a school for access "
        "(`accessRequestSubmit`).",
    )


@strawberry.input(description="Where to log in to link the identity, and where the provider sends you back.")
class ExternalIdentityLinkStartInput:
    provider: str = strawberry.field(description="An `IdentityProvider.name`.")
    redirect_uri: str = strawberry.field(description="One of the provider's registered redirect URIs.")


@strawberry.type(
    description="Send the person to `authorizationUrl`; the provider sends them back with `code` and `state`."
)
class ExternalLoginStartSuccess:
    authorization_url: str = strawberry.field(description="The provider's login page for this login.")
    state: str = strawberry.field(description="Comes back with the code: pass both to the completing mutation.")
    expires_at: dt.datetime = strawberry.field(
        description="Complete the login before this (10 minutes unless the server sets otherwise)."
    )


ExternalLoginStartResult = Annotated[
    ExternalLoginStartSuccess | ValidationError | ExternalLoginError | RateLimitedError,
    strawberry.union(
        "ExternalLoginStartResult",
        description="Where to log in, or why not: ValidationError IDENTITY_PROVIDER_UNKNOWN, REDIRECT_URI_NOT_ALLOWED; "
        "ExternalLoginError IDENTITY_PROVIDER_ERROR (the provider cannot be reached); RateLimitedError RATE_LIMITED.",
    ),
]


@strawberry.input(description="What the provider sent back to the redirect URI.")
class ExternalLoginCompleteInput:
    state: str = strawberry.field(description="The `state` parameter (as `externalLoginStart` returned it).")
    code: str = strawberry.field(description="The `code` parameter: the provider's authorization code.")


ExternalLoginCompleteResult = Annotated[
    LoginSuccess | SecondFactorRequired | ExternalLoginError | RateLimitedError,
    strawberry.union(
        "ExternalLoginCompleteResult",
        description="A session, exactly as `login` gives it; for an account with two-factor login on, the second "
        "factor to ask for (SecondFactorRequired: `loginSecondFactor` completes it); or why not (no session, no "
        "account): ExternalLoginError "
        "EXTERNAL_LOGIN_INVALID, IDENTITY_PROVIDER_ERROR, ID_TOKEN_INVALID, IDENTITY_NOT_LINKED, IDENTITY_TAKEN, "
        "ACCOUNT_DEACTIVATED; RateLimitedError RATE_LIMITED.",
    ),
]


@strawberry.type(description="The identity is linked to your account: you can log in with it.")
class ExternalIdentityLinkSuccess:
    identity: ExternalIdentity = strawberry.field(description="The linked identity.")


ExternalIdentityLinkResult = Annotated[
    ExternalIdentityLinkSuccess | ExternalLoginError | RateLimitedError,
    strawberry.union(
        "ExternalIdentityLinkResult",
        description="The linked identity, or why not (nothing linked): ExternalLoginError EXTERNAL_LOGIN_INVALID "
        "(also a state started by someone else), IDENTITY_PROVIDER_ERROR, ID_TOKEN_INVALID, IDENTITY_TAKEN (linked "
        "to another account); RateLimitedError RATE_LIMITED.",
    ),
]


@strawberry.input(description="The identity to unlink.")
class ExternalIdentityUnlinkInput:
    id: strawberry.ID = strawberry.field(description="An `ExternalIdentity` id from `viewer.externalIdentities`.")


@strawberry.type(description="The identity is unlinked: it no longer logs in to your account.")
class ExternalIdentityUnlinkSuccess:
    id: strawberry.ID = strawberry.field(description="The unlinked identity's id.")


ExternalIdentityUnlinkResult = Annotated[
    ExternalIdentityUnlinkSuccess | NotFoundError | ValidationError,
    strawberry.union(
        "ExternalIdentityUnlinkResult",
        description="Unlinked, or why not (nothing changed): NotFoundError IDENTITY_NOT_FOUND (not one of yours); "
        "ValidationError LAST_WAY_IN (no password and no other identity would be left).",
    ),
]


@strawberry.input(description="A provider's subject id to link to an account you administer.")
class ExternalIdentityPreRegisterInput:
    user_id: strawberry.ID = strawberry.field(description="A `User` (or `Account`) id you administer.")
    provider: str = strawberry.field(description="An `IdentityProvider.name`.")
    subject: str = strawberry.field(description="The provider's subject id of that person (its `sub` claim).")


@strawberry.type(description="The identity is linked to the account: its first login goes straight into it.")
class ExternalIdentityPreRegisterSuccess:
    provider: str = strawberry.field(description="The provider's name.")
    linked_at: dt.datetime = strawberry.field(description="When it was linked.")


ExternalIdentityPreRegisterResult = Annotated[
    ExternalIdentityPreRegisterSuccess | NotFoundError | ValidationError,
    strawberry.union(
        "ExternalIdentityPreRegisterResult",
        description="Linked, or why not (nothing written): NotFoundError USER_NOT_FOUND (not an account you "
        "administer); ValidationError IDENTITY_PROVIDER_UNKNOWN, SUBJECT_INVALID, IDENTITY_TAKEN.",
    ),
]


def _started(started: identity.Started) -> ExternalLoginStartSuccess:
    return ExternalLoginStartSuccess(
        authorization_url=started.authorization_url, state=started.state, expires_at=started.expires_at
    )


@strawberry.type
class IdentityMutations:
    @strawberry.mutation(
        description="Start logging in with an identity provider (code flow with PKCE): send the person to the "
        "returned URL, then call `externalLoginComplete` with what the provider sends back. Counts against the "
        "login attempts of your address.",
        permission_classes=[IsPublic],
    )
    async def external_login_start(
        self, info: Info, input: Annotated[ExternalLoginStartInput, INPUT]
    ) -> ExternalLoginStartResult:
        purpose = models.ExternalLoginPurpose.REGISTER if input.create_account else models.ExternalLoginPurpose.LOGIN
        return _started(await identity.start(info.context, input.provider, input.redirect_uri, purpose))

    @strawberry.mutation(
        description="Complete an external login: the app's own tokens, as `login` returns them. Each `state` works "
        "once, before it expires. Audited.",
        permission_classes=[IsPublic],
    )
    async def external_login_complete(
        self, info: Info, input: Annotated[ExternalLoginCompleteInput, INPUT]
    ) -> ExternalLoginCompleteResult:
        done = await identity.complete_login(info.context, input.state, input.code)
        if isinstance(done, login_steps.Challenge):
            return SecondFactorRequired(challenge=done.token, expires_at=done.expires_at)
        return LoginSuccess(pair=done)

    @strawberry.mutation(
        description="Start linking an identity at a provider to your account; complete with "
        "`externalIdentityLinkComplete`.",
        permission_classes=[IsAuthenticated],
    )
    async def external_identity_link_start(
        self, info: Info, input: Annotated[ExternalIdentityLinkStartInput, INPUT]
    ) -> ExternalLoginStartResult:
        purpose = models.ExternalLoginPurpose.LINK
        return _started(await identity.start(info.context, input.provider, input.redirect_uri, purpose))

    @strawberry.mutation(
        description="Link the identity you logged in with at the provider to your account. Audited.",
        permission_classes=[IsAuthenticated],
    )
    async def external_identity_link_complete(
        self, info: Info, input: Annotated[ExternalLoginCompleteInput, INPUT]
    ) -> ExternalIdentityLinkResult:
        row = await identity.complete_link(info.context, input.state, input.code)
        return ExternalIdentityLinkSuccess(identity=ExternalIdentity(model=row))

    @strawberry.mutation(
        description="Unlink one of your identities, keeping at least one way in (a password or another identity). "
        "Audited.",
        permission_classes=[IsAuthenticated],
    )
    async def external_identity_unlink(
        self, info: Info, input: Annotated[ExternalIdentityUnlinkInput, INPUT]
    ) -> ExternalIdentityUnlinkResult:
        await identity.unlink(info.context, input.id)
        return ExternalIdentityUnlinkSuccess(id=input.id)

    @strawberry.mutation(
        description="Link a provider's subject id to an account you administer (school admins for their school, "
        "district admins for their district), before its owner first logs in with it. Audited. FORBIDDEN for "
        "anyone else.",
        permission_classes=[ACCOUNT_MANAGERS],
    )
    async def external_identity_pre_register(
        self, info: Info, input: Annotated[ExternalIdentityPreRegisterInput, INPUT]
    ) -> ExternalIdentityPreRegisterResult:
        row = await identity.pre_register(info.context, input.user_id, input.provider, input.subject)
        return ExternalIdentityPreRegisterSuccess(provider=row.provider, linked_at=row.linked_at)
