"""A file's download URL is asked again when it is used (issue 22, README "Files"): a URL read
before access to the file's owner ended stops working at that moment, and a token edited by one
character, of another file or session, expired, or of an upload answers exactly what a token that
never was answers (status, body, headers). The endings of the session itself (logout, password
change, deactivation, ...) are tests/access/test_access_ends_http.py's."""

from __future__ import annotations

from datetime import timedelta

import httpx

import models
from resolvers import core, files
from resolvers.core import now_utc, today_utc
from tests.access.test_access_ends_http import _answer
from tests.admin.test_guardianships import REVOKE
from tests.admin.test_org_admin import TRANSFER
from tests.chat_helpers import REMOVE, SEND, new_chat, run
from tests.classwork.test_files import START, _upload
from tests.classwork.test_homework import ASSIGN, MATHS, School, _school
from tests.client import Client
from tests.factories import Factory
from tests.helpers import gid, pk
from tests.notices.test_announcements import UPDATE as ANNOUNCEMENT_UPDATE
from tests.notices.test_announcements import _post as announcement_post
from tests.notices.test_announcements import _school as announcement_school

HOMEWORK_FILES = "query H($id: ID!) { node(id: $id) { ... on Homework { attachments { id url } } } }"
MESSAGE_FILES = """query C($id: ID!) { chat(id: $id) { messages(last: 5) { edges { node {
  attachments { url } } } } } }"""
ANNOUNCEMENT_FILES = "query A($id: ID!) { node(id: $id) { ... on Announcement { attachments { url } } } }"
NEVER = "/files/1.1.1." + "0" * 40  # the shape of a download token, of nothing


async def _never(http: httpx.AsyncClient) -> tuple[int, bytes, list[tuple[str, str]]]:
    answer = await http.get(NEVER)
    assert answer.status_code == 404
    return _answer(answer)


async def _homework_file(factory: Factory, school: School, lesson: models.Lesson) -> str:
    """Homework of ``lesson`` with one file; the homework's id."""
    homework = await models.Homework.create(lesson_id=lesson.id, text="Do", assigned_by_id=school.teacher.id)
    await factory.upload(school.teacher, b"%PDF-1.7\n%sheet\n", homework_id=homework.id)
    return gid(homework, "Homework")


async def _url(client: Client, homework_id: str) -> str:
    attached = (await client.data(HOMEWORK_FILES, id=homework_id))["node"]["attachments"]
    url: str = attached[0]["url"]
    assert (await client.http.get(url)).status_code == 200
    return url


async def test_a_revoked_guardianship_ends_the_parents_file_urls(factory: Factory) -> None:
    school = await _school(factory)
    homework = await _homework_file(factory, school, school.upcoming("5A", MATHS)[0])
    parent, other = factory.client(school.parent), factory.client(school.other_parent)
    url, others = await _url(parent, homework), await _url(other, homework)
    link = await models.Guardianship.get(guardian_id=school.parent.id, student_id=school.child.id)
    assert school.kit.admin is not None
    revoked = await factory.client(school.kit.admin).data(
        REVOKE, input={"guardianshipId": gid(link, "Guardianship"), "reason": "A court order"}
    )
    assert revoked["guardianshipRevoke"]["__typename"] == "GuardianshipRevokeSuccess", revoked
    assert _answer(await parent.http.get(url)) == await _never(parent.http)
    assert (await other.http.get(others)).status_code == 200  # the other family's still works


async def test_leaving_the_class_ends_its_file_urls(factory: Factory) -> None:
    """The child moves from 5A to 6B from today: 5A's class announcement is no longer the child's,
    nor their parent's, from that moment; the files of what stays theirs keep working."""
    s = await announcement_school(factory)
    lead, other = factory.client(s.leads["5A"]), factory.client(s.parent2)
    form = await _upload(lead, b"%PDF-1.7\n", "form.pdf")
    klass = gid(s.kit.classes["5A"], "SchoolClass")
    posted = await announcement_post(lead, s.kit, classId=klass, title="Trip", audience="EVERYONE", fileIds=[form])
    readers = [factory.client(s.student), factory.client(s.parent)]
    urls = []
    for client in (*readers, other):
        (attached,) = (await client.data(ANNOUNCEMENT_FILES, id=posted["id"]))["node"]["attachments"]
        assert (await client.http.get(attached["url"])).status_code == 200
        urls.append(attached["url"])
    moved = await factory.client(s.admin).data(
        TRANSFER,
        input={
            "studentId": gid(s.child, "Student"),
            "toClassId": gid(s.kit.classes["6B"], "SchoolClass"),
            "date": today_utc().isoformat(),
        },
    )
    assert moved["studentTransfer"]["__typename"] == "EnrollmentSuccess", moved
    never = await _never(other.http)
    assert [_answer(await client.http.get(url)) for client, url in zip(readers, urls, strict=False)] == [never, never]
    assert (await other.http.get(urls[2])).status_code == 200  # another family of 5A still reads it


async def test_leaving_the_chat_ends_its_file_urls(factory: Factory) -> None:
    school = await _school(factory)
    teacher, parent, other = (factory.client(u) for u in (school.teacher, school.parent, school.other_parent))
    chat = await new_chat(teacher, "Olympiad", school.parent, school.other_parent)
    upload_id = await _upload(teacher, b"%PDF-1.7\n%tasks\n", "tasks.pdf")
    sent = await teacher.data(SEND, input={"chatId": chat, "text": "The tasks", "fileIds": [upload_id]})
    assert sent["messageSend"]["__typename"] == "MessageSendSuccess", sent

    async def url(client: Client) -> str:
        (edge,) = (await client.data(MESSAGE_FILES, id=chat))["chat"]["messages"]["edges"]
        found: str = edge["node"]["attachments"][0]["url"]
        assert (await client.http.get(found)).status_code == 200
        return found

    parents, others = await url(parent), await url(other)
    removed = await run(teacher, REMOVE, chatId=chat, userId=gid(school.parent, "User"))
    assert removed["__typename"] == "ChatMemberRemoveSuccess", removed
    assert _answer(await parent.http.get(parents)) == await _never(parent.http)
    assert (await other.http.get(others)).status_code == 200


async def test_an_announcement_leaving_its_reader_ends_its_file_urls(factory: Factory) -> None:
    s = await announcement_school(factory)
    lead, parent = factory.client(s.leads["5A"]), factory.client(s.parent)
    form = await _upload(lead, b"%PDF-1.7\n", "form.pdf")
    klass = gid(s.kit.classes["5A"], "SchoolClass")
    posted = await announcement_post(lead, s.kit, classId=klass, title="Trip", audience="PARENTS", fileIds=[form])
    (attached,) = (await parent.data(ANNOUNCEMENT_FILES, id=posted["id"]))["node"]["attachments"]
    assert (await parent.http.get(attached["url"])).status_code == 200
    changed = await lead.data(ANNOUNCEMENT_UPDATE, input={"announcementId": posted["id"], "audience": "TEACHERS"})
    assert changed["announcementUpdate"]["__typename"] == "AnnouncementSuccess", changed
    assert _answer(await parent.http.get(attached["url"])) == await _never(parent.http)


def _edits(token: str) -> list[str]:
    """The token with each one of its characters changed (a digit or hex digit to another, a dot
    to a digit)."""
    edited = []
    for i, c in enumerate(token):
        other = "0" if c in ".123456789abcdef" else "1"
        edited.append(token[:i] + other + token[i + 1 :])
    return edited


async def test_tampered_foreign_expired_and_upload_tokens_answer_as_none(factory: Factory) -> None:
    school = await _school(factory)
    lesson = school.upcoming("5A", MATHS)[0]
    homework = await _homework_file(factory, school, lesson)
    another = await factory.upload(school.teacher, homework_id=pk(homework))
    parent, other = factory.client(school.parent), factory.client(school.other_parent)
    url = await _url(parent, homework)
    base, token = url.rsplit("/", 1)
    file_id, session_id, stamp, tag = token.split(".")
    others_session = (await _url(other, homework)).rsplit("/", 1)[1].split(".")[1]
    started = (await parent.data(START, input={"name": "notes.txt", "size": 5}))["fileUploadStart"]
    upload_token = started["uploadUrl"].rsplit("/", 1)[1]
    teacher = factory.client(school.teacher)
    later = (await teacher.data(START, input={"name": "later.pdf", "size": 9}))["fileUploadStart"]
    assert (await teacher.http.put(later["uploadUrl"], content=b"%PDF-1.7\n")).status_code == 204
    assigned = await teacher.data(
        ASSIGN, input={"lessonId": gid(lesson, "Lesson"), "text": "Do", "fileIds": [later["uploadId"]]}
    )
    assert assigned["homeworkAssign"]["__typename"] == "HomeworkAssignSuccess", assigned

    forged = [
        *_edits(token),
        f"{another.id}.{session_id}.{stamp}.{tag}",  # another file's id, this file's signature
        f"{file_id}.{others_session}.{stamp}.{tag}",  # another session's
        f"{file_id}.{session_id}.{int(stamp) + 600}.{tag}",  # a longer life
        f"{file_id}.{session_id}.{stamp}.{tag.upper()}",
        f"{file_id}.{session_id}.{stamp}.{tag}.",
        f"{file_id}.{stamp}.{tag}",  # the shape of an upload token
        upload_token,  # an upload's token, its upload pending
        later["uploadUrl"].rsplit("/", 1)[1],  # an upload's token, its file attached since
        "nonsense",
    ]
    never = await _never(parent.http)
    for candidate in forged:
        assert _answer(await parent.http.get(f"{base}/{candidate}")) == never, candidate
    with core.travel(now_utc() + timedelta(seconds=files.DOWNLOAD_SECONDS + 1)):
        assert _answer(await parent.http.get(url)) == never  # expired: the session is still live
    # A download token is no upload token either: the same 404 as an upload that never was.
    refused = await parent.http.put(f"{base}/upload/{token}", content=b"notes")
    nothing = await parent.http.put(f"{base}/upload/1.1." + "0" * 40, content=b"notes")
    assert refused.status_code == nothing.status_code == 404
    assert _errors(refused) == _errors(nothing)
    assert (await parent.http.get(url)).status_code == 200  # the URL itself still works


def _errors(response: httpx.Response) -> list[dict[str, object]]:
    """The errors an upload answers, without the request's own id."""
    errors: list[dict[str, object]] = response.json()["errors"]
    for error in errors:
        extensions = error["extensions"]
        assert isinstance(extensions, dict)
        extensions.pop("requestId")
    return errors
