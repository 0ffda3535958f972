"""Linking an identity at a provider to one's account, unlinking it (never the last way in), and an
admin's pre-registration of a subject id (issue 20, item 2), against the real test provider."""

from __future__ import annotations

from typing import Any

import httpx

import models
from resolvers.core import now_utc
from tests.client import Client
from tests.conftest import StatementCounter
from tests.factories import Factory
from tests.helpers import gid
from tests.identity.provider import WEB_REDIRECT, log_in_at_provider
from tests.identity.test_external_login import VIEWER, log_in

LINK_START = """
mutation S($input: ExternalIdentityLinkStartInput!) {
  externalIdentityLinkStart(input: $input) {
    __typename
    ... on ExternalLoginStartSuccess { authorizationUrl state }
    ... on Error { code }
  }
}
"""
LINK_COMPLETE = """
mutation C($input: ExternalLoginCompleteInput!) {
  externalIdentityLinkComplete(input: $input) {
    __typename
    ... on ExternalIdentityLinkSuccess { identity { id provider displayName linkedAt lastLoginAt } }
    ... on Error { code }
  }
}
"""
UNLINK = """
mutation U($id: ID!) {
  externalIdentityUnlink(input: {id: $id}) {
    __typename
    ... on ExternalIdentityUnlinkSuccess { id }
    ... on ValidationError { code fields { field code } }
    ... on Error { code }
  }
}
"""
PRE_REGISTER = """
mutation P($input: ExternalIdentityPreRegisterInput!) {
  externalIdentityPreRegister(input: $input) {
    __typename
    ... on ExternalIdentityPreRegisterSuccess { provider linkedAt }
    ... on ValidationError { code fields { field code } }
    ... on Error { code }
  }
}
"""
IMPORT = """
mutation I($input: RosterImportInput!) { rosterImport(input: $input) {
  __typename
  ... on RosterImportSuccess { counts { kind created updated unchanged } }
  ... on FileRefusedError { code problems { line column code } }
  ... on Error { code } } }
"""
NODE = "query N($id: ID!) { node(id: $id) { __typename ... on ExternalIdentity { provider } } }"


async def link_start(client: Client) -> dict[str, Any]:
    started: dict[str, Any] = (await client.data(LINK_START, input={"provider": "idp", "redirectUri": WEB_REDIRECT}))[
        "externalIdentityLinkStart"
    ]
    return started


async def link(client: Client, login: str) -> dict[str, Any]:
    started = await link_start(client)
    assert started["__typename"] == "ExternalLoginStartSuccess", started
    answer = await log_in_at_provider(started["authorizationUrl"], login)
    result: dict[str, Any] = (await client.data(LINK_COMPLETE, input={"state": answer.state, "code": answer.code}))[
        "externalIdentityLinkComplete"
    ]
    return result


def as_user(http: httpx.AsyncClient, factory: Factory, user: models.User) -> Client:
    return Client(http, factory.client(user).token, str(user.id))


async def test_a_user_links_an_identity_then_logs_in_with_it(oidc_http: httpx.AsyncClient, factory: Factory) -> None:
    user = await factory.user("anna", password="a-long-password")
    result = await link(as_user(oidc_http, factory, user), f"{factory.tag}-anna")
    assert result["__typename"] == "ExternalIdentityLinkSuccess", result
    assert result["identity"]["provider"] == "idp"
    assert result["identity"]["lastLoginAt"] is None
    [entry] = await models.AuditEntry.filter(actor_id=user.id, action="identity.link")
    assert entry.details == {"provider": "idp"}
    logged_in = await log_in(oidc_http, f"{factory.tag}-anna")
    assert logged_in["user"]["id"] == gid(user, "User")
    listed = (await as_user(oidc_http, factory, user).data(VIEWER))["viewer"]["externalIdentities"]
    assert [i["id"] for i in listed] == [result["identity"]["id"]]


async def test_linking_needs_a_login(oidc_http: httpx.AsyncClient) -> None:
    body = await Client(oidc_http).post(LINK_START, input={"provider": "idp", "redirectUri": WEB_REDIRECT})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_another_user_cannot_complete_my_link(oidc_http: httpx.AsyncClient, factory: Factory) -> None:
    """A link started by one account, completed in another's session (a forged callback), links nothing."""
    mine, theirs = await factory.user("mine"), await factory.user("theirs")
    started = await link_start(as_user(oidc_http, factory, mine))
    answer = await log_in_at_provider(started["authorizationUrl"], f"{factory.tag}-mine")
    result = await as_user(oidc_http, factory, theirs).data(
        LINK_COMPLETE, input={"state": answer.state, "code": answer.code}
    )
    assert result["externalIdentityLinkComplete"]["code"] == "EXTERNAL_LOGIN_INVALID"
    # nor can a link's state log anybody in
    login = await Client(oidc_http).data(
        "mutation C($s: String!, $c: String!) { externalLoginComplete(input: {state: $s, code: $c}) "
        "{ __typename ... on Error { code } } }",
        s=answer.state,
        c=answer.code,
    )
    assert login["externalLoginComplete"]["code"] == "EXTERNAL_LOGIN_INVALID"
    assert not await models.ExternalIdentity.filter(subject=f"{factory.tag}-mine").exists()


async def test_an_identity_is_linked_to_one_account_only(oidc_http: httpx.AsyncClient, factory: Factory) -> None:
    first, second = await factory.user("first"), await factory.user("second")
    subject = f"{factory.tag}-shared"
    assert (await link(as_user(oidc_http, factory, first), subject))["__typename"] == "ExternalIdentityLinkSuccess"
    again = await link(as_user(oidc_http, factory, first), subject)  # linking twice changes nothing
    assert again["__typename"] == "ExternalIdentityLinkSuccess"
    taken = await link(as_user(oidc_http, factory, second), subject)
    assert (taken["__typename"], taken["code"]) == ("ExternalLoginError", "IDENTITY_TAKEN")
    assert [i.user_id for i in await models.ExternalIdentity.filter(subject=subject)] == [first.id]
    assert await models.AuditEntry.filter(action="identity.link", actor_id__in=[first.id, second.id]).count() == 1


async def test_unlinking_keeps_a_way_in(oidc_http: httpx.AsyncClient, factory: Factory) -> None:
    """An account made by a first login has no password: its only identity stays until another is linked."""
    created = await log_in(oidc_http, f"{factory.tag}-solo", createAccount=True)
    client = Client(oidc_http, created["accessToken"], created["user"]["id"])
    [only] = (await client.data(VIEWER))["viewer"]["externalIdentities"]
    refused = (await client.data(UNLINK, id=only["id"]))["externalIdentityUnlink"]
    assert refused["fields"] == [{"field": "id", "code": "LAST_WAY_IN"}]
    assert await models.ExternalIdentity.filter(subject=f"{factory.tag}-solo").exists()
    assert (await link(client, f"{factory.tag}-second"))["__typename"] == "ExternalIdentityLinkSuccess"
    done = (await client.data(UNLINK, id=only["id"]))["externalIdentityUnlink"]
    assert done == {"__typename": "ExternalIdentityUnlinkSuccess", "id": only["id"]}
    assert not await models.ExternalIdentity.filter(subject=f"{factory.tag}-solo").exists()
    identity_login = await log_in(oidc_http, f"{factory.tag}-solo")
    assert identity_login["code"] == "IDENTITY_NOT_LINKED"
    user_id = (await models.ExternalIdentity.get(subject=f"{factory.tag}-second")).user_id
    [entry] = await models.AuditEntry.filter(actor_id=user_id, action="identity.unlink")
    assert entry.details == {"provider": "idp"}


async def test_a_password_is_a_way_in(oidc_http: httpx.AsyncClient, factory: Factory) -> None:
    user = await factory.user("anna", password="a-long-password")
    linked = await link(as_user(oidc_http, factory, user), f"{factory.tag}-anna")
    done = await as_user(oidc_http, factory, user).data(UNLINK, id=linked["identity"]["id"])
    assert done["externalIdentityUnlink"]["__typename"] == "ExternalIdentityUnlinkSuccess"


async def test_another_users_identity_is_not_there(oidc_http: httpx.AsyncClient, factory: Factory) -> None:
    owner, other = await factory.user("owner", password="a-long-password"), await factory.user("other")
    linked = await link(as_user(oidc_http, factory, owner), f"{factory.tag}-owner")
    identity_id = linked["identity"]["id"]
    outsider = as_user(oidc_http, factory, other)
    assert (await outsider.data(NODE, id=identity_id))["node"] is None
    assert (await as_user(oidc_http, factory, owner).data(NODE, id=identity_id))["node"] == {
        "__typename": "ExternalIdentity",
        "provider": "idp",
    }
    refused = (await outsider.data(UNLINK, id=identity_id))["externalIdentityUnlink"]
    assert refused["code"] == "IDENTITY_NOT_FOUND"
    nonsense = (await outsider.data(UNLINK, id="not-an-id"))["externalIdentityUnlink"]
    assert nonsense["code"] == "IDENTITY_NOT_FOUND"
    assert await models.ExternalIdentity.filter(subject=f"{factory.tag}-owner").exists()


async def test_an_admin_pre_registers_a_subject(oidc_http: httpx.AsyncClient, factory: Factory) -> None:
    kit = await factory.school()
    assert kit.admin is not None
    teacher = await factory.user("teacher")
    await models.RoleGrant.create(user=teacher, role=models.Role.TEACHER, school=kit.school)
    admin = as_user(oidc_http, factory, kit.admin)
    subject = f"{factory.tag}-teacher"
    done = await admin.data(PRE_REGISTER, input={"userId": gid(teacher, "User"), "provider": "idp", "subject": subject})
    assert done["externalIdentityPreRegister"]["__typename"] == "ExternalIdentityPreRegisterSuccess"
    [entry] = await models.AuditEntry.filter(actor_id=kit.admin.id, action="identity.preregister")
    assert (entry.details, entry.school_id) == ({"provider": "idp"}, kit.school.id)
    result = await log_in(oidc_http, subject)
    assert result["user"]["id"] == gid(teacher, "User")
    taken = await admin.data(
        PRE_REGISTER, input={"userId": gid(kit.admin, "User"), "provider": "idp", "subject": subject}
    )
    assert taken["externalIdentityPreRegister"]["fields"] == [{"field": "subject", "code": "IDENTITY_TAKEN"}]
    bad = await admin.data(PRE_REGISTER, input={"userId": gid(teacher, "User"), "provider": "nobody", "subject": " "})
    assert [f["code"] for f in bad["externalIdentityPreRegister"]["fields"]] == [
        "IDENTITY_PROVIDER_UNKNOWN",
        "SUBJECT_INVALID",
    ]


async def test_only_admins_of_the_account_pre_register(oidc_http: httpx.AsyncClient, factory: Factory) -> None:
    kit, elsewhere = await factory.school(), await factory.school()
    assert kit.admin is not None
    assert elsewhere.admin is not None
    teacher = await factory.user("teacher")
    await models.RoleGrant.create(user=teacher, role=models.Role.TEACHER, school=kit.school)
    variables = {"userId": gid(teacher, "User"), "provider": "idp", "subject": f"{factory.tag}-x"}
    other_admin = await as_user(oidc_http, factory, elsewhere.admin).data(PRE_REGISTER, input=variables)
    assert other_admin["externalIdentityPreRegister"]["code"] == "USER_NOT_FOUND"
    body = await as_user(oidc_http, factory, teacher).post(PRE_REGISTER, input=variables)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert not await models.ExternalIdentity.filter(subject=f"{factory.tag}-x").exists()


async def test_listing_identities_takes_the_same_statements(
    oidc_http: httpx.AsyncClient, factory: Factory, count_statements: StatementCounter
) -> None:
    user = await factory.user("many")
    client = as_user(oidc_http, factory, user)
    counts = []
    for n in range(3):
        if n:
            await models.ExternalIdentity.create(
                user=user, provider="idp", subject=f"{factory.tag}-{n}", linked_at=now_utc()
            )
        count_statements.statements.clear()
        listed = (await client.data(VIEWER))["viewer"]["externalIdentities"]
        counts.append(count_statements.count)
        assert len(listed) == n
    assert counts[0] == counts[1] == counts[2]


async def test_a_roster_import_links_identities_ahead_of_the_first_login(
    oidc_http: httpx.AsyncClient, factory: Factory
) -> None:
    """The roster's ``identity`` column: each ``provider:subject`` checked like a pre-registration,
    the whole file refused for one bad cell, and a linked person's first login goes straight in."""
    kit = await factory.school(subjects=("Mathematics",), classes=("5A",))
    assert kit.admin is not None
    admin = as_user(oidc_http, factory, kit.admin)
    school, tag = gid(kit.school, "School"), factory.tag
    elsewhere = await factory.user("elsewhere")
    await models.ExternalIdentity.create(user=elsewhere, provider="idp", subject=f"{tag}-other", linked_at=now_utc())
    header = "type,full_name,login,subjects,identity\n"
    bad = (
        f"teacher,Anna Petrova,anna-{tag},Mathematics@5A,idp:{tag}-anna\n"
        f"teacher,Boris Ivanov,boris-{tag},,idp:{tag}-anna\n"  # the same identity as line 2
        f"teacher,Vera Orlova,vera-{tag},,nobody:{tag}-vera\n"
        f"teacher,Gleb Sokolov,gleb-{tag},,idp:{tag}-other\n"  # linked to another account
    )
    refused = await admin.data(IMPORT, input={"schoolId": school, "csv": header + bad, "dryRun": False})
    problems = refused["rosterImport"]["problems"]
    assert [(p["line"], p["column"], p["code"]) for p in problems] == [
        (3, "identity", "IDENTITY_TAKEN"),
        (4, "identity", "IDENTITY_PROVIDER_UNKNOWN"),
        (5, "identity", "IDENTITY_TAKEN"),
    ]
    assert not await models.User.filter(login=f"anna-{tag}").exists()

    good = header + f"teacher,Anna Petrova,anna-{tag},Mathematics@5A,idp:{tag}-anna\n"
    done = (await admin.data(IMPORT, input={"schoolId": school, "csv": good, "dryRun": False}))["rosterImport"]
    assert done["__typename"] == "RosterImportSuccess", done
    anna = await models.User.get(login=f"anna-{tag}")
    [entry] = await models.AuditEntry.filter(action="identity.preregister", object_id=anna.id)
    assert (entry.actor_id, entry.details, entry.school_id) == (kit.admin.id, {"provider": "idp"}, kit.school.id)
    result = await log_in(oidc_http, f"{tag}-anna")
    assert result["user"]["id"] == gid(anna, "User")
    again = (await admin.data(IMPORT, input={"schoolId": school, "csv": good, "dryRun": True}))["rosterImport"]
    assert {c["kind"]: c["unchanged"] for c in again["counts"]}["TEACHER"] == 1  # linked already: nothing to do
