"""Guardianships through the API: a school's admins (and its district's) revoke one with a
reason and restore it, audited without the reason's words; revoking takes the guardian out of
the child's chats and meetings and hides the child's notifications at once, and leaves their
other child untouched; restoring gives back what it took. Who sees guardianships, and who
sees why one was revoked. Each test builds its own school from factories."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

import models
from resolvers.core import now_utc, today_utc
from tests.api.test_statements import _count, _explain
from tests.chat_helpers import ADD, REMOVE, run
from tests.client import Client
from tests.conftest import StatementCounter
from tests.factories import Factory, SchoolKit, school_days_before
from tests.helpers import gid
from tests.notifying import inbox, run_notifier

REVOKE = """
mutation R($input: GuardianshipRevokeInput!) { guardianshipRevoke(input: $input) { __typename
  ... on GuardianshipRevokeSuccess { guardianship { id revokedAt } chatsRemoved meetingAnswersRemoved }
  ... on ValidationError { fields { field code } } ... on Error { code message } } }
"""
RESTORE = """
mutation R($input: GuardianshipRestoreInput!) { guardianshipRestore(input: $input) { __typename
  ... on GuardianshipRestoreSuccess { guardianship { id revokedAt } chatsRestored }
  ... on ValidationError { fields { field code } } ... on Error { code message } } }
"""
GUARDIANS = """
query G($id: ID!) { student(id: $id) { guardianships { id guardian { id } relation revokedAt
  revocation { category reason revokedBy { id } }
  revocations { category reason revokedAt revokedBy { id } restoredAt restoredBy { id } } } } }
"""
CHILDREN = "{ viewer { children { id } } }"
NODE = "query N($id: ID!) { node(id: $id) { __typename id } }"
GRADE = "mutation G($input: GradeCreateInput!) { gradeCreate(input: $input) { __typename } }"
MEETINGS = "{ viewer { meetings { id myResponse { answer } } } }"
WHY = "Court order of 3 March: contact with the child suspended"


@dataclass
class Family:
    """A school with 5A and 6B. ``parent`` is the guardian of anna (5A) and boris (6B); the link
    to anna is the one revoked. anna has a second guardian; vera (5A) and gleb (6B) are other
    families' children. ``maths`` teaches 5A only, ``russian`` both classes."""

    kit: SchoolKit
    admin: models.User
    parent: models.User
    anna: models.Student
    boris: models.Student
    link: models.Guardianship  # parent -> anna
    co_parent: models.User  # anna's other guardian
    vera_parent: models.User  # of vera, 5A
    gleb_parent: models.User  # of gleb, 6B
    maths: models.User
    russian: models.User

    @property
    def link_id(self) -> str:
        return gid(self.link, "Guardianship")


async def _family(factory: Factory) -> Family:
    kit = await factory.school(classes=("5A", "6B"))
    assert kit.admin is not None
    maths = await factory.teacher(kit, [("5A", "Mathematics")], name="maths")
    russian = await factory.teacher(kit, [("5A", "Russian language"), ("6B", "Russian language")], name="russian")
    parent, co_parent = await factory.parent("mum"), await factory.parent("dad")
    vera_parent, gleb_parent = await factory.parent("vmum"), await factory.parent("gmum")
    anna = await factory.student(kit, "5A", "anna", guardians=[co_parent])
    link = await factory.guardianship(kit, parent, anna)
    boris = await factory.student(kit, "6B", "boris", guardians=[parent], login=False)
    await factory.student(kit, "5A", "vera", guardians=[vera_parent], login=False)
    await factory.student(kit, "6B", "gleb", guardians=[gleb_parent], login=False)
    return Family(kit, kit.admin, parent, anna, boris, link, co_parent, vera_parent, gleb_parent, maths, russian)


async def _revoke(client: Client, family: Family, reason: str = WHY, **extra: Any) -> dict[str, Any]:
    data = await client.data(REVOKE, input={"guardianshipId": family.link_id, "reason": reason, **extra})
    result: dict[str, Any] = data["guardianshipRevoke"]
    return result


async def _restore(client: Client, family: Family) -> dict[str, Any]:
    result: dict[str, Any] = (await client.data(RESTORE, input={"guardianshipId": family.link_id}))[
        "guardianshipRestore"
    ]
    return result


async def _children(client: Client) -> set[str]:
    return {c["id"] for c in (await client.data(CHILDREN))["viewer"]["children"]}


async def _guardians(client: Client, student: models.Student) -> list[dict[str, Any]] | None:
    found = (await client.data(GUARDIANS, id=gid(student, "Student")))["student"]
    return None if found is None else list(found["guardianships"])


@pytest.mark.parametrize("who", ["school admin", "district admin"])
async def test_an_admin_revokes_and_restores_a_guardianship(factory: Factory, who: str) -> None:
    family = await _family(factory)
    actor = family.admin if who == "school admin" else await factory.district_admin()
    admin, parent = factory.client(actor), factory.client(family.parent)
    anna, boris = gid(family.anna, "Student"), gid(family.boris, "Student")
    assert await _children(parent) == {anna, boris}

    revoked = await _revoke(admin, family, category="COURT_ORDER")
    assert revoked["__typename"] == "GuardianshipRevokeSuccess", revoked
    assert revoked["guardianship"]["revokedAt"] is not None
    assert await _children(parent) == {boris}  # at once; the other child stays
    assert (await parent.data(GUARDIANS, id=anna))["student"] is None
    assert (await parent.data(NODE, id=family.link_id))["node"] is None
    link = next(g for g in await _guardians(admin, family.anna) or [] if g["id"] == family.link_id)
    assert link["revocation"] == {"category": "COURT_ORDER", "reason": WHY, "revokedBy": {"id": gid(actor, "User")}}

    restored = await _restore(admin, family)
    assert restored["__typename"] == "GuardianshipRestoreSuccess", restored
    assert restored["guardianship"]["revokedAt"] is None
    assert await _children(parent) == {anna, boris}
    link = next(g for g in await _guardians(admin, family.anna) or [] if g["id"] == family.link_id)
    assert (link["revokedAt"], link["revocation"]) == (None, None)
    (history,) = link["revocations"]
    assert (history["reason"], history["restoredBy"]) == (WHY, {"id": gid(actor, "User")})
    assert history["restoredAt"] is not None


async def test_not_yours_is_not_found_and_not_an_admin_is_forbidden(factory: Factory) -> None:
    family = await _family(factory)
    elsewhere = await factory.school("Other")
    other_district = await models.District.create(name=f"Far {factory.tag}")
    far_admin = await factory.user("far")
    await models.RoleGrant.create(user=far_admin, role=models.Role.DISTRICT_ADMIN, district=other_district)
    missing = await factory.client(family.admin).data(
        REVOKE, input={"guardianshipId": gid(models.Guardianship(id=2_000_000_000), "Guardianship"), "reason": "x"}
    )
    for outsider in (elsewhere.admin, far_admin):
        client = factory.client(outsider)
        for answer in (await _revoke(client, family), await _restore(client, family)):
            assert (
                answer
                == missing["guardianshipRevoke"]
                == {
                    "__typename": "NotFoundError",
                    "code": "GUARDIANSHIP_NOT_FOUND",
                    "message": "No such guardianship.",
                }
            )
        assert (await client.data(NODE, id=family.link_id))["node"] is None
        assert await _guardians(client, family.anna) is None
    for person in (family.russian, family.co_parent, family.parent):
        body = await factory.client(person).post(REVOKE, input={"guardianshipId": family.link_id, "reason": WHY})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
    await family.link.refresh_from_db()
    assert family.link.revoked_at is None
    assert not await models.AuditEntry.exists(action="guardianship.revoke", object_id=family.link.id)


async def _untouched(family: Family) -> None:
    await family.link.refresh_from_db()
    assert family.link.revoked_at is None
    assert not await models.GuardianshipRevocation.exists(guardianship_id=family.link.id)
    assert not await models.AuditEntry.exists(action="guardianship.revoke", object_id=family.link.id)


@pytest.mark.parametrize(
    ("reason", "code"), [("", "REASON_EMPTY"), (" \n\t ", "REASON_EMPTY"), ("x" * 501, "REASON_TOO_LONG")]
)
async def test_a_bad_reason_is_refused_and_nothing_changes(factory: Factory, reason: str, code: str) -> None:
    family = await _family(factory)
    refused = await _revoke(factory.client(family.admin), family, reason=reason)
    assert refused["__typename"] == "ValidationError", refused
    assert refused["fields"] == [{"field": "reason", "code": code}]
    await _untouched(family)
    assert await _children(factory.client(family.parent)) == {gid(family.anna, "Student"), gid(family.boris, "Student")}


async def test_revoking_twice_or_restoring_a_standing_one_is_refused(factory: Factory) -> None:
    family = await _family(factory)
    admin = factory.client(family.admin)
    restored = await _restore(admin, family)
    assert restored["__typename"] == "ValidationError"
    assert restored["fields"] == [{"field": "guardianshipId", "code": "NOT_REVOKED"}]
    await _untouched(family)
    assert (await _revoke(admin, family))["__typename"] == "GuardianshipRevokeSuccess"
    again = await _revoke(admin, family, reason="Another reason", category="OTHER")
    assert again["__typename"] == "ValidationError"
    assert again["fields"] == [{"field": "guardianshipId", "code": "ALREADY_REVOKED"}]
    (revocation,) = await models.GuardianshipRevocation.filter(guardianship_id=family.link.id)
    assert (revocation.reason, revocation.category) == (WHY, models.RevocationCategory.OTHER)
    assert await models.AuditEntry.filter(action="guardianship.revoke", object_id=family.link.id).count() == 1


async def test_restoring_after_a_new_link_is_refused(factory: Factory) -> None:
    """An access request approved meanwhile made a new guardianship: the old one stays revoked."""
    family = await _family(factory)
    admin = factory.client(family.admin)
    await _revoke(admin, family)
    await factory.guardianship(family.kit, family.parent, family.anna)
    refused = await _restore(admin, family)
    assert refused["fields"] == [{"field": "guardianshipId", "code": "ALREADY_GUARDIAN"}]
    await family.link.refresh_from_db()
    assert family.link.revoked_at is not None


async def test_both_are_audited_without_the_reasons_words(factory: Factory) -> None:
    family = await _family(factory)
    admin = factory.client(family.admin)
    chat = await factory.chat(family.kit, family.maths, [family.parent, family.vera_parent], title="5A parents")
    await _revoke(admin, family, category="CUSTODY_CHANGE")
    await _restore(admin, family)
    entries = await models.AuditEntry.filter(object_type="Guardianship", object_id=family.link.id).order_by("id")
    assert [(e.action, e.actor_id, e.school_id) for e in entries] == [
        ("guardianship.revoke", family.admin.id, family.kit.school.id),
        ("guardianship.restore", family.admin.id, family.kit.school.id),
    ]
    revoke, restore = (e.details for e in entries)
    assert revoke == {
        "guardian": family.parent.id,
        "student": family.anna.id,
        "category": "CUSTODY_CHANGE",
        "chats": [chat.id],
        "meetings": [],
    }
    assert (restore["chats"], restore["guardian"]) == ([chat.id], family.parent.id)
    for entry in entries:
        assert "Court order" not in json.dumps(entry.details)


async def test_who_sees_guardianships_and_why_one_was_revoked(factory: Factory) -> None:
    """The admins: all, revoked ones with why. The family (the child, its guardians): the ones
    that stand, never a revoked one or a reason. A teacher of the child: none."""
    family = await _family(factory)
    admin = factory.client(family.admin)
    child = factory.client(await models.User.get(id=family.anna.user_id))
    co_parent, teacher = factory.client(family.co_parent), factory.client(family.russian)
    both = {gid(family.co_parent, "User"), gid(family.parent, "User")}
    for viewer in (child, co_parent, factory.client(family.parent), admin):
        assert {g["guardian"]["id"] for g in await _guardians(viewer, family.anna) or []} == both
        assert (await viewer.data(NODE, id=family.link_id))["node"] == {
            "__typename": "Guardianship",
            "id": family.link_id,
        }
    assert await _guardians(teacher, family.anna) == []
    assert (await teacher.data(NODE, id=family.link_id))["node"] is None

    await _revoke(admin, family)
    assert {g["guardian"]["id"] for g in await _guardians(admin, family.anna) or []} == both
    for viewer in (child, co_parent):
        (standing,) = await _guardians(viewer, family.anna) or []
        assert standing["guardian"]["id"] == gid(family.co_parent, "User")
        assert (standing["revocations"], standing["revocation"]) == ([], None)
        assert (await viewer.data(NODE, id=family.link_id))["node"] is None

    await _restore(admin, family)
    for viewer in (child, co_parent, factory.client(family.parent)):
        listed = await _guardians(viewer, family.anna) or []
        assert len(listed) == 2
        assert all(g["revocations"] == [] for g in listed), "the history of a revocation is the admins' alone"
    history = next(g for g in await _guardians(admin, family.anna) or [] if g["id"] == family.link_id)["revocations"]
    assert [h["reason"] for h in history] == [WHY]


async def _members(chat: models.Chat) -> set[int]:
    rows = await models.ChatMember.filter(chat_id=chat.id, removed_at__isnull=True).values_list("user_id", flat=True)
    return {int(str(r)) for r in rows}


async def test_revoking_takes_the_chats_held_through_the_child_and_restoring_gives_them_back(
    factory: Factory,
) -> None:
    family = await _family(factory)
    kit, parent = family.kit, family.parent
    anna_user = await models.User.get(id=family.anna.user_id)
    taken = {
        "5A parents": await factory.chat(kit, family.maths, [parent, family.vera_parent], title="5A parents"),
        "5A maths teacher": await factory.chat(kit, family.maths, [parent], title="Maths"),
        "with anna": await factory.chat(kit, parent, [anna_user], title="Family"),
    }
    kept = {
        "6B parents": await factory.chat(kit, family.russian, [parent, family.gleb_parent], title="6B parents"),
        "both classes' teacher": await factory.chat(kit, family.russian, [parent], title="Russian"),
        "the administration": await factory.chat(kit, family.admin, [parent], title="Office"),
        "staff made, nobody of 5A": await factory.chat(kit, family.admin, [parent, family.gleb_parent], title="PTA"),
    }
    admin = factory.client(family.admin)
    revoked = await _revoke(admin, family)
    assert revoked["chatsRemoved"] == len(taken), revoked
    for name, chat in taken.items():
        assert parent.id not in await _members(chat), name
        event = await models.ChatEvent.filter(chat_id=chat.id).order_by("-id").first()
        assert event is not None, name
        assert (event.kind, event.member_id) == ("MEMBER_REMOVED", parent.id), name
    for name, chat in kept.items():
        assert parent.id in await _members(chat), name
    chats = await factory.client(parent).data("{ viewer { chats(first: 20) { edges { node { title } } } } }")
    titles = {e["node"]["title"].split(" ")[0] for e in chats["viewer"]["chats"]["edges"]}
    assert titles == {"6B", "Russian", "Office", "PTA"}

    restored = await _restore(admin, family)
    assert restored["chatsRestored"] == len(taken)
    for name, chat in {**taken, **kept}.items():
        assert parent.id in await _members(chat), name


async def test_restoring_leaves_a_membership_changed_since_alone(factory: Factory) -> None:
    """Added back and removed again by the chat's admin meanwhile: their decision stands."""
    family = await _family(factory)
    chat = await factory.chat(family.kit, family.maths, [family.parent, family.vera_parent], title="5A parents")
    admin, maths = factory.client(family.admin), factory.client(family.maths)
    await _revoke(admin, family)
    chat_id, user_id = gid(chat, "Chat"), gid(family.parent, "User")
    assert (await run(maths, ADD, chatId=chat_id, memberIds=[user_id]))["__typename"] == "ChatMembersAddSuccess"
    assert (await run(maths, REMOVE, chatId=chat_id, userId=user_id))["__typename"] == "ChatMemberRemoveSuccess"
    assert (await _restore(admin, family))["chatsRestored"] == 0
    assert family.parent.id not in await _members(chat)


async def test_revoking_takes_the_answers_to_the_childs_coming_meetings_only(factory: Factory) -> None:
    family = await _family(factory)
    kit, parent = family.kit, family.parent
    meetings = {
        "5A": await factory.meeting(kit, family.admin, ["5A"]),
        "6B": await factory.meeting(kit, family.admin, ["6B"]),
        "5A and 6B": await factory.meeting(kit, family.admin, ["5A", "6B"]),
    }
    for meeting in meetings.values():
        await models.MeetingResponse.create(
            meeting=meeting, user=parent, answer=models.MeetingAnswer.ATTENDING, answered_at=now_utc()
        )
    revoked = await _revoke(factory.client(family.admin), family)
    assert revoked["meetingAnswersRemoved"] == 1
    answered = await models.MeetingResponse.filter(user_id=parent.id).values_list("meeting_id", flat=True)
    assert {int(str(m)) for m in answered} == {meetings["6B"].id, meetings["5A and 6B"].id}
    seen = (await factory.client(parent).data(MEETINGS))["viewer"]["meetings"]
    assert {m["id"] for m in seen} == {gid(meetings["6B"], "Meeting"), gid(meetings["5A and 6B"], "Meeting")}


async def test_revoking_hides_the_childs_notifications_and_stops_new_ones(factory: Factory, app: Any) -> None:
    """Written before: no longer shown. After: not written. The other child's: as before."""
    family = await _family(factory)
    (day,) = school_days_before(today_utc(), 1)
    maths_lesson = await factory.lesson(family.kit, "5A", "Mathematics", family.maths, day)
    russian_lesson = await factory.lesson(family.kit, "6B", "Russian language", family.russian, day)
    maths, russian = factory.client(family.maths), factory.client(family.russian)
    parent, co_parent = factory.client(family.parent), factory.client(family.co_parent)

    async def notified() -> None:
        while await run_notifier(app):
            pass

    async def grade(teacher: Client, child: models.Student, lesson: models.Lesson) -> None:
        variables = {"studentId": gid(child, "Student"), "lessonId": gid(lesson, "Lesson"), "value": "5"}
        assert (await teacher.data(GRADE, input=variables))["gradeCreate"]["__typename"] == "GradeCreateSuccess"
        await notified()

    await notified()  # everything before this test is notified
    await grade(maths, family.anna, maths_lesson)
    await grade(russian, family.boris, russian_lesson)
    assert {n["student"]["fullName"].split()[0] for n in await inbox(parent)} == {"Anna", "Boris"}
    await _revoke(factory.client(family.admin), family)
    assert {n["student"]["fullName"].split()[0] for n in await inbox(parent)} == {"Boris"}
    written = await models.Notification.filter(user_id=family.parent.id).count()
    await grade(maths, family.anna, maths_lesson)
    assert await models.Notification.filter(user_id=family.parent.id).count() == written
    assert [n["student"]["fullName"].split()[0] for n in await inbox(co_parent)] == ["Anna", "Anna"]
    await grade(russian, family.boris, russian_lesson)
    assert [n["student"]["fullName"].split()[0] for n in await inbox(parent)] == ["Boris", "Boris"]


GUARDIAN_TREE = """
query C($id: ID!) { node(id: $id) { ... on SchoolClass { students { guardianships { id relation revokedAt
  guardian { fullName } student { fullName } revocation { reason revokedBy { fullName } }
  revocations { reason restoredBy { fullName } } } } } } }
"""


async def test_guardianship_statements_do_not_grow(factory: Factory, count_statements: StatementCounter) -> None:
    small_kit = await factory.school("Small")
    await factory.student(small_kit, "5A", "solo", guardians=[await factory.parent("solo-mum")])
    family = await _family(factory)
    for n in range(3):
        await factory.student(family.kit, "5A", f"kid{n}", guardians=[await factory.parent(f"p{n}")])
    admin = factory.client(family.admin)
    await _revoke(admin, family)
    await _restore(admin, family)
    await _revoke(admin, family)
    small_class, large_class = gid(small_kit.classes["5A"], "SchoolClass"), gid(family.kit.classes["5A"], "SchoolClass")
    small, _ = await _count(factory.client(small_kit.admin), count_statements, GUARDIAN_TREE, id=small_class)
    large, found = await _count(admin, count_statements, GUARDIAN_TREE, id=large_class)
    links = [g for student in found["node"]["students"] for g in student["guardianships"]]
    assert (len(links), sum(len(g["revocations"]) for g in links)) == (6, 2)
    assert len(large) == len(small), _explain(small, large)
