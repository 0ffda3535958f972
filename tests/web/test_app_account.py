"""The family app's account screens in headless Chromium (issue 23): a forgotten password
recovered through the e-mailed link, signing in with an identity provider (the real one of
``tests/oidc``), the notification inbox live and read, the notification settings, a session ended
from another device signing that app out, and a grade pushed to the browser with the app closed
(decrypted by the suite's local Web Push service). axe-core checks each screen; screenshots go
where ``tests/web/test_app.py`` writes its own."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import pytest

import models
from edge.push import load_vapid_key, make_senders, public_key_b64
from edge.settings import Settings
from resolvers import push, recovery
from resolvers.core import now_utc, today_utc
from tests.access.test_recovery import NEW_PASSWORD, _phone, served
from tests.browsers import browser, chromium, same_origin_page  # noqa: F401 - the fixture: Debian's headless Chromium, network cut
from tests.conftest import app_served
from tests.factories import Factory, school_days_before
from tests.helpers import free_port, gid
from tests.identity.provider import running
from tests.notifying import run_notifier
from tests.push_services import web_push_service
from tests.web.test_app import GRADE, PASSWORD, _axe, _screenshots, _sign_in, _text, _wait

SIGNED_OUT = "Сеанс завершён: войдите снова."


async def _family(factory: Factory, topic: str) -> tuple[Any, models.User, models.User, models.Student, Any]:
    """A school with 5A: its Mathematics teacher, a parent (``PASSWORD``) with a child there, and
    a lesson of the last school day."""
    kit = await factory.school(classes=("5A",))
    teacher = await factory.teacher(kit, [("5A", "Mathematics")])
    mum = await factory.user("mum", password=PASSWORD)
    anna = await factory.student(kit, "5A", "anna", guardians=[mum])
    (day,) = school_days_before(today_utc(), 1)
    lesson = await factory.lesson(kit, "5A", "Mathematics", teacher, day, topic=topic)
    return kit, teacher, mum, anna, lesson


def _click(driver: Any, text: str) -> None:
    """Click the button whose visible text is ``text``."""
    from selenium.webdriver.common.by import By

    button = _wait(
        driver,
        f"the button {text!r}",
        lambda d: next((b for b in d.find_elements(By.TAG_NAME, "button") if b.text == text), None),
    )
    button.click()


def _open(driver: Any, screen: str) -> None:
    """Open an account screen from the app's navigation (``inbox``, ``preferences``, ``sessions``)."""
    from selenium.webdriver.common.by import By

    _wait(
        driver,
        f"the navigation's {screen}",
        lambda d: d.find_element(By.CSS_SELECTOR, f"nav.sections [data-section={screen}]"),
    ).click()


async def test_the_addresses_other_sites_send_people_to_are_the_app(http: httpx.AsyncClient) -> None:
    """The e-mailed recovery link's page and a provider's redirect URI answer the app's page, with
    its Content-Security-Policy (the app reads the token or code there); nothing else is."""
    page = await http.get("/")
    for path in ("/password-recovery?token=abc", "/login/callback?code=c&state=s"):
        r = await http.get(path)
        same_origin_page(r)
        assert r.text == page.text
    assert (await http.get("/login/elsewhere")).status_code == 404


@pytest.mark.browser
async def test_a_forgotten_password_is_recovered_through_the_link_in_the_app(
    settings: Settings,
    factory: Factory,
    browser: Any,  # noqa: F811
) -> None:
    """ "Забыли пароль?" asks for a link (the answer never says whether the account exists); the
    e-mailed link opens the app's own page, which sets the new password, forgets the token in the
    address bar and sends the person to sign in, where the new password opens the diary."""
    _kit, _teacher, mum, _anna, _lesson = await _family(factory, "Recovered")
    address = f"{mum.login}@example.org"
    mum.email = address
    await mum.save(update_fields=["email"])
    shots = _screenshots()
    async with served(settings) as app:
        origin = str(app.client.http.base_url).rstrip("/")

        def ask_for_a_link() -> list[dict[str, Any]]:
            from selenium.webdriver.common.by import By

            browser.get(f"{origin}/")
            _click(browser, "Забыли пароль?")
            field = _wait(browser, "the recovery form", lambda d: d.find_element(By.NAME, "who"))
            field.send_keys(mum.login)
            problems = _axe(browser)
            browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            _wait(browser, "the answer", lambda d: "Если такая учётная запись есть" in _text(d))
            browser.save_screenshot(str(shots / "recovery-requested.png"))
            return problems + _axe(browser)

        problems = await asyncio.to_thread(ask_for_a_link)
        assert problems == [], problems
        await recovery.sending_done()
        token = app.token(address)

        def follow_the_link() -> tuple[str, str, list[dict[str, Any]]]:
            from selenium.webdriver.common.by import By
            from selenium.webdriver.common.keys import Keys

            browser.get(f"{origin}/password-recovery?token={token}")
            _wait(browser, "the new password form", lambda d: d.find_element(By.NAME, "new-password"))
            assert token not in browser.current_url  # forgotten at once
            problems = _axe(browser)
            browser.find_element(By.NAME, "new-password").send_keys(NEW_PASSWORD)
            browser.find_element(By.NAME, "new-password-again").send_keys(NEW_PASSWORD + "x")
            browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            _wait(browser, "the mismatch", lambda d: "Пароли не совпадают." in _text(d))
            browser.find_element(By.NAME, "new-password-again").send_keys(Keys.BACK_SPACE)
            browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            _wait(browser, "the sign-in form again", lambda d: "Пароль изменён" in _text(d))
            browser.save_screenshot(str(shots / "recovery-done.png"))
            done = _text(browser)
            for name, value in (("login", mum.login), ("password", NEW_PASSWORD)):
                browser.find_element(By.NAME, name).send_keys(value)
            browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            _wait(browser, "the diary", lambda d: "Recovered" in _text(d) or d.find_elements(By.CSS_SELECTOR, ".days"))
            return done, browser.current_url, problems

        done, url, problems = await asyncio.to_thread(follow_the_link)
        assert (await app.login(mum.login, PASSWORD))["code"] == "INVALID_CREDENTIALS"
    assert problems == [], problems
    assert "Пароль изменён, все сеансы завершены." in done
    assert "token" not in url


@pytest.mark.browser
async def test_a_forgotten_password_is_recovered_with_an_sms_code_in_the_app(
    settings: Settings,
    factory: Factory,
    browser: Any,  # noqa: F811
) -> None:
    """Asked for a code by SMS, the same screen takes the code and the new password; a wrong code
    is refused with the server's message, the right one sets the password."""
    _kit, _teacher, mum, _anna, _lesson = await _family(factory, "By SMS")
    phone = _phone()
    await models.NotificationSettings.create(user_id=mum.id, phone=phone)
    async with served(settings) as app:
        origin = str(app.client.http.base_url).rstrip("/")

        def ask_for_a_code() -> list[dict[str, Any]]:
            from selenium.webdriver.common.by import By

            browser.get(f"{origin}/")
            _click(browser, "Забыли пароль?")
            _wait(browser, "the recovery form", lambda d: d.find_element(By.NAME, "who")).send_keys(phone)
            browser.find_element(By.CSS_SELECTOR, "input[name=channel][value=SMS]").click()
            browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            _wait(browser, "the code form", lambda d: d.find_element(By.NAME, "code"))
            return _axe(browser)

        problems = await asyncio.to_thread(ask_for_a_code)
        assert problems == [], problems
        await recovery.sending_done()
        code = app.code(phone)

        def type_the_code(typed: str) -> str:
            """The code and the new password typed and sent: the refusal's text, or "" once set."""
            from selenium.webdriver.common.by import By

            for name, value in (("code", typed), ("new-password", NEW_PASSWORD), ("new-password-again", NEW_PASSWORD)):
                field = browser.find_element(By.NAME, name)
                field.clear()
                field.send_keys(value)
            browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            if typed == code:
                _wait(browser, "the password set", lambda d: "Пароль изменён" in _text(d))
                return ""
            return str(_wait(browser, "the refusal", lambda d: d.find_element(By.CSS_SELECTOR, "[role=alert]").text))

        refusal = await asyncio.to_thread(type_the_code, "000000" if code != "000000" else "111111")
        assert not refusal.isascii()  # the server's message, in Russian
        assert await asyncio.to_thread(type_the_code, code) == ""
        assert (await app.login(mum.login, NEW_PASSWORD))["__typename"] == "LoginSuccess"


@pytest.mark.browser
async def test_signing_in_with_the_identity_provider_in_the_app(
    settings: Settings,
    factory: Factory,
    browser: Any,  # noqa: F811
) -> None:
    """The sign-in screen offers the server's provider; its login page sends the person back to
    /login/callback, where the app completes the login, forgets the code, and opens the diary."""
    _kit, _teacher, mum, anna, _lesson = await _family(factory, "From the provider")
    subject = f"{factory.tag}-mum"
    await models.ExternalIdentity.create(user=mum, provider="idp", subject=subject, linked_at=now_utc())
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    callback = f"{origin}/login/callback"
    with running("idp", redirect_uris=[callback]) as provider:
        async with app_served(settings, on_port=port, oidc_providers=(provider.settings((callback,)),)):

            def sign_in() -> tuple[str, list[dict[str, Any]]]:
                from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
                from selenium.webdriver.common.by import By

                browser.get(f"{origin}/")
                _wait(browser, "the provider's button", lambda d: "Войти через Provider idp" in _text(d))
                problems = _axe(browser)
                browser.save_screenshot(str(_screenshots() / "sign-in-providers.png"))
                _click(browser, "Войти через Provider idp")
                _wait(browser, "the provider's page", lambda d: d.find_element(By.ID, "login")).send_keys(subject)
                browser.find_element(By.ID, "submit").click()
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline and not browser.current_url.startswith(origin):
                    try:  # the provider's pages change under the loop: an element read may be gone
                        prompts = browser.find_elements(By.ID, "prompt")
                        if prompts and "consent" in prompts[0].text:
                            browser.find_element(By.ID, "submit").click()
                    except (StaleElementReferenceException, NoSuchElementException):
                        pass
                    time.sleep(0.2)
                _wait(
                    browser,
                    "the diary",
                    lambda d: d.find_elements(By.CSS_SELECTOR, ".days") and anna.full_name in _text(d),
                )
                return browser.current_url, problems

            url, problems = await asyncio.to_thread(sign_in)
    assert problems == [], problems
    assert url.startswith(f"{origin}/#")  # the code is not left in the address bar
    assert "code=" not in url
    assert await models.AuditEntry.filter(actor_id=mum.id, action="identity.login").count() == 1


@pytest.mark.browser
async def test_the_inbox_is_live_and_read_and_the_settings_are_saved(
    app: Any,
    server_url: str,
    factory: Factory,
    browser: Any,  # noqa: F811
) -> None:
    """A grade's notification appears in the open inbox and in the bar's unread count without
    reloading; "Прочитано" marks it read; the settings screen turns push off for grades and sets
    quiet hours, which the API then reads back."""
    _kit, teacher, mum, anna, lesson = await _family(factory, "Inbox")
    origin = server_url.replace("ws://", "http://").removesuffix("/graphql")
    week = f"{origin}/#student={gid(anna, 'Student')}&week={lesson.date.isoformat()}"
    shots = _screenshots()
    while await run_notifier(app):  # what other tests left: not this one's
        pass

    def open_inbox() -> None:
        _sign_in(browser, week, mum.login)
        _open(browser, "inbox")
        _wait(browser, "the empty inbox", lambda d: "Уведомлений нет." in _text(d))

    await asyncio.to_thread(open_inbox)
    teacher_client = factory.client(teacher)
    arrived = False
    for attempt in range(10):  # the subscription starts a moment after the socket
        result = await teacher_client.data(
            GRADE,
            input={
                "studentId": gid(anna, "Student"),
                "lessonId": gid(lesson, "Lesson"),
                "value": "5",
                "comment": f"n{attempt}",
            },
        )
        assert result["gradeCreate"]["__typename"] == "GradeCreateSuccess", result
        await run_notifier(app)
        try:
            await asyncio.to_thread(_wait, browser, "the live notification", lambda d: "Новая оценка" in _text(d), 2)
            arrived = True
            break
        except pytest.fail.Exception:
            continue
    assert arrived

    def read_it() -> tuple[str, str, list[dict[str, Any]]]:
        from selenium.webdriver.common.by import By

        _wait(
            browser,
            "the unread count",
            lambda d: d.find_elements(By.CSS_SELECTOR, "nav.sections [data-section=inbox] .unread-count"),
        )
        text = _text(browser)
        badge = browser.find_element(By.CSS_SELECTOR, "nav.sections [data-section=inbox] .unread-count").get_attribute(
            "data-unread"
        )
        browser.save_screenshot(str(shots / "inbox.png"))
        problems = _axe(browser)

        def read_the_first_unread(d: Any) -> bool:
            buttons = d.find_elements(By.CSS_SELECTOR, ".notifications li.unread button")
            if buttons:
                buttons[0].click()  # the list is drawn again: the next one on the next look
                time.sleep(0.2)
            return not buttons

        _wait(browser, "all read", read_the_first_unread)
        _wait(
            browser,
            "no unread count",
            lambda d: not d.find_elements(By.CSS_SELECTOR, "nav.sections [data-section=inbox] .unread-count"),
        )
        return text, str(badge), problems

    text, badge, problems = await asyncio.to_thread(read_it)
    assert problems == [], problems
    assert anna.full_name in text
    assert "Mathematics: 5" in text
    assert int(badge) >= 1
    notifications = await models.Notification.filter(user_id=mum.id)
    assert notifications
    assert all(n.read_at is not None for n in notifications)

    def change_settings() -> list[dict[str, Any]]:
        from selenium.webdriver.common.by import By

        _open(browser, "preferences")
        box = _wait(browser, "the settings", lambda d: d.find_element(By.NAME, "GRADES.push"))
        assert box.is_selected()  # push is on by default
        box.click()
        for name, value in (("quiet-start", "22:00"), ("quiet-end", "07:00")):
            # A time field's typing follows the browser's locale (12 or 24 hours): set as a picker does.
            browser.execute_script(
                "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
                browser.find_element(By.NAME, name),
                value,
            )
        problems = _axe(browser)
        browser.find_element(By.CSS_SELECTOR, ".preferences button[type=submit]").click()
        _wait(browser, "saved", lambda d: "Сохранено." in _text(d))
        browser.save_screenshot(str(shots / "notification-settings.png"))
        return problems

    problems = await asyncio.to_thread(change_settings)
    assert problems == [], problems
    mine = factory.client(mum)
    read = await mine.data(
        "{ viewer { notificationPreferences { channels { category push inApp } quietHoursStart quietHoursEnd } } }"
    )
    preferences = read["viewer"]["notificationPreferences"]
    channels = {c["category"]: c for c in preferences["channels"]}
    assert channels["GRADES"] == {"category": "GRADES", "push": False, "inApp": True}
    assert channels["HOMEWORK"]["push"] is True
    assert (preferences["quietHoursStart"], preferences["quietHoursEnd"]) == ("22:00:00", "07:00:00")


@pytest.mark.browser
async def test_ending_another_session_signs_that_browser_out(
    server_url: str,
    factory: Factory,
    browser: Any,  # noqa: F811
) -> None:
    """ "Log out that phone": the sessions screen lists both, this one marked; ending the other one
    sends the other browser back to its sign-in screen at once (4401), and this one goes on."""
    _kit, _teacher, mum, anna, lesson = await _family(factory, "Sessions")
    origin = server_url.replace("ws://", "http://").removesuffix("/graphql")
    week = f"{origin}/#student={gid(anna, 'Student')}&week={lesson.date.isoformat()}"
    with chromium() as phone:
        await asyncio.to_thread(_sign_in, phone, week, mum.login)

        def end_the_phone() -> tuple[str, list[dict[str, Any]]]:
            from selenium.webdriver.common.by import By

            _sign_in(browser, week, mum.login)
            _open(browser, "sessions")
            _wait(browser, "two sessions", lambda d: len(d.find_elements(By.CSS_SELECTOR, ".session-list li")) == 2)
            listed = _text(browser)
            problems = _axe(browser)
            browser.save_screenshot(str(_screenshots() / "sessions.png"))
            browser.find_element(By.CSS_SELECTOR, ".session-list li:not(.current) button").click()
            _wait(browser, "ended", lambda d: "Сеанс завершён." in _text(d))
            _wait(browser, "one session", lambda d: len(d.find_elements(By.CSS_SELECTOR, ".session-list li")) == 1)
            return listed, problems

        listed, problems = await asyncio.to_thread(end_the_phone)
        assert problems == [], problems
        assert "Это устройство" in listed
        await asyncio.to_thread(_wait, phone, "the phone signed out", lambda d: SIGNED_OUT in _text(d), 10)
        await asyncio.to_thread(phone.save_screenshot, str(_screenshots() / "sessions-phone-signed-out.png"))
    assert browser.find_elements("css selector", ".sign-in") == []  # this one goes on
    # The two browsers' sessions (the factory's own has no User-Agent): the phone's revoked, this one live.
    browsers = await models.Session.filter(user_id=mum.id).exclude(user_agent="").order_by("id")
    assert [(s.ended_at is None, s.end_reason) for s in browsers] == [(False, "REVOKED"), (True, None)]


# The browser's PushManager, replaced before the app loads: Chromium's own push service needs the
# network. The subscription it returns is the suite's local Web Push endpoint with keys made in
# Python (the service decrypts with their private half); the app's own subscribe-and-register code
# runs on it, and the key it subscribed with is kept for the test to check.
FAKE_PUSH = """
(() => {
  const given = %s;
  const make = (options) => ({
    endpoint: given.endpoint,
    expirationTime: null,
    options,
    getKey: () => null,
    toJSON: () => ({
      endpoint: given.endpoint, expirationTime: null, keys: { p256dh: given.p256dh, auth: given.auth },
    }),
    unsubscribe: async () => { current = null; return true; },
  });
  PushManager.prototype.subscribe = async function (options) {
    const key = new Uint8Array(options.applicationServerKey);
    window.__subscribedWith = btoa(String.fromCharCode(...key))
      .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
    current = current || make(options);
    return current;
  };
  // given.existing: the browser holds this subscription already when the page opens (it replaced
  // the earlier one while no window of the app was open).
  let current = given.existing ? make({ userVisibleOnly: true }) : null;
  PushManager.prototype.getSubscription = async function () { return current; };
})();
"""


def _push_on(driver: Any, origin: str, week: str, login: str, subscription: dict[str, str]) -> str:
    """Sign in with ``subscription`` as the browser's, turn push on in the app, close its window
    (another tab stays, so the browser and its worker live on); the key the app subscribed with."""
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": FAKE_PUSH % json.dumps(subscription)})
    driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": origin, "permissions": ["notifications"]})
    _sign_in(driver, week, login)
    _click(driver, "Уведомления на этом устройстве")
    _wait(driver, "push on", lambda d: "Уведомления включены" in _text(d))
    subscribed_with = str(driver.execute_script("return window.__subscribedWith"))
    _close_the_app(driver)
    return subscribed_with


def _close_the_app(driver: Any) -> None:
    app_window = driver.current_window_handle
    driver.switch_to.new_window("tab")
    other = driver.current_window_handle
    driver.switch_to.window(app_window)
    driver.close()
    driver.switch_to.window(other)
    driver.get("about:blank")


async def _arrives(app: Any, settings: Settings, service: Any, endpoint: str) -> dict[str, Any]:
    """What the push service decrypted for ``endpoint`` within 60 s, the server's notifier and push
    worker run meanwhile (their rounds, as the server runs them every second)."""
    senders = make_senders(settings)
    started = time.monotonic()
    while not service.to(endpoint) and time.monotonic() - started < 60:
        await run_notifier(app)
        await push.deliver_due(senders)
        await asyncio.sleep(0.5)
    [pushed] = service.to(endpoint)
    return dict(pushed)


@pytest.mark.browser
async def test_a_grade_is_pushed_to_the_browser_with_the_app_closed(
    app: Any,
    server_url: str,
    settings: Settings,
    factory: Factory,
    browser: Any,  # noqa: F811
) -> None:
    """The app turns push on (permission, subscribe with the server's VAPID key, register); its
    window is closed; the teacher gives a grade through the API; within 60 s the local push
    service receives it and decrypts it: the title and the child's given name, nothing more."""
    _kit, teacher, mum, anna, lesson = await _family(factory, "Pushed")
    origin = server_url.replace("ws://", "http://").removesuffix("/graphql")
    week = f"{origin}/#student={gid(anna, 'Student')}&week={lesson.date.isoformat()}"
    assert settings.vapid_private_key is not None
    server_key = public_key_b64(load_vapid_key(settings.vapid_private_key))
    while await run_notifier(app):  # what other tests left: not this one's
        pass
    async with web_push_service(server_key) as service:
        subscription = service.subscribe()
        try:
            subscribed_with = await asyncio.to_thread(_push_on, browser, origin, week, mum.login, subscription)
            assert subscribed_with == server_key
            [device] = await models.PushDevice.filter(user_id=mum.id)
            assert device.endpoint == subscription["endpoint"]

            result = await factory.client(teacher).data(
                GRADE,
                input={
                    "studentId": gid(anna, "Student"),
                    "lessonId": gid(lesson, "Lesson"),
                    "value": "4",
                    "comment": "Secret",
                },
            )
            assert result["gradeCreate"]["__typename"] == "GradeCreateSuccess", result
            pushed = await _arrives(app, settings, service, subscription["endpoint"])
            assert (pushed["title"], pushed["body"], pushed["kind"]) == (
                "New grade",
                anna.full_name.split()[0],
                "GRADE_ADDED",
            )
            assert "Secret" not in json.dumps(pushed)
            assert service.refused == []
        finally:
            await models.PushDevice.filter(user_id=mum.id).delete()


@pytest.mark.browser
async def test_a_replaced_or_dropped_subscription_is_registered_again_when_the_app_opens(
    app: Any,
    server_url: str,
    settings: Settings,
    factory: Factory,
    browser: Any,  # noqa: F811
) -> None:
    """The browser replaced the subscription while the app was closed (``pushsubscriptionchange``
    with no window to tell): the app registers the new one when it next opens, and pushes reach
    it. A device the server no longer has (removed as the least recently used of too many) is
    registered again the same way."""
    _kit, teacher, mum, anna, lesson = await _family(factory, "Resubscribed")
    origin = server_url.replace("ws://", "http://").removesuffix("/graphql")
    week = f"{origin}/#student={gid(anna, 'Student')}&week={lesson.date.isoformat()}"
    assert settings.vapid_private_key is not None
    server_key = public_key_b64(load_vapid_key(settings.vapid_private_key))
    while await run_notifier(app):
        pass
    async with web_push_service(server_key) as service:
        first, second = service.subscribe(), service.subscribe()
        try:
            await asyncio.to_thread(_push_on, browser, origin, week, mum.login, first)
            assert [d.endpoint for d in await models.PushDevice.filter(user_id=mum.id)] == [first["endpoint"]]

            def reopen(held: dict[str, str]) -> None:
                """The app opened in a new window, the browser holding ``held`` as its subscription."""
                # The permission stays granted (headless Chromium forgets a grant made through CDP
                # in a tab once that tab is closed: granted again for the new one).
                browser.execute_cdp_cmd(
                    "Browser.grantPermissions", {"origin": origin, "permissions": ["notifications"]}
                )
                source = FAKE_PUSH % json.dumps({**held, "existing": True})
                browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": source})
                browser.get(week)
                _wait(browser, "the diary", lambda d: "Resubscribed" in _text(d))

            async def registered(endpoint: str) -> bool:
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline:
                    if await models.PushDevice.filter(user_id=mum.id, endpoint=endpoint).exists():
                        return True
                    await asyncio.sleep(0.2)
                return False

            await asyncio.to_thread(reopen, second)
            assert await registered(second["endpoint"])
            await asyncio.to_thread(_close_the_app, browser)
            result = await factory.client(teacher).data(
                GRADE,
                input={"studentId": gid(anna, "Student"), "lessonId": gid(lesson, "Lesson"), "value": "5"},
            )
            assert result["gradeCreate"]["__typename"] == "GradeCreateSuccess", result
            pushed = await _arrives(app, settings, service, second["endpoint"])
            assert pushed["title"] == "New grade"

            # Evicted on the server: the next start registers the browser's subscription again.
            await models.PushDevice.filter(user_id=mum.id).delete()
            await asyncio.to_thread(reopen, second)  # the browser still holds the second one
            assert await registered(second["endpoint"])
        finally:
            await models.PushDevice.filter(user_id=mum.id).delete()
