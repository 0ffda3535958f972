"""The family app's one navigation (src/nav.tsx) in Chromium: every section of the three areas in
its group, reached with the keyboard, the open one aria-current, kept in the address for Back and
a reload; on a phone's width nothing runs off the side and every section is big enough to tap;
a student has no parent's sections. Marker ``browser``."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import models
from resolvers import passwords
from tests.browsers import chromium
from tests.factories import Factory
from tests.helpers import gid
from tests.web.test_app import PASSWORD, _axe, _screenshots, _sign_in, _text, _wait

PARENT_GROUPS = {
    "Учёба": ["Дневник", "Успеваемость", "Итоговые оценки"],
    "Общение": ["Замечания", "Пропуски", "Сообщения", "Объявления", "Собрания"],
    "Учётная запись": ["Уведомления", "Настройки уведомлений", "Сеансы"],
}


def _groups(driver: Any) -> dict[str, list[str]]:
    """The navigation as a person reads it: each group's heading and its sections' names."""
    return dict(
        driver.execute_script(
            "return [...document.querySelectorAll('nav.sections .section-group')].map(g => ["
            "  g.querySelector('h2').textContent,"
            "  [...g.querySelectorAll('a')].map(a => a.firstChild.textContent)]);"
        )
    )


def _current(driver: Any) -> list[str]:
    """The sections marked as the open page."""
    return [
        str(a.get_attribute("data-section"))
        for a in driver.find_elements("css selector", "nav.sections a[aria-current=page]")
    ]


@pytest.mark.browser
async def test_one_navigation_by_keyboard_with_back_reload_and_a_phone_width(
    server_url: str,
    factory: Factory,
) -> None:
    kit = await factory.school(classes=("5A",))
    teacher = await factory.teacher(kit, [("5A", "Mathematics")])
    mum = await factory.user("mum", password=PASSWORD)
    anna = await factory.student(kit, "5A", "anna", guardians=[mum])
    await factory.chat(kit, teacher, [mum], title="Anna's maths", text="Welcome to the class chat")
    anna_user = await models.User.get(id=anna.user_id)
    anna_user.password_hash = passwords.hash_password(PASSWORD)
    await anna_user.save()
    origin = server_url.replace("ws://", "http://").removesuffix("/graphql")
    week = f"{origin}/#student={gid(anna, 'Student')}"
    shots = _screenshots()

    def as_parent_on_a_phone() -> dict[str, Any]:
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys

        seen: dict[str, Any] = {}
        with chromium() as phone:
            # A phone's screen (Chromium's window is never narrower than 500 px).
            phone.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": False},
            )
            _sign_in(phone, week, mum.login)
            seen["width"] = phone.execute_script("return innerWidth")
            _wait(
                phone,
                "the chats' unread count",
                lambda d: d.find_elements(By.CSS_SELECTOR, "[data-section=chats] .unread-count"),
            )
            seen["groups"] = _groups(phone)
            seen["current on the week"] = _current(phone)
            seen["label"] = phone.find_element(By.CSS_SELECTOR, "nav.sections").get_attribute("aria-label")
            seen["chats read as"] = phone.find_element(By.CSS_SELECTOR, "[data-section=chats]").get_attribute(
                "textContent"
            )
            seen["overflow"] = phone.execute_script(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            seen["smallest link"] = phone.execute_script(
                "return Math.min(...[...document.querySelectorAll('nav.sections a')]"
                ".map(a => a.getBoundingClientRect().height))"
            )
            seen["axe"] = _axe(phone)
            phone.save_screenshot(str(shots / "navigation-phone.png"))

            # The keyboard alone: Tab from the page's start to "Сообщения", then Enter.
            phone.execute_script("document.activeElement?.blur()")  # from the page's start
            keys = ActionChains(phone)
            for _ in range(40):
                keys.send_keys(Keys.TAB).perform()
                if phone.switch_to.active_element.get_attribute("data-section") == "chats":
                    break
            seen["focused"] = phone.switch_to.active_element.get_attribute("data-section")
            keys.send_keys(Keys.ENTER).perform()
            _wait(phone, "the chats", lambda d: "Anna's maths" in _text(d))
            seen["chats address"] = phone.current_url
            seen["current on the chats"] = _current(phone)

            phone.find_element(By.CSS_SELECTOR, "[data-section=inbox]").click()
            _wait(phone, "the inbox", lambda d: d.find_elements(By.ID, "inbox-title"))
            seen["current on the inbox"] = _current(phone)
            phone.refresh()
            _wait(phone, "the inbox again", lambda d: d.find_elements(By.ID, "inbox-title"))
            seen["current after a reload"] = _current(phone)
            phone.back()
            _wait(phone, "the chats again", lambda d: "Anna's maths" in _text(d))
            seen["current after Back"] = _current(phone)
            phone.back()
            _wait(phone, "the week again", lambda d: d.find_elements(By.CSS_SELECTOR, ".days"))
            seen["current after Back again"] = _current(phone)
        return seen

    seen = await asyncio.to_thread(as_parent_on_a_phone)
    assert seen["groups"] == PARENT_GROUPS
    assert seen["label"] == "Разделы"
    assert seen["chats read as"] == "Сообщения, непрочитанные: 1"
    assert seen["current on the week"] == ["diary"]
    assert seen["width"] == 390
    assert seen["overflow"] <= 0, "the page runs off the side of a 390 px screen"
    assert seen["smallest link"] >= 44
    assert seen["axe"] == [], seen["axe"]
    assert seen["focused"] == "chats"
    assert "view=chats" in seen["chats address"]
    assert f"student={gid(anna, 'Student')}" in seen["chats address"]
    assert seen["current on the chats"] == ["chats"]
    assert seen["current on the inbox"] == ["inbox"]
    assert seen["current after a reload"] == ["inbox"]
    assert seen["current after Back"] == ["chats"]
    assert seen["current after Back again"] == ["diary"]

    def as_the_student() -> tuple[dict[str, list[str]], str]:
        with chromium() as browser:
            # A parent's address (absence notices) opens the diary for the student, who has none.
            _sign_in(browser, f"{origin}/#view=absences", anna_user.login)
            return _groups(browser), ",".join(_current(browser))

    groups, current = await asyncio.to_thread(as_the_student)
    assert groups == {
        "Учёба": PARENT_GROUPS["Учёба"],
        "Общение": ["Замечания", "Сообщения", "Объявления"],
        "Учётная запись": PARENT_GROUPS["Учётная запись"],
    }
    assert current == "diary"
