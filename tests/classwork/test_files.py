"""Files attached to homework (README "Files"): fileUploadStart, the signed upload and download
URLs, the checks by content, attaching in the owner's write, who reads them, and the sweep of
uploads nobody attached. On the suite's local storage; tests/edge/test_storage_s3.py runs the
same way against an S3-speaking server."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from typing import Any

import pytest

import models
from edge.settings import DATA_DIR, ConfigurationError, Settings
from resolvers import core, files, housekeeping
from resolvers.core import from_global_id, now_utc
from tests.api.test_statements import _count, _explain
from tests.chat_helpers import REMOVE_MESSAGE, SEND, new_chat, run, sent
from tests.classwork.test_absence_notices import _by_day
from tests.classwork.test_absence_notices import _create as notice_create
from tests.classwork.test_absence_notices import _delete as notice_delete
from tests.classwork.test_absence_notices import _family as notice_family
from tests.classwork.test_homework import ASSIGN, MATHS, UPDATE, _school
from tests.classwork.test_remarks import _create as remark_create
from tests.classwork.test_remarks import _world as remark_world
from tests.client import Client
from tests.conftest import StatementCounter
from tests.factories import Factory
from tests.helpers import gid
from tests.notices.test_announcements import DELETE as ANNOUNCEMENT_DELETE
from tests.notices.test_announcements import UPDATE as ANNOUNCEMENT_UPDATE
from tests.notices.test_announcements import _post as announcement_post
from tests.notices.test_announcements import _school as announcement_school

START = (
    "mutation S($input: FileUploadStartInput!) { fileUploadStart(input: $input) { __typename "
    "... on FileUploadStartSuccess { uploadId uploadUrl expiresAt maxBytes } "
    "... on ValidationError { fields { field code } } ... on Error { code message } } }"
)
ATTACHMENTS = """query H($id: ID!) { node(id: $id) { ... on Homework {
  attachments { id name size contentType url uploadedAt } } } }"""
NODE = "query N($id: ID!) { node(id: $id) { __typename id } }"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _zip(*names: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "found"),
    [
        (b"%PDF-1.4\n...", files.PDF),
        (PNG, files.PNG),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", files.JPEG),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", files.WEBP),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", files.HEIC),
        (_zip("[Content_Types].xml", "word/document.xml"), files.DOCX),
        (_zip("[Content_Types].xml", "xl/workbook.xml"), files.XLSX),
        ("Задание: упражнения 1-5\n".encode(), files.TEXT),
        (_zip("payload.exe"), None),  # a zip, but not an Office document
        (_zip("[Content_Types].xml", "ppt/presentation.xml"), None),
        (b"MZ\x90\x00\x03\x00\x00\x00", None),  # a Windows program
        (b"GIF89a\x01\x00", None),
        (b"plain\x00text", None),  # a NUL: binary, whatever the name says
        (b"\xc3\x28 not utf-8", None),
    ],
)
def test_types_are_told_by_content(data: bytes, found: str | None) -> None:
    assert files.sniff(data) == found


async def _start(client: Client, name: str = "worksheet.png", size: int = len(PNG)) -> dict[str, Any]:
    result: dict[str, Any] = (await client.data(START, input={"name": name, "size": size}))["fileUploadStart"]
    return result


async def _upload(client: Client, data: bytes = PNG, name: str = "worksheet.png") -> str:
    started = await _start(client, name, len(data))
    assert started["__typename"] == "FileUploadStartSuccess", started
    answer = await client.http.put(started["uploadUrl"], content=data)
    assert answer.status_code == 204, answer.text
    return str(started["uploadId"])


async def test_a_teacher_attaches_a_file_and_the_class_downloads_it(factory: Factory) -> None:
    school = await _school(factory)
    teacher, parent = factory.client(school.teacher), factory.client(school.parent)
    due = school.upcoming("5A", MATHS)[0]
    upload_id = await _upload(teacher, PNG, "Лист 1.png")
    assert await models.StoredFile.filter(id=_pk(upload_id), attached_at__isnull=True).exists()  # pending
    result = (
        await teacher.data(ASSIGN, input={"lessonId": gid(due, "Lesson"), "text": "Do it", "fileIds": [upload_id]})
    )["homeworkAssign"]
    assert result["__typename"] == "HomeworkAssignSuccess", result
    homework_id = result["homework"]["id"]
    entry = await models.AuditEntry.filter(action="homework.assign", object_id=_pk(homework_id)).get()
    assert entry.details["files"] == 1
    assert "Лист" not in str(entry.details)  # a file's name can be private: never in the audit

    for reader in (parent, factory.client(school.other_parent), teacher):
        (attached,) = (await reader.data(ATTACHMENTS, id=homework_id))["node"]["attachments"]
        assert attached["id"] == upload_id
        assert (attached["name"], attached["size"], attached["contentType"]) == ("Лист 1.png", len(PNG), files.PNG)
        download = await reader.http.get(attached["url"])  # no Authorization: the URL is the permission
        assert download.status_code == 200
        assert download.content == PNG
        assert download.headers["content-type"] == files.PNG
        assert download.headers["x-content-type-options"] == "nosniff"
        assert "filename*=UTF-8''%D0%9B%D0%B8%D1%81%D1%82%201.png" in download.headers["content-disposition"]
        assert (await reader.data(NODE, id=upload_id))["node"] == {"__typename": "File", "id": upload_id}


async def test_not_yours_looks_like_not_there(factory: Factory) -> None:
    school = await _school(factory)
    teacher = factory.client(school.teacher)
    due = school.upcoming("5A", MATHS)[0]
    upload_id = await _upload(teacher)
    result = await teacher.data(ASSIGN, input={"lessonId": gid(due, "Lesson"), "text": "Do", "fileIds": [upload_id]})
    homework_id = result["homeworkAssign"]["homework"]["id"]
    other = await factory.school("Other school")
    outsider = await factory.parent("outsider")
    await factory.student(other, "5A", "olga", guardians=[outsider], login=False)
    for viewer in (school.stranger, outsider):  # mathematics in 7A; a family of another school
        client = factory.client(viewer)
        assert (await client.data(NODE, id=upload_id))["node"] is None
        assert (await client.data(ATTACHMENTS, id=homework_id))["node"] is None
    # A pending upload is no one's to read, its uploader's included.
    pending = await _upload(teacher)
    assert (await teacher.data(NODE, id=pending))["node"] is None
    # Forged, foreign and expired download tokens: tests/classwork/test_file_access.py.


async def test_uploads_are_checked_before_anything_is_stored(
    factory: Factory, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    teacher = await factory.teacher(await factory.school(), [], name="uploader")
    client = factory.client(teacher)
    for name, size, field, code in (
        ("", 10, "name", "FILE_NAME_INVALID"),
        ("../../etc/passwd", 10, "name", "FILE_NAME_INVALID"),
        ("x" * 201, 10, "name", "FILE_NAME_INVALID"),
        ("a.pdf", 0, "size", "FILE_EMPTY"),
        ("a.pdf", files.MAX_BYTES + 1, "size", "FILE_TOO_LARGE"),
    ):
        before = await models.StoredFile.all().count()
        result = await _start(client, name, size)
        assert (result["__typename"], result["code"]) == ("ValidationError", code)
        assert {"field": field, "code": code} in result["fields"]
        assert await models.StoredFile.all().count() == before

    storage = files.storage_of(settings)
    monkeypatch.setattr(files, "MAX_BYTES", 100)
    for data, status, code in (
        (b"MZ\x90\x00 a program named worksheet.pdf", 415, "FILE_TYPE_NOT_ALLOWED"),
        (b"", 400, "FILE_EMPTY"),
        (b"%PDF-" + b"x" * 100, 413, "FILE_TOO_LARGE"),
    ):
        started = await _start(client, "worksheet.pdf", 10)
        answer = await client.http.put(started["uploadUrl"], content=data)
        assert answer.status_code == status, answer.text
        assert answer.json()["errors"][0]["extensions"]["code"] == code
        row = await models.StoredFile.get(id=_pk(started["uploadId"]))
        assert row.uploaded_at is None
        assert await storage.get(row.key) is None
    # An upload URL works once, and not after it expired.
    started = await _start(client, "notes.txt", 5)
    assert (await client.http.put(started["uploadUrl"], content=b"notes")).status_code == 204
    again = await client.http.put(started["uploadUrl"], content=b"other")
    assert (again.status_code, again.json()["errors"][0]["extensions"]["code"]) == (404, "FILE_NOT_FOUND")
    late = await _start(client, "notes.txt", 5)
    with core.travel(now_utc() + timedelta(seconds=files.UPLOAD_SECONDS + 1)):
        assert (await client.http.put(late["uploadUrl"], content=b"notes")).status_code == 404


async def test_only_your_own_waiting_uploads_attach(factory: Factory) -> None:
    school = await _school(factory)
    teacher = factory.client(school.teacher)
    due = gid(school.upcoming("5A", MATHS)[0], "Lesson")
    theirs = await _upload(factory.client(school.russian))
    not_uploaded = (await _start(teacher))["uploadId"]
    attached = await factory.upload(school.russian)
    mine = [await _upload(teacher) for _ in range(files.MAX_FILES + 1)]
    for ids, code in (
        ([theirs], "FILE_NOT_FOUND"),
        ([not_uploaded], "FILE_NOT_FOUND"),
        ([gid(attached, "File")], "FILE_NOT_FOUND"),
        ([gid(school.child, "Student")], "FILE_NOT_FOUND"),
        (mine, "TOO_MANY_FILES"),
    ):
        before = (
            await models.Homework.all().count(),
            await models.StoredFile.filter(attached_at__isnull=False).count(),
        )
        result = (await teacher.data(ASSIGN, input={"lessonId": due, "text": "Do", "fileIds": ids}))["homeworkAssign"]
        assert (result["__typename"], result["code"]) == ("ValidationError", code), result
        assert "fileIds" in [f["field"] for f in result["fields"]]
        after = (await models.Homework.all().count(), await models.StoredFile.filter(attached_at__isnull=False).count())
        assert after == before
    # Uploaded a day and more ago: no longer waiting (the sweep removes it).
    await models.StoredFile.filter(id=_pk(mine[0])).update(expires_at=now_utc() - timedelta(seconds=1))
    result = await teacher.data(ASSIGN, input={"lessonId": due, "text": "Do", "fileIds": mine[:1]})
    assert result["homeworkAssign"]["code"] == "FILE_NOT_FOUND"


async def test_an_update_keeps_adds_and_removes_files(factory: Factory, settings: Settings) -> None:
    school = await _school(factory)
    teacher = factory.client(school.teacher)
    due = gid(school.upcoming("5A", MATHS)[0], "Lesson")
    first, second = await _upload(teacher), await _upload(teacher, b"%PDF-1.7\n", "answers.pdf")
    assigned = await teacher.data(ASSIGN, input={"lessonId": due, "text": "Do", "fileIds": [first, second]})
    homework_id = assigned["homeworkAssign"]["homework"]["id"]
    removed = await models.StoredFile.get(id=_pk(first))
    third = await _upload(teacher, "Ответы\n".encode(), "answers.txt")
    result = await teacher.data(UPDATE, input={"homeworkId": homework_id, "fileIds": [second, third]})
    assert result["homeworkUpdate"]["__typename"] == "HomeworkUpdateSuccess", result
    attachments = (await teacher.data(ATTACHMENTS, id=homework_id))["node"]["attachments"]
    assert [(a["id"], a["contentType"]) for a in attachments] == [(second, files.PDF), (third, files.TEXT)]
    assert not await models.StoredFile.filter(id=removed.id).exists()
    assert await files.storage_of(settings).get(removed.key) is None  # its bytes went too
    entry = await models.AuditEntry.filter(action="homework.update", object_id=_pk(homework_id)).get()
    assert entry.details["fields"] == ["files"]


async def test_uploads_nobody_attached_are_swept_with_their_bytes(factory: Factory, settings: Settings) -> None:
    school = await _school(factory)
    teacher = factory.client(school.teacher)
    due = gid(school.upcoming("5A", MATHS)[0], "Lesson")
    kept_id, abandoned_id = await _upload(teacher), await _upload(teacher)
    await teacher.data(ASSIGN, input={"lessonId": due, "text": "Do", "fileIds": [kept_id]})
    never_uploaded = (await _start(teacher))["uploadId"]
    kept, abandoned = await models.StoredFile.get(id=_pk(kept_id)), await models.StoredFile.get(id=_pk(abandoned_id))
    storage = files.storage_of(settings)
    with core.travel(now_utc() + timedelta(seconds=files.PENDING_SECONDS - 60)):
        await housekeeping.sweep(settings)
        assert await models.StoredFile.filter(id=abandoned.id).exists()  # still waiting
    with core.travel(now_utc() + timedelta(seconds=files.PENDING_SECONDS + 60)):
        removed = await housekeeping.sweep(settings)
    assert removed["stored_file"] >= 2
    assert not await models.StoredFile.filter(id__in=[abandoned.id, _pk(never_uploaded)]).exists()
    assert await storage.get(abandoned.key) is None
    assert await storage.get(kept.key) == PNG  # attached: never swept


async def test_attachments_cost_the_same_statements_for_more_homework_and_files(
    factory: Factory, count_statements: StatementCounter
) -> None:
    school = await _school(factory)
    teacher = factory.client(school.teacher)
    lessons = school.upcoming("5A", MATHS)
    query = """query L($id: ID!) { node(id: $id) { ... on Lesson { homework {
      id attachments { id name size contentType url } } } } }"""

    async def homework(lesson: models.Lesson, count: int) -> None:
        row = await models.Homework.create(lesson_id=lesson.id, text="Do", assigned_by_id=school.teacher.id)
        for _ in range(count):
            await factory.upload(school.teacher, homework_id=row.id)

    await homework(lessons[0], 1)
    for _ in range(3):
        await homework(lessons[1], 3)
    small, data = await _count(teacher, count_statements, query, id=gid(lessons[0], "Lesson"))
    assert len(data["node"]["homework"][0]["attachments"]) == 1
    large, data = await _count(teacher, count_statements, query, id=gid(lessons[1], "Lesson"))
    assert [len(h["attachments"]) for h in data["node"]["homework"]] == [3, 3, 3]
    assert len(small) == len(large), _explain(small, large)


def _pk(global_id: str) -> int:
    parsed = from_global_id(global_id)
    assert parsed is not None
    return parsed[1]


@pytest.mark.parametrize(
    "url", ["ftp://host/files", "file://relative/path", "s3:///no-bucket", "s3://bucket?endpoint=x&secret=y"]
)
def test_a_storage_url_that_names_no_storage_stops_the_start(url: str) -> None:
    with pytest.raises(ConfigurationError, match="STORAGE_URL"):
        Settings.from_env({"STORAGE_URL": url})


def test_the_storage_url_defaults_to_the_data_directory() -> None:
    assert Settings.from_env({}).storage_url == f"file://{(DATA_DIR / 'files').resolve()}"
    s3 = "s3://bucket/prefix?endpoint=http://127.0.0.1:9000&region=us-east-1"
    assert Settings.from_env({"STORAGE_URL": s3}).storage_url == s3


CHAT_FILES = """query C($id: ID!) { chat(id: $id) { messages(last: 30) { edges { node {
  id attachments { id name contentType url } } } } } }"""


async def test_a_chats_files_are_read_by_its_members_only(factory: Factory, settings: Settings) -> None:
    school = await _school(factory)
    teacher, parent = factory.client(school.teacher), factory.client(school.parent)
    chat = await new_chat(teacher, "Olympiad", school.parent)
    upload_id = await _upload(teacher, b"%PDF-1.7\n%tasks\n", "tasks.pdf")
    result = await teacher.data(SEND, input={"chatId": chat, "text": "The tasks", "fileIds": [upload_id]})
    message = result["messageSend"]["chatMessage"]["id"]
    entry = await models.AuditEntry.filter(action="message.send", object_id=_pk(message)).get()
    assert entry.details["files"] == 1
    (node,) = [e["node"] for e in (await parent.data(CHAT_FILES, id=chat))["chat"]["messages"]["edges"]]
    (attached,) = node["attachments"]
    assert (attached["id"], attached["name"], attached["contentType"]) == (upload_id, "tasks.pdf", files.PDF)
    assert (await parent.http.get(attached["url"])).content == b"%PDF-1.7\n%tasks\n"
    # Not a member: the other family of the class, a teacher of the same school.
    for outsider in (school.other_parent, school.russian):
        assert (await factory.client(outsider).data(NODE, id=upload_id))["node"] is None
    # A deleted message's files go with it, bytes and all.
    row = await models.StoredFile.get(id=_pk(upload_id))
    deleted = await run(teacher, REMOVE_MESSAGE, messageId=message)
    assert deleted["__typename"] == "MessageDeleteSuccess", deleted
    assert (await parent.data(NODE, id=upload_id))["node"] is None
    assert not await models.StoredFile.filter(id=row.id).exists()
    assert await files.storage_of(settings).get(row.key) is None


async def test_message_attachments_cost_the_same_statements_for_more_messages_and_files(
    factory: Factory, count_statements: StatementCounter
) -> None:
    school = await _school(factory)
    teacher = factory.client(school.teacher)
    small_chat = await new_chat(teacher, "Small", school.parent)
    large_chat = await new_chat(teacher, "Large", school.parent)
    for chat, messages, each in ((small_chat, 1, 1), (large_chat, 4, 3)):
        for _ in range(messages):
            sent_id = await sent(teacher, chat, "See the files")
            for _ in range(each):
                await factory.upload(school.teacher, message_id=_pk(sent_id))
    small, data = await _count(teacher, count_statements, CHAT_FILES, id=small_chat)
    assert [len(e["node"]["attachments"]) for e in data["chat"]["messages"]["edges"]] == [1]
    large, data = await _count(teacher, count_statements, CHAT_FILES, id=large_chat)
    assert [len(e["node"]["attachments"]) for e in data["chat"]["messages"]["edges"]] == [3, 3, 3, 3]
    assert len(small) == len(large), _explain(small, large)


NOTICE_FILES = """query N($id: ID!, $from: Date!, $to: Date!) { student(id: $id) {
  absenceNotices(from: $from, to: $to) { id attachments { id name contentType url } } } }"""


async def test_a_doctors_note_goes_with_the_absence_notice(factory: Factory, settings: Settings) -> None:
    family = await notice_family(factory)
    parent = factory.client(family.parent)
    note = await _upload(parent, b"\xff\xd8\xff\xe0 a photo of the note", "note.jpg")
    start, end = family.days[0], family.days[-1]
    created = await notice_create(parent, **_by_day(family.child, start, end), fileIds=[note])
    assert created["__typename"] == "AbsenceNoticeCreateSuccess", created
    notice_id = created["notice"]["id"]
    entry = await models.AuditEntry.filter(action="absence_notice.create", object_id=_pk(notice_id)).get()
    assert entry.details["files"] == 1
    window = {"id": gid(family.child, "Student"), "from": start.isoformat(), "to": end.isoformat()}
    for reader in (parent, factory.client(family.teacher)):  # the family; the class's teacher
        (notice,) = (await reader.data(NOTICE_FILES, **window))["student"]["absenceNotices"]
        (attached,) = notice["attachments"]
        assert (attached["id"], attached["contentType"]) == (note, files.JPEG)
        assert (await reader.http.get(attached["url"])).status_code == 200
    assert (await factory.client(family.other_parent).data(NODE, id=note))["node"] is None
    # Withdrawn whole: the note goes with it.
    row = await models.StoredFile.get(id=_pk(note))
    withdrawn = await notice_delete(parent, noticeId=notice_id)
    assert withdrawn["__typename"] == "AbsenceNoticeDeleteSuccess", withdrawn
    assert not await models.StoredFile.filter(id=row.id).exists()
    assert await files.storage_of(settings).get(row.key) is None


async def test_notice_attachments_cost_the_same_statements_for_more_notices_and_files(
    factory: Factory, count_statements: StatementCounter
) -> None:
    family = await notice_family(factory)
    parent = factory.client(family.parent)
    for day in family.days:  # one notice a day, the first with one file, the others with three
        created = await notice_create(parent, **_by_day(family.child, day, day))
        for _ in range(1 if day == family.days[0] else 3):
            await factory.upload(family.parent, absence_notice_id=_pk(created["notice"]["id"]))
    first = {"id": gid(family.child, "Student"), "from": family.days[0].isoformat(), "to": family.days[0].isoformat()}
    small, data = await _count(parent, count_statements, NOTICE_FILES, **first)
    assert [len(n["attachments"]) for n in data["student"]["absenceNotices"]] == [1]
    every = {**first, "to": family.days[-1].isoformat()}
    large, data = await _count(parent, count_statements, NOTICE_FILES, **every)
    assert sorted(len(n["attachments"]) for n in data["student"]["absenceNotices"]) == [1, 3, 3]
    assert len(small) == len(large), _explain(small, large)


REMARK_FILES = "query R($id: ID!) { node(id: $id) { ... on Remark { attachments { id contentType url } } } }"


async def test_a_remarks_files_are_read_by_its_readers_only(factory: Factory) -> None:
    world = await remark_world(factory)
    teacher = factory.client(world.teacher)
    photo = await _upload(teacher, PNG, "work.png")
    created = await remark_create(
        teacher, studentId=gid(world.child, "Student"), kind="BEHAVIOUR", text="See the photo", fileIds=[photo]
    )
    assert created["__typename"] == "RemarkCreateSuccess", created
    remark_id = created["remark"]["id"]
    entry = await models.AuditEntry.filter(action="remark.create", object_id=_pk(remark_id)).get()
    assert entry.details["files"] == 1
    for reader in (world.parent, world.teacher, world.russian_5a):  # the family; the class's teachers
        (attached,) = (await factory.client(reader).data(REMARK_FILES, id=remark_id))["node"]["attachments"]
        assert (attached["id"], attached["contentType"]) == (photo, files.PNG)
    for outsider in (world.other_parent, world.stranger):  # another family of the class; 7A's teacher
        assert (await factory.client(outsider).data(NODE, id=photo))["node"] is None


async def test_remark_attachments_cost_the_same_statements_for_more_remarks_and_files(
    factory: Factory, count_statements: StatementCounter
) -> None:
    world = await remark_world(factory)
    teacher = factory.client(world.teacher)
    for child, remarks, each in ((world.child, 1, 1), (world.other_child, 3, 3)):
        for _ in range(remarks):
            created = await remark_create(teacher, studentId=gid(child, "Student"), kind="BEHAVIOUR", text="Note")
            for _ in range(each):
                await factory.upload(world.teacher, remark_id=_pk(created["remark"]["id"]))
    query = """query R($id: ID!, $from: Date!, $to: Date!) { student(id: $id) { remarks(from: $from, to: $to) {
      id attachments { id name url } } } }"""
    today = core.today_utc().isoformat()
    small, data = await _count(
        teacher, count_statements, query, id=gid(world.child, "Student"), **{"from": today, "to": today}
    )
    assert [len(r["attachments"]) for r in data["student"]["remarks"]] == [1]
    large, data = await _count(
        teacher, count_statements, query, id=gid(world.other_child, "Student"), **{"from": today, "to": today}
    )
    assert [len(r["attachments"]) for r in data["student"]["remarks"]] == [3, 3, 3]
    assert len(small) == len(large), _explain(small, large)


ANNOUNCEMENT_FILES = (
    "query A($id: ID!) { node(id: $id) { ... on Announcement { attachments { id name contentType url } } } }"
)


async def test_an_announcements_files_are_read_by_its_audience_only(factory: Factory, settings: Settings) -> None:
    s = await announcement_school(factory)
    lead = factory.client(s.leads["5A"])
    form = await _upload(lead, b"%PDF-1.7\n", "Согласие.pdf")
    klass = gid(s.kit.classes["5A"], "SchoolClass")
    posted = await announcement_post(lead, s.kit, classId=klass, title="Trip", audience="PARENTS", fileIds=[form])
    entry = await models.AuditEntry.filter(action="announcement.create", object_id=_pk(posted["id"])).get()
    assert entry.details["files"] == 1
    assert "Согласие" not in str(entry.details)
    for reader in (s.parent, s.parent2, s.leads["5A"], s.admin):  # its audience, its author, the school's admin
        client = factory.client(reader)
        (attached,) = (await client.data(ANNOUNCEMENT_FILES, id=posted["id"]))["node"]["attachments"]
        assert (attached["id"], attached["name"], attached["contentType"]) == (form, "Согласие.pdf", files.PDF)
        assert (await client.http.get(attached["url"])).content == b"%PDF-1.7\n"
        assert (await client.data(NODE, id=form))["node"] == {"__typename": "File", "id": form}
    other = await factory.school("Other school")
    assert other.admin is not None
    # Not for the students (PARENTS), 5A's teachers, another class's parents, another school.
    for outsider in (s.student, s.teacher, s.parent_6b, other.admin):
        assert (await factory.client(outsider).data(NODE, id=form))["node"] is None
    # Removed: its files are no one's any more.
    deleted = await factory.client(s.admin).data(ANNOUNCEMENT_DELETE, input={"announcementId": posted["id"]})
    assert deleted["announcementDelete"]["__typename"] == "AnnouncementDeleteSuccess", deleted
    assert (await factory.client(s.parent).data(NODE, id=form))["node"] is None


async def test_an_announcement_update_replaces_its_files(factory: Factory, settings: Settings) -> None:
    s = await announcement_school(factory)
    admin = factory.client(s.admin)
    first, second = await _upload(admin), await _upload(admin, b"%PDF-1.7\n", "menu.pdf")
    posted = await announcement_post(admin, s.kit, title="Menu", audience="EVERYONE", fileIds=[first])
    removed = await models.StoredFile.get(id=_pk(first))
    too_many = [await _upload(admin) for _ in range(files.MAX_FILES + 1)]
    for ids, code in ((too_many, "TOO_MANY_FILES"), ([gid(s.child, "Student")], "FILE_NOT_FOUND")):
        refused = (await admin.data(ANNOUNCEMENT_UPDATE, input={"announcementId": posted["id"], "fileIds": ids}))[
            "announcementUpdate"
        ]
        assert (refused["__typename"], refused["code"]) == ("ValidationError", code), refused
        assert await models.StoredFile.filter(announcement_id=_pk(posted["id"])).count() == 1  # nothing written
    changed = (await admin.data(ANNOUNCEMENT_UPDATE, input={"announcementId": posted["id"], "fileIds": [second]}))[
        "announcementUpdate"
    ]
    assert changed["__typename"] == "AnnouncementSuccess", changed
    (attached,) = (await factory.client(s.parent).data(ANNOUNCEMENT_FILES, id=posted["id"]))["node"]["attachments"]
    assert attached["id"] == second
    assert not await models.StoredFile.filter(id=removed.id).exists()
    assert await files.storage_of(settings).get(removed.key) is None
    entry = await models.AuditEntry.filter(action="announcement.update", object_id=_pk(posted["id"])).get()
    assert entry.details == {"fields": ["files"], "files": 1}


async def test_announcement_attachments_cost_the_same_statements_for_more_announcements_and_files(
    factory: Factory, count_statements: StatementCounter
) -> None:
    s = await announcement_school(factory)
    admin = factory.client(s.admin)
    query = """query L($first: Int) { viewer { announcements(first: $first) { edges { node {
      id attachments { id name size contentType url } } } } } }"""
    for count in (1, 3, 3, 3):
        posted = await announcement_post(admin, s.kit, title="News", audience="TEACHERS")
        for _ in range(count):
            await factory.upload(s.admin, announcement_id=_pk(posted["id"]))
    small, data = await _count(admin, count_statements, query, first=1)
    assert [len(e["node"]["attachments"]) for e in data["viewer"]["announcements"]["edges"]] == [3]
    large, data = await _count(admin, count_statements, query, first=4)
    assert [len(e["node"]["attachments"]) for e in data["viewer"]["announcements"]["edges"]] == [3, 3, 3, 1]
    assert len(small) == len(large), _explain(small, large)
