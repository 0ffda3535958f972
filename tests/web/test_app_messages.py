"""The family app's communication screens in headless Chromium (``web/app/src/screens``, issue 23):
a parent acknowledges a teacher's remark, files an absence notice with a doctor's note and
withdraws it, sends a chat message with a file that the teacher reads through the API and answers
live, and answers a meeting, while a second parent sees none of it; written offline, a message and
a notice wait, shown as waiting, and arrive once when the network is back (one the server refuses
stays with its reason, to fix or discard; a message whose answer was lost is not sent twice).
axe-core checks every screen; a screenshot of each goes beside test_app.py's."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import models
from resolvers.core import today_utc
from tests.browsers import browser, chromium  # noqa: F401 - the fixture: Debian's headless Chromium, network cut
from tests.factories import Factory
from tests.helpers import gid
from tests.web.test_app import PASSWORD, _axe, _screenshots, _sign_in, _text, _wait

PDF = b"%PDF-1.7\n%doctor's note\n"
TEACHER_READS = """
query R($id: ID!) {
  chat(id: $id) { messages(last: 10) { edges { node { text author { id } attachments { name } } } } }
}
"""
SEND = """
mutation S($input: MessageSendInput!) { messageSend(input: $input) { __typename ... on Error { code } } }
"""


def _section(driver: Any, name: str, ready: Any) -> None:
    """Open a section from the navigation and wait until ``ready(driver)``."""
    driver.find_element("css selector", f"[data-section={name}]").click()
    _wait(driver, f"the {name} screen", ready)


def _no_unread_chats(driver: Any) -> bool:
    """Nothing unread in the chats: not on the screen, not beside the navigation's "Сообщения"
    (the inbox's count beside "Уведомления" is about notifications, and a message makes one)."""
    chats = driver.find_element("css selector", "nav.sections [data-section=chats]")
    return (
        "непрочитанн" not in driver.find_element("css selector", "main").text
        and "непрочитанн" not in chats.get_attribute("textContent")
        and not chats.find_elements("css selector", ".unread-count")
    )


def _set(driver: Any, selector: str, value: str) -> None:
    """Set an input's value as typing would (a date field's text depends on the browser's locale)."""
    driver.execute_script(
        "const field = document.querySelector(arguments[0]);"
        "Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(field, arguments[1]);"
        "field.dispatchEvent(new Event('input', {bubbles: true}));",
        selector,
        value,
    )


def _checked(driver: Any, shots: Path, name: str) -> list[dict[str, Any]]:
    driver.save_screenshot(str(shots / f"{name}.png"))
    return [{**problem, "screen": name} for problem in _axe(driver)]


async def _school(factory: Factory) -> dict[str, Any]:
    kit = await factory.school(classes=("5A",))
    teacher = await factory.teacher(kit, [("5A", "Mathematics")])
    mum = await factory.user("mum", password=PASSWORD)
    dad = await factory.user("dad", password=PASSWORD)
    anna = await factory.student(kit, "5A", "anna", guardians=[mum])
    boris = await factory.student(kit, "5A", "boris", guardians=[dad])
    chat = await factory.chat(kit, teacher, [mum], title="Anna's maths", text="Welcome to the class chat")
    return {"kit": kit, "teacher": teacher, "mum": mum, "dad": dad, "anna": anna, "boris": boris, "chat": chat}


@pytest.mark.browser
async def test_a_parent_reads_writes_and_answers_and_another_parent_sees_none_of_it(
    server_url: str,
    factory: Factory,
    browser: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    world = await _school(factory)
    kit, teacher, mum, dad, anna, chat = (world[k] for k in ("kit", "teacher", "mum", "dad", "anna", "chat"))
    remark = await factory.remark(anna, teacher, "Forgot the geometry set again", models.RemarkKind.MISSING_WORK)
    await factory.announcement(kit, teacher, models.Audience.PARENTS, "5A", title="Trip to the museum")
    meeting = await factory.meeting(kit, teacher, ["5A"], title="Autumn meeting")
    note = tmp_path / "doctors-note.pdf"
    note.write_bytes(PDF)
    worksheet = tmp_path / "worksheet.pdf"
    worksheet.write_bytes(PDF)
    origin = server_url.replace("ws://", "http://").removesuffix("/graphql")
    start = today_utc() + timedelta(days=1)  # the server's days (its clock may be moved)
    shots = _screenshots()

    def remarks() -> list[dict[str, Any]]:
        from selenium.webdriver.common.by import By

        _sign_in(browser, f"{origin}/#student={gid(anna, 'Student')}", mum.login)
        _section(browser, "remarks", lambda d: "Forgot the geometry set again" in _text(d))
        problems = _checked(browser, shots, "remarks")
        browser.find_element(By.CSS_SELECTOR, f"[data-remark='{gid(remark, 'Remark')}'] button").click()
        _wait(browser, "the acknowledgement", lambda d: f"): {mum.full_name}" in _text(d))
        return problems

    problems = await asyncio.to_thread(remarks)
    await remark.refresh_from_db()
    assert remark.acknowledged_by_id == mum.id

    def absence() -> list[dict[str, Any]]:
        from selenium.webdriver.common.by import By

        _section(browser, "absences", lambda d: d.find_elements(By.NAME, "reason"))
        _set(browser, "input[name=from]", start.isoformat())
        _set(browser, "input[name=to]", (start + timedelta(days=1)).isoformat())
        browser.find_element(By.NAME, "reason").send_keys("Flu, at home with a temperature")
        browser.find_element(By.NAME, "note").send_keys(str(note))
        browser.find_element(By.CSS_SELECTOR, "form.compose button[type=submit]").click()
        _wait(
            browser,
            "the notice with its note",
            lambda d: d.find_elements(By.CSS_SELECTOR, "[data-notice]") and "doctors-note.pdf" in _text(d),
        )
        return _checked(browser, shots, "absences")

    problems += await asyncio.to_thread(absence)
    notice = await models.AbsenceNotice.get(student_id=anna.id)
    assert (notice.start_date, notice.end_date, notice.created_by_id) == (start, start + timedelta(days=1), mum.id)
    assert await models.StoredFile.filter(absence_notice_id=notice.id).count() == 1

    def withdraw() -> None:
        from selenium.webdriver.common.by import By

        browser.find_element(By.CSS_SELECTOR, f"[data-notice='{gid(notice, 'AbsenceNotice')}'] button").click()
        _wait(browser, "the notice withdrawn", lambda d: "Уведомление отозвано." in _text(d) and "Flu" not in _text(d))

    await asyncio.to_thread(withdraw)
    assert not await models.AbsenceNotice.exists(id=notice.id)

    teacher_client = factory.client(teacher)
    chat_id = gid(chat, "Chat")

    def message() -> list[dict[str, Any]]:
        from selenium.webdriver.common.by import By

        badge = "[data-section=chats] .unread-count"
        _wait(
            browser,
            "the unread count in the navigation",
            lambda d: (
                d.find_element(By.CSS_SELECTOR, "[data-section=chats]").get_attribute("textContent").endswith(": 1")
            ),
        )
        _section(browser, "chats", lambda d: "Anna's maths" in _text(d))
        item = browser.find_element(By.CSS_SELECTOR, f"[data-chat='{chat_id}']")
        assert "1 непрочитанное" in item.text  # the teacher's welcome
        item.click()
        _wait(browser, "the chat's history", lambda d: "Welcome to the class chat" in _text(d))
        _wait(
            browser,
            "the chat read",
            lambda d: _no_unread_chats(d) and not d.find_elements(By.CSS_SELECTOR, badge),
        )
        browser.find_element(By.NAME, "message").send_keys("Anna will bring it tomorrow")
        browser.find_element(By.NAME, "files").send_keys(str(worksheet))
        browser.find_element(By.CSS_SELECTOR, ".conversation form button[type=submit]").click()
        _wait(
            browser,
            "the message sent",
            lambda d: any(
                "Anna will bring it tomorrow" in m.text for m in d.find_elements(By.CSS_SELECTOR, "[data-message]")
            ),
        )
        return []

    problems += await asyncio.to_thread(message)
    seen = (await teacher_client.data(TEACHER_READS, id=chat_id))["chat"]["messages"]["edges"]
    mine = [edge["node"] for edge in seen if edge["node"]["text"] == "Anna will bring it tomorrow"]
    assert mine == [
        {
            "text": "Anna will bring it tomorrow",
            "author": {"id": gid(mum, "User")},
            "attachments": [{"name": "worksheet.pdf"}],
        }
    ]

    # The teacher answers through the API; the answer appears without reloading (the socket's
    # subscription may start a moment after the screen: answer until one arrives).
    for attempt in range(10):
        answer = f"Thank you, noted ({attempt})"
        sent = await teacher_client.data(SEND, input={"chatId": chat_id, "text": answer})
        assert sent["messageSend"]["__typename"] == "MessageSendSuccess", sent
        try:
            await asyncio.to_thread(_wait, browser, "the live answer", lambda d, a=answer: a in _text(d), 2)
            break
        except pytest.fail.Exception:
            if attempt == 9:
                raise
    problems += await asyncio.to_thread(_checked, browser, shots, "chat")
    # Read as it arrived (the chat is open): nothing unread for mum on any of her devices.
    await asyncio.to_thread(_wait, browser, "the answer read", _no_unread_chats, 5)
    unread = await factory.client(mum).data("{ viewer { unreadChatMessages } }")
    assert unread == {"viewer": {"unreadChatMessages": 0}}

    def announcements_and_meeting() -> list[dict[str, Any]]:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.select import Select

        _section(browser, "announcements", lambda d: "Trip to the museum" in _text(d))
        found = _checked(browser, shots, "announcements")
        _section(browser, "meetings", lambda d: "Autumn meeting" in _text(d))
        browser.find_element(By.XPATH, "//button[normalize-space()='Приду']").click()
        _wait(browser, "the answer", lambda d: "Ваш ответ: Приду" in _text(d))
        found += _checked(browser, shots, "meetings")
        Select(browser.find_element(By.CSS_SELECTOR, ".language select")).select_by_value("en")
        _wait(browser, "English", lambda d: "Your answer: I will come" in _text(d))
        browser.save_screenshot(str(shots / "meetings-en.png"))
        return found

    problems += await asyncio.to_thread(announcements_and_meeting)
    response = await models.MeetingResponse.get(meeting_id=meeting.id)
    assert (response.user_id, response.answer) == (mum.id, models.MeetingAnswer.ATTENDING)
    assert problems == [], problems

    # The other parent of the class, on anna's address: their own child's screens, nothing of mum's.
    with chromium() as other:

        def dads_screens() -> dict[str, str]:
            screens = {}
            _sign_in(other, f"{origin}/#student={gid(anna, 'Student')}", dad.login)
            _section(other, "remarks", lambda d: "Замечаний за эти три месяца нет." in _text(d))
            screens["remarks"] = _text(other)
            _section(other, "absences", lambda d: "пропусках нет." in _text(d))
            screens["absences"] = _text(other)
            _section(other, "chats", lambda d: "Переписок пока нет." in _text(d))
            screens["chats"] = _text(other)
            _section(other, "announcements", lambda d: "Trip to the museum" in _text(d))  # the class's, his too
            _section(other, "meetings", lambda d: "Autumn meeting" in _text(d))  # invited too, his answer only
            screens["meetings"] = _text(other)
            other.save_screenshot(str(shots / "meetings-other-parent.png"))
            return screens

        screens = await asyncio.to_thread(dads_screens)
    everything = "\n".join(screens.values())
    for private in (anna.full_name, "Forgot the geometry", "Flu", "Anna's maths", "Anna will bring it", "Ваш ответ"):
        assert private not in everything, private
    assert "Вы ещё не ответили." in screens["meetings"]


@pytest.mark.browser
async def test_writes_made_offline_wait_and_arrive_once_when_the_network_is_back(
    server_url: str,
    factory: Factory,
    browser: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    world = await _school(factory)
    mum, anna, chat = (world[k] for k in ("mum", "anna", "chat"))
    origin = server_url.replace("ws://", "http://").removesuffix("/graphql")
    chat_id = gid(chat, "Chat")
    start = today_utc() + timedelta(days=2)
    note = tmp_path / "dentist.pdf"
    note.write_bytes(PDF)
    # A message whose answer was lost: it reached the server (sent here through the API as mum),
    # but the app's outbox still holds it as attempted.
    lost = await factory.client(mum).data(SEND, input={"chatId": chat_id, "text": "Sent, answer lost"})
    assert lost["messageSend"]["__typename"] == "MessageSendSuccess", lost
    shots = _screenshots()

    def write_offline() -> tuple[str, list[dict[str, Any]]]:
        from selenium.webdriver.common.by import By

        _sign_in(browser, f"{origin}/#student={gid(anna, 'Student')}", mum.login)
        _section(browser, "absences", lambda d: "пропусках нет." in _text(d))  # loaded once online
        _section(browser, "chats", lambda d: "Anna's maths" in _text(d))
        browser.find_element(By.CSS_SELECTOR, f"[data-chat='{chat_id}']").click()
        _wait(browser, "the chat's history", lambda d: "Welcome to the class chat" in _text(d))

        browser.execute_cdp_cmd("Network.enable", {})
        browser.execute_cdp_cmd(
            "Network.emulateNetworkConditions",
            {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )
        _wait(browser, "the app offline", lambda d: d.execute_script("return !navigator.onLine"))
        entry = {
            "id": "lost-answer",
            "user": gid(mum, "User"),
            "draft": {
                "kind": "message",
                "input": {"chatId": chat_id, "text": "Sent, answer lost", "fileIds": []},
                "files": [],
            },
            "queuedAt": "2026-01-01T00:00:00Z",
            "state": "waiting",
            "attempted": True,
            "mark": None,
        }
        browser.execute_script(
            "const kept = JSON.parse(localStorage.getItem('ediary.cache.outbox') || '[]');"
            "localStorage.setItem('ediary.cache.outbox', JSON.stringify(kept.concat([arguments[0]])));",
            entry,
        )

        browser.find_element(By.NAME, "message").send_keys("Written on the train")
        browser.find_element(By.CSS_SELECTOR, ".conversation form button[type=submit]").click()
        _wait(browser, "the message waiting", lambda d: "Written on the train\nЖдёт отправки" in _text(d))
        browser.save_screenshot(str(shots / "chat-offline.png"))
        found = _axe(browser)

        _section(browser, "absences", lambda d: d.find_elements(By.NAME, "reason"))
        for first, last, reason in (
            (start, start, "Dentist in the morning"),
            (today_utc() - timedelta(days=60), today_utc() - timedelta(days=60), "Long ago"),  # NOTICE_TOO_OLD
        ):
            _set(browser, "input[name=from]", first.isoformat())
            _set(browser, "input[name=to]", last.isoformat())
            browser.find_element(By.NAME, "reason").send_keys(reason)
            if reason.startswith("Dentist"):  # its note is kept on the device until the network is back
                browser.find_element(By.NAME, "note").send_keys(str(note))
            browser.find_element(By.CSS_SELECTOR, "form.compose button[type=submit]").click()
            _wait(
                browser,
                "the notice waiting",
                lambda d, r=reason: any(
                    r in card.text and "Ждёт отправки" in card.text
                    for card in d.find_elements(By.CSS_SELECTOR, ".drafts .card")
                ),
            )
        _wait(browser, "the count waiting", lambda d: "Ждут отправки: 4" in _text(d))  # the lost one too
        browser.save_screenshot(str(shots / "absences-offline.png"))
        return _text(browser), found + _axe(browser)

    offline, problems = await asyncio.to_thread(write_offline)
    assert "Уведомление сохранено и будет отправлено, когда появится сеть." in offline
    assert problems == [], problems
    await asyncio.sleep(1)
    assert not await models.Message.exists(chat_id=chat.id, text="Written on the train")
    assert not await models.AbsenceNotice.exists(student_id=anna.id)

    def back_online() -> tuple[str, str]:
        from selenium.webdriver.common.by import By

        browser.execute_cdp_cmd(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )
        _wait(
            browser,
            "the notice sent and the old one refused",
            lambda d: (
                d.find_elements(By.CSS_SELECTOR, "[data-notice]")
                and "Dentist in the morning\nЖдёт" not in _text(d)
                and d.find_elements(By.CSS_SELECTOR, ".pending.state-refused")
            ),
        )
        refused = browser.find_element(By.CSS_SELECTOR, ".pending.state-refused").text
        state = browser.find_element(By.CSS_SELECTOR, ".pending.state-refused .pending-state").text
        browser.save_screenshot(str(shots / "absences-refused.png"))
        browser.find_element(By.XPATH, "//button[normalize-space()='Удалить черновик']").click()
        _wait(browser, "the draft discarded", lambda d: "Long ago" not in _text(d))
        _section(browser, "chats", lambda d: "Written on the train" in _text(d))
        _wait(browser, "nothing waiting", lambda d: "Ждёт отправки" not in _text(d) and "Ждут отправки" not in _text(d))
        return refused, state

    refused, state = await asyncio.to_thread(back_online)
    assert "Long ago" in refused
    assert state.startswith("Не отправлено: ")  # noqa: RUF001 - Russian
    assert len(state) > len("Не отправлено: ") + 5  # noqa: RUF001 - the server's reason after it
    assert await models.Message.filter(chat_id=chat.id, text="Written on the train").count() == 1
    assert await models.Message.filter(chat_id=chat.id, text="Sent, answer lost").count() == 1  # not sent again
    notices = await models.AbsenceNotice.filter(student_id=anna.id)
    assert [(n.reason, n.start_date) for n in notices] == [("Dentist in the morning", start)]
    attached = await models.StoredFile.filter(absence_notice_id=notices[0].id)
    assert [f.name for f in attached] == ["dentist.pdf"]
    kept = browser.execute_script("return localStorage.getItem('ediary.cache.outbox')")
    assert kept is None
