"""The HTTP column of the matrix "when access ends, it ends everywhere at once" (issue 15): for
each way a session's access ends, its access token is refused over HTTP from that moment, a
query and a mutation alike, and the journal download too, and nothing is written.

The session under test is a teacher's laptop; a second session (the phone) is where the
teacher acts when the ending is theirs to make elsewhere. Before the ending the same token
reads, grades and downloads (so a refusal after it is the ending's doing)."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest

import models
from resolvers import core, passwords, sessions
from resolvers.core import now_utc, today_utc
from tests.access.test_sessions import CHANGE, REFRESH, REVOKE, WHO, device, refusal, session_gid
from tests.client import Client
from tests.factories import Factory, SchoolKit, school_days_before
from tests.helpers import gid

PASSWORD = "correct-horse-battery"
GRADE = """
mutation G($input: GradeCreateInput!) { gradeCreate(input: $input) { __typename ... on Error { code } } }
"""
LOGOUT = "mutation L($t: String!) { logout(input: {refreshToken: $t}) { __typename } }"
RESET = "mutation R($id: ID!) { passwordReset(input: {userId: $id}) { __typename } }"
DEACTIVATE = """
mutation D($id: ID!) { accountDeactivate(input: {userId: $id, reason: "Left the school"}) { __typename } }
"""


@dataclass
class Classroom:
    kit: SchoolKit
    teacher: models.User
    student: models.Student
    lesson: models.Lesson
    laptop: sessions.TokenPair  # the session whose access ends
    phone: sessions.TokenPair  # another session of the teacher's
    http: httpx.AsyncClient
    travel: contextlib.ExitStack  # where an ending that moves the clock keeps it moved

    def client(self, pair: sessions.TokenPair | None = None) -> Client:
        return Client(self.http, (pair or self.laptop).access_token)

    async def grade(self, comment: str) -> dict[str, Any]:
        variables = {"studentId": gid(self.student, "Student"), "lessonId": gid(self.lesson, "Lesson")}
        body = await self.client().post(GRADE, input={**variables, "value": "5", "comment": comment})
        return body

    async def journal(self) -> int:
        maths = self.kit.subjects["Mathematics"]
        query = {"classId": gid(self.kit.classes["5A"], "SchoolClass"), "subjectId": gid(maths, "Subject")}
        response = await self.http.get("/export/journal.csv", params=query, headers=self.client().headers())
        return response.status_code


async def _classroom(factory: Factory, travel: contextlib.ExitStack) -> Classroom:
    kit = await factory.school()
    teacher = await factory.teacher(kit, [("5A", "Mathematics")])
    await models.User.filter(id=teacher.id).update(password_hash=passwords.hash_password(PASSWORD))
    student = await factory.student(kit, "5A", login=False)
    lesson = await factory.lesson(kit, "5A", "Mathematics", teacher, school_days_before(today_utc(), 1)[0])
    laptop = await device(factory.settings, teacher, "Laptop")
    phone = await device(factory.settings, teacher, "Phone")
    return Classroom(kit, teacher, student, lesson, laptop, phone, factory.http, travel)


async def _expiry(room: Classroom, factory: Factory) -> None:
    later = now_utc() + timedelta(seconds=factory.settings.access_token_ttl + 1)
    room.travel.enter_context(core.travel(later))


async def _logout(room: Classroom, factory: Factory) -> None:
    assert (await room.client().data(LOGOUT, t=room.laptop.refresh_token))["logout"]["__typename"] == "LogoutSuccess"


async def _password_change(room: Classroom, factory: Factory) -> None:
    change = {"currentPassword": PASSWORD, "newPassword": "a-brand-new-password"}
    changed = (await room.client(room.phone).data(CHANGE, input=change))["passwordChange"]
    assert changed["__typename"] == "LoginSuccess", changed


async def _password_reset(room: Classroom, factory: Factory) -> None:
    reset = (await factory.client(room.kit.admin).data(RESET, id=gid(room.teacher, "User")))["passwordReset"]
    assert reset["__typename"] == "PasswordResetSuccess", reset


async def _deactivation(room: Classroom, factory: Factory) -> None:
    done = (await factory.client(room.kit.admin).data(DEACTIVATE, id=gid(room.teacher, "User")))["accountDeactivate"]
    assert done["__typename"] == "AccountDeactivateSuccess", done


async def _session_revoked(room: Classroom, factory: Factory) -> None:
    revoked = (await room.client(room.phone).data(REVOKE, id=session_gid(room.laptop)))["sessionRevoke"]
    assert revoked["__typename"] == "SessionRevokeSuccess", revoked


async def _refresh_reused(room: Classroom, factory: Factory) -> None:
    """The laptop renews once; then its used refresh token is presented again (stolen)."""
    anonymous = Client(room.http)
    assert (await anonymous.data(REFRESH, t=room.laptop.refresh_token))["sessionRefresh"]["__typename"] == (
        "LoginSuccess"
    )
    again = (await anonymous.data(REFRESH, t=room.laptop.refresh_token))["sessionRefresh"]
    assert again["code"] == "INVALID_REFRESH_TOKEN"


# Each way access ends, and the `extensions.reason` its token answers with from then on.
ENDINGS: dict[str, tuple[Callable[[Classroom, Factory], Awaitable[None]], str | None]] = {
    "expiry": (_expiry, None),
    "logout": (_logout, "SESSION_ENDED"),
    "password changed in another session": (_password_change, "SESSION_ENDED"),
    "password reset by an admin": (_password_reset, "SESSION_ENDED"),
    "account deactivated": (_deactivation, "ACCOUNT_DEACTIVATED"),
    "session revoked": (_session_revoked, "SESSION_ENDED"),
    "refresh token reused": (_refresh_reused, "SESSION_ENDED"),
}


@pytest.mark.parametrize("ending", list(ENDINGS))
async def test_an_ended_access_is_refused_over_http_and_writes_nothing(factory: Factory, ending: str) -> None:
    end, reason = ENDINGS[ending]
    with contextlib.ExitStack() as travel:
        room = await _classroom(factory, travel)
        me = room.client()
        assert (await me.data(WHO))["viewer"]["user"]["fullName"] == room.teacher.full_name
        assert (await room.grade("before"))["data"]["gradeCreate"]["__typename"] == "GradeCreateSuccess"
        assert await room.journal() == 200

        await end(room, factory)

        assert refusal(await me.post(WHO)) == ("UNAUTHENTICATED", reason)
        assert refusal(await room.grade("after")) == ("UNAUTHENTICATED", reason)
        assert await room.journal() == 401
        assert [g.comment for g in await models.Grade.filter(student_id=room.student.id)] == ["before"]


FILE_URL = "query F($id: ID!) { node(id: $id) { ... on Homework { attachments { url } } } }"


def _answer(response: httpx.Response) -> tuple[int, bytes, list[tuple[str, str]]]:
    """All a download answers that could tell one refusal from another (the headers but for the
    date and the request's own id)."""
    headers = [(k, v) for k, v in response.headers.items() if k not in ("date", "x-request-id")]
    return response.status_code, response.content, headers


@pytest.mark.parametrize("ending", [name for name in ENDINGS if name != "expiry"])
async def test_an_ended_access_ends_the_file_urls_it_read(factory: Factory, ending: str) -> None:
    """A file's URL read in the session works until the session ends, and from that moment
    answers exactly what a token that never was answers (issue 22: the download asks again).
    (An access token's expiry ends no session: its URLs live their own few minutes.)"""
    end, _reason = ENDINGS[ending]
    with contextlib.ExitStack() as travel:
        room = await _classroom(factory, travel)
        homework = await models.Homework.create(lesson_id=room.lesson.id, text="Do", assigned_by_id=room.teacher.id)
        await factory.upload(room.teacher, b"%PDF-1.7\n%sheet\n", homework_id=homework.id)
        (attached,) = (await room.client().data(FILE_URL, id=gid(homework, "Homework")))["node"]["attachments"]
        before = await room.http.get(attached["url"])
        assert (before.status_code, before.content) == (200, b"%PDF-1.7\n%sheet\n")

        await end(room, factory)

        never = await room.http.get("/files/" + "1." * 3 + "0" * 40)
        assert never.status_code == 404
        assert _answer(await room.http.get(attached["url"])) == _answer(never)
