"""Messages for people in Russian and English (resolvers/core.py, locales/): every message id of
the code has both translations, the Russian one is Russian, counts take Russian plural forms;
Accept-Language (a socket: `connection_init` payload `locale`) chooses the language of what
people read and never the `code`; EDIARY_DEFAULT_LOCALE when a request names no language; and
the converted modules write no message for people outside the catalogues."""

from __future__ import annotations

import ast
import asyncio
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

import models
import server
from edge.settings import ConfigurationError, Settings
from resolvers import core, grades, sessions
from resolvers.core import today_utc
from resolvers.outbox import SLOW_CONSUMER_REASON
from schema.websocket import DATABASE_UNAVAILABLE_REASON, SESSION_ENDED_REASON, TOKEN_EXPIRED_REASON
from tests.client import Client
from tests.conftest import LOGIN, client_for
from tests.factories import Factory, school_days_before
from tests.helpers import gid

ROOT = Path(__file__).resolve().parents[2]
CYRILLIC = re.compile(r"[\u0410-\u044f\u0401\u0451]")  # the Russian alphabet
PLACEHOLDER = re.compile(r"\{(\w*)\}")

# Russian translations that may equal the English: formats with no word of their own.
SAME_IN_BOTH = frozenset(
    {"{subject}: {text}", "{title} ({child})", "`{key}`: {problem}", "{subject}, {date}: {status}"}
)

VIEWER = "{ viewer { user { id } } }"
DIARY_EVENTS = "subscription { diaryEvents { cursor } }"
LOG_IN_FIRST = {
    "ru": "Сначала войдите в систему: отправьте заголовок `Authorization: Bearer <accessToken>`.",
    "en": "Log in first: send `Authorization: Bearer <accessToken>`.",
}


def _ids_in_code() -> set[str]:
    """The message ids of ``_()`` and ``ngettext()`` in the code, as ``make messages`` finds them."""
    found: set[str] = set()
    for folder in ("resolvers", "edge", "demo", "schema"):
        for _file, _line, message, _comments, _context in extract_from_dir(ROOT / folder):
            found.add(message[0] if isinstance(message, tuple) else message)
    with (ROOT / "server.py").open("rb") as fh:
        from babel.messages.extract import extract

        found.update(m[1][0] if isinstance(m[1], tuple) else m[1] for m in extract("python", fh))
    return found


def _catalogue(locale: str) -> dict[str, tuple[str, ...]]:
    with (ROOT / "locales" / locale / "LC_MESSAGES" / "ediary.po").open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    entries: dict[str, tuple[str, ...]] = {}
    for message in catalog:
        if not message.id:
            continue
        key = str(message.id[0] if isinstance(message.id, tuple) else message.id)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        entries[key] = tuple(str(form or "") for form in forms) if not message.fuzzy else ()
    return entries


@pytest.mark.parametrize("locale", core.LOCALES)
def test_every_message_of_the_code_has_its_translation(locale: str) -> None:
    catalogue = _catalogue(locale)
    ids = _ids_in_code()
    assert len(ids) > 50
    missing = sorted(i for i in ids if not catalogue.get(i) or not all(catalogue[i]))
    assert missing == [], f"untranslated in {locale} (make messages, then translate): {missing}"


def test_the_russian_catalogue_is_russian() -> None:
    for msgid, forms in _catalogue("ru").items():
        for form in forms:
            if msgid in SAME_IN_BOTH:
                assert form == msgid
                continue
            assert CYRILLIC.search(form), f"not Russian: {msgid!r} -> {form!r}"
            assert form != msgid, msgid


@pytest.mark.parametrize("locale", core.LOCALES)
def test_translations_keep_the_placeholders(locale: str) -> None:
    """A translation names the same parameters as its id (``str.format`` would fail, or drop one)."""
    for msgid, forms in _catalogue(locale).items():
        for form in forms:
            assert set(PLACEHOLDER.findall(form)) - {"n"} == set(PLACEHOLDER.findall(msgid)) - {"n"}, (msgid, form)


@pytest.mark.parametrize(
    ("n", "russian", "english"),
    [
        (1, "Повторите через 1 секунду.", "Try again in 1 second."),
        (2, "Повторите через 2 секунды.", "Try again in 2 seconds."),
        (5, "Повторите через 5 секунд.", "Try again in 5 seconds."),
        (21, "Повторите через 21 секунду.", "Try again in 21 seconds."),
        (11, "Повторите через 11 секунд.", "Try again in 11 seconds."),
        (111, "Повторите через 111 секунд.", "Try again in 111 seconds."),
        (22, "Повторите через 22 секунды.", "Try again in 22 seconds."),
    ],
)
def test_counts_take_the_plural_forms_of_the_language(n: int, russian: str, english: str) -> None:
    retry = core.ngettext("Try again in {n} second.", "Try again in {n} seconds.", n)
    assert (retry.render("ru"), retry.render("en")) == (russian, english)


async def test_rate_limit_refusal_counts_in_russian(settings: Settings) -> None:
    """The rate limit's refusal over HTTP: the wait in Russian plural form, the code unchanged."""
    mutation = 'mutation { login(input: {login: "nobody", password: "x"}) { __typename } }'
    answers: dict[str, dict[str, Any]] = {}
    for language in ("ru", "en"):
        async with client_for(settings, address=f"10.9.8.{len(answers) + 1}", mutations_per_address=1) as http:
            await http.post("/graphql", json={"query": mutation})
            refused = await http.post("/graphql", json={"query": mutation}, headers={"Accept-Language": language})
            assert refused.status_code == 429
            answers[language] = refused.json()["errors"][0]
    ru, en = answers["ru"], answers["en"]
    wait = en["extensions"]["retryAfterSeconds"]
    assert ru["extensions"]["code"] == en["extensions"]["code"] == "RATE_LIMITED"
    assert en["message"].endswith(f"Try again in {wait} second{'' if wait == 1 else 's'}.")
    # each refusal names its own wait: a second may pass between the two
    ru_wait = ru["extensions"]["retryAfterSeconds"]
    retry = core.ngettext("Try again in {n} second.", "Try again in {n} seconds.", ru_wait).render("ru")
    assert ru["message"].startswith("Слишком много изменений: не больше 1 мутации за 60 с. ")  # noqa: RUF001 - Russian
    assert ru["message"].endswith(retry)
    assert en["message"].startswith("Too many changes: at most 1 mutation per 60 seconds. ")


async def _refusal(http: httpx.AsyncClient, headers: dict[str, str], method: str = "POST") -> tuple[int, str, str]:
    if method == "POST":
        response = await http.post("/graphql", json={"query": VIEWER}, headers=headers)
    else:
        response = await http.request(method, "/graphql", headers=headers)
    error = response.json()["errors"][0]
    return response.status_code, error["message"], error["extensions"]["code"]


@pytest.mark.parametrize(
    ("accept", "locale"),
    [
        ("ru", "ru"),
        ("ru-RU,ru;q=0.9,en-US;q=0.8", "ru"),
        ("en-GB", "en"),
        ("de-DE, en;q=0.4, ru;q=0.7", "ru"),
        ("ru;q=0.2, en", "en"),
        ("fr, de", "en"),  # none of ours: the deployment's default (the suite's: en)
    ],
)
async def test_accept_language_chooses_the_message_never_the_code(
    http: httpx.AsyncClient, accept: str, locale: str
) -> None:
    headers = {"Accept-Language": accept}
    assert await _refusal(http, headers) == (200, LOG_IN_FIRST[locale], "UNAUTHENTICATED")
    # A transport refusal (405) too.
    status, message, code = await _refusal(http, headers, method="PUT")
    assert (status, code) == (405, "BAD_REQUEST")
    assert message == {"ru": "GraphQL принимает только GET и POST.", "en": "GraphQL accepts GET and POST."}[locale]


async def test_transport_refusals_in_russian(http: httpx.AsyncClient) -> None:
    ru, en = {"Accept-Language": "ru"}, {"Accept-Language": "en"}
    form = {"Content-Type": "text/plain"}
    answers = {}
    for name, headers in (("ru", ru), ("en", en)):
        wrong_media = await http.post("/graphql", content=b"{}", headers={**headers, **form})
        not_json = await http.post("/graphql", content=b"{", headers={**headers, "Content-Type": "application/json"})
        answers[name] = [(r.status_code, r.json()["errors"][0]) for r in (wrong_media, not_json)]
    for (status_ru, error_ru), (status_en, error_en) in zip(answers["ru"], answers["en"], strict=True):
        assert status_ru == status_en
        assert error_ru["extensions"]["code"] == error_en["extensions"]["code"]
        assert CYRILLIC.search(error_ru["message"])
        assert not CYRILLIC.search(error_en["message"])
    assert answers["ru"][1][1]["message"] == "Тело запроса — не корректный JSON."


@pytest.mark.parametrize(
    ("document", "english"),
    [("{ viewer { ", "Syntax Error: Expected Name, found <EOF>."), ("{ nosuchfield }", "Cannot query field")],
)
async def test_graphql_refusals_of_a_document_are_headed_in_russian(
    http: httpx.AsyncClient, server_url: str, document: str, english: str
) -> None:
    """graphql-core's refusals (syntax, validation): in Russian a Russian heading before the
    parser's own sentence, in English the parser's sentence alone; the code is the same."""
    answers = {}
    for language in ("en", "ru"):
        response = await http.post("/graphql", json={"query": document}, headers={"Accept-Language": language})
        answers[language] = response.json()["errors"][0]
    assert answers["en"]["message"].startswith(english)
    assert answers["ru"]["message"] == f"Документ GraphQL отклонён: {answers['en']['message']}"
    assert answers["ru"]["extensions"]["code"] == answers["en"]["extensions"]["code"]
    # The same over a socket whose connection_init says `ru` (and again in English: the
    # validation cache keeps graphql-core's errors as they were).
    for locale in ("ru", "en"):
        async with connect(server_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            await ws.send(json.dumps({"type": "connection_init", "payload": {"locale": locale}}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": document}}))
            message = json.loads(await ws.recv())
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert [e["message"] for e in errors] == [answers[locale]["message"]], message


async def test_the_deployments_default_applies_without_accept_language(settings: Settings) -> None:
    async with client_for(settings, default_locale="ru") as http:
        assert await _refusal(http, {}) == (200, LOG_IN_FIRST["ru"], "UNAUTHENTICATED")
        assert await _refusal(http, {"Accept-Language": "en"}) == (200, LOG_IN_FIRST["en"], "UNAUTHENTICATED")
        assert await _refusal(http, {"Accept-Language": "fr"}) == (200, LOG_IN_FIRST["ru"], "UNAUTHENTICATED")


@pytest.mark.parametrize("value", ["de", "russian", "ru,en"])
def test_an_unknown_default_locale_stops_the_start(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError, match="EDIARY_DEFAULT_LOCALE"):
        Settings.from_env({"EDIARY_DEFAULT_LOCALE": value})
    monkeypatch.setenv("EDIARY_DEFAULT_LOCALE", value)
    assert server.main(["serve"]) == 2  # the configuration error, before anything is served


def test_a_known_default_locale_is_taken() -> None:
    assert Settings.from_env({"EDIARY_DEFAULT_LOCALE": "ru"}).default_locale == "ru"
    assert Settings.from_env({}).default_locale == "en"


async def _socket_answer(url: str, protocol: str, payload: dict[str, Any] | None, headers: dict[str, str]) -> Any:
    """The error an anonymous socket gets for a subscription that needs a login."""
    async with connect(url, subprotocols=[protocol], additional_headers=headers) as ws:  # type: ignore[list-item]
        init: dict[str, Any] = {"type": "connection_init", **({"payload": payload} if payload is not None else {})}
        await ws.send(json.dumps(init))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        start = "subscribe" if protocol == "graphql-transport-ws" else "start"
        await ws.send(json.dumps({"id": "1", "type": start, "payload": {"query": DIARY_EVENTS}}))
        while True:
            message = json.loads(await ws.recv())
            if message["type"] not in ("ka", "ping", "pong"):
                break
    payload_out = message["payload"]
    errors = payload_out if isinstance(payload_out, list) else payload_out.get("errors") or [payload_out]
    return errors[0]["message"], errors[0]["extensions"]["code"]


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_a_socket_speaks_the_language_of_its_connection_init(server_url: str, protocol: str) -> None:
    for locale in ("ru", "en"):
        answer = await _socket_answer(server_url, protocol, {"locale": locale}, {})
        assert answer == (LOG_IN_FIRST[locale], "UNAUTHENTICATED")
    # `ru-RU` is Russian; connection_init's locale wins over the upgrade request's header,
    # which (a browser sends it) applies when the payload names none.
    assert await _socket_answer(server_url, protocol, {"locale": "ru-RU"}, {"Accept-Language": "en"}) == (
        LOG_IN_FIRST["ru"],
        "UNAUTHENTICATED",
    )
    assert await _socket_answer(server_url, protocol, None, {"Accept-Language": "ru"}) == (
        LOG_IN_FIRST["ru"],
        "UNAUTHENTICATED",
    )
    assert await _socket_answer(server_url, protocol, {"locale": "xx"}, {}) == (LOG_IN_FIRST["en"], "UNAUTHENTICATED")


# --- mutation result errors ------------------------------------------------------------

GRADE_CREATE = """
mutation G($input: GradeCreateInput!) { gradeCreate(input: $input) {
  __typename ... on ValidationError { fields { field code message } } ... on Error { code message } } }
"""
WRONG_PASSWORD = {"ru": "Неверный логин или пароль.", "en": "Wrong login or password."}


async def _answer(
    http: httpx.AsyncClient, language: str, query: str, token: str | None = None, **variables: Any
) -> Any:
    headers = {"Accept-Language": language, **({"Authorization": f"Bearer {token}"} if token else {})}
    response = await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return next(iter(body["data"].values()))


async def _grading(factory: Factory) -> tuple[Client, models.Student, models.Lesson, models.Student]:
    """A teacher of 5A's mathematics, a pupil of 5A, a past lesson, and a pupil of 5B."""
    kit = await factory.school(subjects=("Mathematics",), classes=("5A", "5B"))
    teacher = await factory.teacher(kit, [("5A", "Mathematics")])
    pupil = await factory.student(kit, "5A", "anna", guardians=[await factory.parent()])
    other = await factory.student(kit, "5B", "vera", guardians=[await factory.parent("other")])
    (day,) = school_days_before(today_utc(), 1)
    lesson = await factory.lesson(kit, "5A", "Mathematics", teacher, day)
    return factory.client(teacher), pupil, lesson, other


async def test_a_validation_error_and_its_fields_are_in_the_readers_language(
    http: httpx.AsyncClient, factory: Factory
) -> None:
    """Every field's message too, with Russian plural forms; codes and field paths never change."""
    teacher, pupil, lesson, _other = await _grading(factory)
    refused = {
        language: await _answer(
            http,
            language,
            GRADE_CREATE,
            teacher.token,
            input={
                "studentId": gid(pupil, "Student"),
                "lessonId": gid(lesson, "Lesson"),
                "value": "9",
                "comment": "x" * (grades.MAX_COMMENT + 1),
            },
        )
        for language in ("ru", "en")
    }
    assert refused["en"]["__typename"] == refused["ru"]["__typename"] == "ValidationError"
    assert refused["ru"]["code"] == refused["en"]["code"]
    assert [(f["field"], f["code"]) for f in refused["ru"]["fields"]] == [
        (f["field"], f["code"]) for f in refused["en"]["fields"]
    ]
    messages = {language: {f["code"]: f["message"] for f in refused[language]["fields"]} for language in refused}
    assert messages["en"] == {
        "INVALID_VALUE": "A grade is a whole number from 1 to 5.",
        "COMMENT_TOO_LONG": f"A comment has at most {grades.MAX_COMMENT} characters.",
    }
    assert messages["ru"] == {
        "INVALID_VALUE": "Оценка — целое число от 1 до 5.",
        "COMMENT_TOO_LONG": f"Комментарий — не более {grades.MAX_COMMENT} символов.",
    }
    first = refused["en"]["fields"][0]["code"]
    assert (refused["ru"]["message"], refused["en"]["message"]) == (messages["ru"][first], messages["en"][first])
    assert not await models.Grade.filter(student_id=pupil.id).exists()


async def test_not_found_is_in_the_readers_language(http: httpx.AsyncClient, factory: Factory) -> None:
    teacher, _pupil, lesson, other = await _grading(factory)
    answers = {
        language: await _answer(
            http,
            language,
            GRADE_CREATE,
            teacher.token,
            input={"studentId": gid(other, "Student"), "lessonId": gid(lesson, "Lesson"), "value": "5"},
        )
        for language in ("ru", "en")
    }
    assert answers["ru"] == {"__typename": "NotFoundError", "code": "STUDENT_NOT_FOUND", "message": "Ученик не найден."}
    assert answers["en"] == {"__typename": "NotFoundError", "code": "STUDENT_NOT_FOUND", "message": "No such student."}


async def test_a_failed_login_is_in_the_readers_language(http: httpx.AsyncClient, factory: Factory) -> None:
    user = await factory.user("olga", password="a-long-enough-password")
    for language in ("ru", "en"):
        answer = await _answer(http, language, LOGIN, login=user.login, password="not-the-password")
        assert answer == {
            "__typename": "InvalidCredentialsError",
            "code": "INVALID_CREDENTIALS",
            "message": WRONG_PASSWORD[language],
        }


async def test_a_sockets_mutations_answer_in_the_language_of_its_connection_init(
    server_url: str, factory: Factory
) -> None:
    user = await factory.user("pavel", password="a-long-enough-password")
    for locale in ("ru", "en"):
        async with connect(server_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            await ws.send(json.dumps({"type": "connection_init", "payload": {"locale": locale}}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            variables = {"login": user.login, "password": "not-the-password"}
            await ws.send(
                json.dumps({"id": "1", "type": "subscribe", "payload": {"query": LOGIN, "variables": variables}})
            )
            message = json.loads(await ws.recv())
        assert message["type"] == "next", message
        assert message["payload"]["data"]["login"] == {
            "__typename": "InvalidCredentialsError",
            "code": "INVALID_CREDENTIALS",
            "message": WRONG_PASSWORD[locale],
        }


async def test_our_scalars_refuse_in_the_readers_language(http: httpx.AsyncClient) -> None:
    """A Date that is no day: the refusal's own words in the reader's language, the code the same."""
    document = "query D($id: ID!, $d: Date!) { student(id: $id) { diary(from: $d, to: $d) { date } } }"
    errors = {}
    for language in ("ru", "en"):
        response = await http.post(
            "/graphql",
            json={"query": document, "variables": {"id": "U3R1ZGVudDox", "d": "2026-02-30"}},
            headers={"Accept-Language": language},
        )
        errors[language] = response.json()["errors"][0]
    assert errors["ru"]["extensions"]["code"] == errors["en"]["extensions"]["code"]
    assert 'Value cannot represent a Date: "2026-02-30". No such day.' in errors["en"]["message"]
    assert "Значение не подходит для типа Date: «2026-02-30». Такого дня нет." in errors["ru"]["message"]


async def test_a_session_ending_closes_a_socket_with_a_reason_in_its_language(
    server_url: str, factory: Factory
) -> None:
    reasons = {"ru": "Сеанс завершён: войдите снова.", "en": "Session ended: log in again."}
    for locale in ("ru", "en"):
        user = await factory.user(f"irina-{locale}")
        pair = await sessions.start_session(factory.settings, user)
        async with connect(server_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            init = {"Authorization": f"Bearer {pair.access_token}", "locale": locale}
            await ws.send(json.dumps({"type": "connection_init", "payload": init}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            logout = "mutation L($t: String!) { logout(input: {refreshToken: $t}) { __typename } }"
            await Client(factory.http, pair.access_token).data(logout, t=pair.refresh_token)
            with pytest.raises(ConnectionClosed) as closed:
                await _until_closed(ws)
        assert closed.value.rcvd is not None
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4401, reasons[locale])


async def _until_closed(ws: Any) -> None:
    """Reads (keep-alives) until the server closes the socket: ``ConnectionClosed``."""
    while True:
        await asyncio.wait_for(ws.recv(), 5)


@pytest.mark.parametrize("locale", core.LOCALES)
def test_close_reasons_fit_a_close_frame(locale: str) -> None:
    """A close frame's reason is at most 123 bytes of UTF-8 (RFC 6455); Cyrillic takes two a letter."""
    for reason in (SESSION_ENDED_REASON, TOKEN_EXPIRED_REASON, DATABASE_UNAVAILABLE_REASON, SLOW_CONSUMER_REASON):
        assert len(reason.render(locale).encode()) <= 123, reason


# --- nothing hard-coded -----------------------------------------------------------------

# Every module of the code writes its messages for people from the catalogues; these are the
# calls whose argument is such a message: (callable name, index of the positional argument, keyword).
CONVERTED = sorted(
    str(path.relative_to(ROOT))
    for path in [
        ROOT / "server.py",
        *(p for d in ("resolvers", "edge", "demo", "schema") for p in (ROOT / d).rglob("*.py")),
    ]
)
SINKS = {
    "_problem": (1, "message"),
    "RequestRefused": (1, "message"),
    "_RequestError": (1, "message"),
    "PlainTextResponse": (0, "content"),
    "Unauthenticated": (0, "message"),
    "Forbidden": (0, "message"),
    "BadUserInput": (0, "message"),
    "GraphQLError": (0, "message"),
    "DeliveryError": (0, None),
    "Message": (0, "subject"),
    "HasRole": (None, "refusal"),
    "LacksRole": (None, "refusal"),
    "IsAdmin": (0, "refusal"),
    "too_complex": (3, "explanation"),
    "PayloadRefused": (0, "message"),
    "MaskErrors": (None, "error_message"),
    # result-union errors (resolvers/errors.py) and their problems
    "DomainError": (0, "message"),
    "NotFound": (0, "message"),
    "InvalidCredentials": (0, "message"),
    "RateLimited": (0, "message"),
    "ValidationFailed": (0, "message"),
    "FileRefused": (0, "message"),
    "FieldProblem": (1, "message"),
    "RowProblem": (3, "message"),
    "bad": (3, "message"),  # a roster row's problem (resolvers/roster_import.py)
    "stated_reason": (1, "ask"),
    "check_reason": (2, "what"),
    "attempt": (3, "what"),  # "Too many {what}" (edge/intake.py)
    # persisted-query refusals, our scalars' refusals, a socket's close reason
    "PersistedQueryError": (1, "message"),
    "_refuse": (2, "why"),
    "SocketRefused": (1, "reason"),
    "close": (2, "reason"),
    "close_soon": (2, "reason"),
}

# Words for programs that stay as they are: Apollo's persisted-query link reads the first, the
# others are graphql-transport-ws's own close reasons and the documented reason of 4429.
FOR_PROGRAMS_TOO = frozenset(
    {
        "PersistedQueryNotFound",
        "Invalid connection init payload",
        "Too many initialisation requests",
        "Forbidden",
        "Bad connection_init payload",
    }
)

# Answers read by programs, not people (`GET /healthz`), and the words above.
FOR_PROGRAMS = frozenset({"ok", "Too many connections"}) | FOR_PROGRAMS_TOO


def _name(node: ast.expr) -> str | None:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None


def _is_code(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "ErrorCode"


def _hard_coded(node: ast.expr) -> bool:
    """Text for people written in place: a string with a letter, an f-string, or an
    expression holding one (``"a" if x else "b"``); ``_()``/``ngettext()`` calls are not."""
    if isinstance(node, ast.Call) and _name(node.func) in ("_", "ngettext"):
        return False
    if isinstance(node, ast.Call) and _name(node.func) == "str" and node.args:
        return _hard_coded(node.args[0])
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value not in FOR_PROGRAMS and bool(re.search(r"[^\W\d_]", node.value))
    if isinstance(node, ast.JoinedStr):
        return True
    return any(_hard_coded(child) for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr))


def hard_coded_messages(source: str) -> list[int]:
    """The lines of ``source`` where a message for people is written outside the catalogues."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or _name(node.func) not in SINKS:
            continue
        position, keyword = SINKS[_name(node.func) or ""]
        arguments = [k.value for k in node.keywords if k.arg == keyword]
        if position is not None and len(node.args) > position:
            arguments.append(node.args[position])
        if any(_hard_coded(a) for a in arguments):
            lines.append(node.lineno)
    for node in ast.walk(ast.parse(source)):  # a problem written inline: (field, ErrorCode.X, message)
        if not isinstance(node, ast.Tuple) or len(node.elts) not in (2, 3):
            continue
        if _is_code(node.elts[-2]) and _hard_coded(node.elts[-1]):
            lines.append(node.lineno)
    for node in ast.walk(ast.parse(source)):  # a socket's refusal: {"message": ...}
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "message" and _hard_coded(value):
                    lines.append(node.lineno)
    return sorted(lines)


@pytest.mark.parametrize("path", CONVERTED)
def test_converted_modules_write_no_message_outside_the_catalogues(path: str) -> None:
    assert hard_coded_messages((ROOT / path).read_text()) == [], path


def test_the_check_sees_a_hard_coded_message() -> None:
    """The check above fails on each way a message may be written in place."""
    for source in (
        'raise Forbidden("Only teachers can write grades.")',
        'return _problem(405, f"GraphQL accepts {methods}.")',
        'X = HasRole(TEACHER, refusal="Only teachers.")',
        'raise RequestRefused(400, "Bad." if syntax else _("Worse."))',
        'payload = {"message": "Your session has ended.", "extensions": {}}',
        'return Message(f"New grade{about}", text)',
        'raise NotFound("No such student.", ErrorCode.STUDENT_NOT_FOUND)',
        'problems.append(FieldProblem("value", f"A grade is {scale}.", ErrorCode.INVALID_VALUE))',
        'problems.append(("reason", ErrorCode.REASON_EMPTY, "Say why."))',
        'clean(title, "title", problems, empty=(ErrorCode.TITLE_EMPTY, "Give it a title."))',
        'bad(row, "login", ErrorCode.LOGIN_REQUIRED, "Give a login.")',
        'raise PersistedQueryError(ErrorCode.BAD_REQUEST, "`query` must be a string.")',
        'raise _refuse(value, "Date", "Use YYYY-MM-DD.")',
        'await self.close(binding, SESSION_ENDED, "Session ended: log in again.")',
    ):
        assert hard_coded_messages(source) == [1], source
    for source in (
        'raise Forbidden(_("Only teachers can write grades."))',
        'return _problem(405, _("GraphQL accepts {methods}.", methods=m), headers={"Allow": "GET"})',
        'payload = {"message": str(_("Your session has ended.")), "extensions": {}}',
        'return Message(str(_("New grade")), homework.text)',
        'raise NotFound(_("No such student."), ErrorCode.STUDENT_NOT_FOUND)',
        'problems.append(("reason", ErrorCode.REASON_TOO_LONG, ngettext("{n} character.", "{n} characters.", n)))',
        'raise PersistedQueryError(ErrorCode.PERSISTED_QUERY_NOT_FOUND, "PersistedQueryNotFound")',
        'await self.websocket.close(code=4429, reason="Too many initialisation requests")',
    ):
        assert hard_coded_messages(source) == [], source
