"""GraphiQL in development, with no internet: the app serves the page and its assets itself
(built from the npm registry, ``web/graphiql``), and headless Chromium with every host but
127.0.0.1 cut off logs in through it and subscribes over its WebSocket. Production serves none of it."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from edge.settings import Settings
from resolvers.core import today_utc
from tests.browsers import browser, same_origin_page  # noqa: F401 - the fixture: Debian's headless Chromium, network cut
from tests.conftest import client_for
from tests.factories import Factory, school_days_before
from tests.helpers import gid
from web import graphiql

PASSWORD = "correct-horse-battery"
GRADE = """
mutation G($input: GradeCreateInput!) { gradeCreate(input: $input) { __typename ... on Error { code } } }
"""


async def test_page_loads_only_this_origin(http: httpx.AsyncClient) -> None:
    r = await http.get("/graphql", headers={"Accept": "text/html"})
    policy = same_origin_page(r)
    assert "https:" not in policy
    assert "://" not in r.text  # every asset is a path on this server
    for asset in ("graphiql.js", "graphiql.css"):
        assert f'"graphiql/{asset}?v=' in r.text


@pytest.mark.parametrize(("asset", "media"), [("graphiql.js", "javascript"), ("graphiql.css", "text/css")])
async def test_assets_are_served(http: httpx.AsyncClient, asset: str, media: str) -> None:
    r = await http.get(f"/graphiql/{asset}")
    assert r.status_code == 200
    assert media in r.headers["content-type"]
    assert len(r.content) > 10_000


async def test_production_serves_neither_page_nor_assets(settings: Settings, database: None) -> None:
    async with client_for(settings, env="production") as client:
        page = await client.get("/graphql", headers={"Accept": "text/html"})
        asset = await client.get("/graphiql/graphiql.js")
    assert (page.status_code, asset.status_code) == (404, 404)


async def test_page_without_built_assets_says_how_to_build(
    settings: Settings, database: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(graphiql, "DIST", tmp_path)  # a checkout where `make graphiql` never ran
    async with client_for(settings) as client:
        r = await client.get("/graphql", headers={"Accept": "text/html"})
    assert r.status_code == 503
    assert "make graphiql" in r.text


def _editor(driver: Any, css: str) -> Any:
    """Click into a CodeMirror editor (``css`` selects it) and empty it."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    try:
        editor = WebDriverWait(driver, 20).until(expected_conditions.element_to_be_clickable((By.CSS_SELECTOR, css)))
    except TimeoutException:
        pytest.fail(f"GraphiQL did not start: {driver.find_element(By.TAG_NAME, 'body').text!r}")
    editor.click()
    actions = ActionChains(driver)
    actions.key_down(Keys.CONTROL).send_keys("a").key_up(Keys.CONTROL).send_keys(Keys.DELETE).perform()
    return actions


def _run(driver: Any, name: str, document: str) -> None:
    """Type ``document`` (one operation called ``name``) into GraphiQL's query editor and run it
    once the tab shows its name (GraphiQL has read it)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    _editor(driver, ".graphiql-query-editor .CodeMirror").send_keys(document).perform()
    tab = (By.CSS_SELECTOR, ".graphiql-tab-button")
    WebDriverWait(driver, 20).until(expected_conditions.text_to_be_present_in_element(tab, name))
    driver.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()


def _set_headers(driver: Any, headers: str) -> None:
    """Open the Headers tab and type ``headers`` into it."""
    from selenium.webdriver.common.by import By

    driver.find_element(By.XPATH, "//div[@class='graphiql-editor-tools']/button[normalize-space()='Headers']").click()
    _editor(driver, ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror").send_keys(headers).perform()


def _response(driver: Any, expected: str, seconds: float = 20) -> str | None:
    """The response pane's text once it shows ``expected``, or None after ``seconds``."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    pane = (By.CSS_SELECTOR, ".graphiql-response")
    try:
        WebDriverWait(driver, seconds).until(expected_conditions.text_to_be_present_in_element(pane, expected))
    except TimeoutException:
        return None
    text: str = driver.find_element(*pane).text
    return text


def _shown(driver: Any, expected: str) -> str:
    text = _response(driver, expected)
    if text is None:
        from selenium.webdriver.common.by import By

        body = driver.find_element(By.TAG_NAME, "body").text
        pytest.fail(f"{expected!r} is not in GraphiQL's response:\n{body}\nconsole: {driver.get_log('browser')}")
    return text


SIGN_IN = (
    'mutation SignIn {{ login(input: {{login: "{login}", password: "{password}"}}) '
    "{{ __typename ... on LoginSuccess {{ accessToken user {{ fullName }} }} }} }}"
)
EVENTS = "subscription Events { diaryEvents { kind grade { value comment } } }"


@pytest.mark.browser
async def test_graphiql_works_with_the_network_cut(
    server_url: str,
    factory: Factory,
    browser: Any,  # noqa: F811
) -> None:
    """A parent signs in through GraphiQL, is refused a subscription without the token, then
    puts the token in the Headers tab and sees a grade arrive live over the WebSocket."""
    kit = await factory.school(classes=("5A",))
    teacher = await factory.teacher(kit, [("5A", "Mathematics")])
    parent = await factory.user("mum", password=PASSWORD)
    child = await factory.student(kit, "5A", "anna", guardians=[parent])
    (day,) = school_days_before(today_utc(), 1)
    lesson = await factory.lesson(kit, "5A", "Mathematics", teacher, day)
    origin = server_url.replace("ws://", "http://").removesuffix("/graphql")

    def sign_in_and_subscribe() -> tuple[str, str]:
        browser.get(f"{origin}/graphql")
        _run(browser, "SignIn", SIGN_IN.format(login=parent.login, password=PASSWORD))
        answer = _shown(browser, parent.full_name)
        # Over graphql-ws with no token: the server's own refusal comes back through the socket.
        _run(browser, "Events", EVENTS)
        refusal = _shown(browser, "UNAUTHENTICATED")
        token = re.search(r'"accessToken": "([^"]+)"', answer)
        assert token is not None, answer
        _set_headers(browser, f'{{"Authorization": "Bearer {token.group(1)}"}}')
        _run(browser, "Events", EVENTS)
        return answer, refusal

    answer, refusal = await asyncio.to_thread(sign_in_and_subscribe)
    assert '"__typename": "LoginSuccess"' in answer
    assert '"code": "UNAUTHENTICATED"' in refusal
    # The subscription starts on the server a moment after the click: grade until one arrives.
    teacher_client = factory.client(teacher)
    live = None
    for attempt in range(10):
        result = await teacher_client.data(
            GRADE,
            input={
                "studentId": gid(child, "Student"),
                "lessonId": gid(lesson, "Lesson"),
                "value": "5",
                "comment": f"live in GraphiQL {attempt}",
            },
        )
        assert result["gradeCreate"]["__typename"] == "GradeCreateSuccess", result
        live = await asyncio.to_thread(_response, browser, "live in GraphiQL", 2)
        if live is not None:
            break
    assert live is not None, await asyncio.to_thread(_shown, browser, "live in GraphiQL")
    assert '"kind": "GRADE_ADDED"' in live

    def loads() -> tuple[list[str], list[dict[str, Any]]]:
        script = "return performance.getEntriesByType('resource').map(e => e.name).concat([location.href])"
        return browser.execute_script(script), browser.get_log("browser")

    loaded, console = await asyncio.to_thread(loads)
    # Everything came from the app itself, and nothing failed to load or was refused by the CSP
    # (the refused subscription's errors also surface as an unhandled rejection in GraphiQL's
    # fetcher, after it showed them: source "javascript", not a load).
    assert loaded
    assert [url for url in loaded if not url.startswith((origin, "data:"))] == []
    assert [entry for entry in console if entry["level"] == "SEVERE" and entry["source"] != "javascript"] == []
