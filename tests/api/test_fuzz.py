"""Fuzzing (issue 17, item 2): documents generated from the live schema (hypothesis-graphql over
the graphql-core schema that ``schema.build_schema()`` builds, so a new field is fuzzed the day it
is added), sent over HTTP as every role the factories make (district admin, school admin,
teacher, parent, student) and anonymously: queries and mutations, valid (``Mode.POSITIVE``) and
with one schema violation (``Mode.NEGATIVE``), their arguments inline or as variables.

Every answer must hold (``_check``): no HTTP 5xx, no ``INTERNAL_SERVER_ERROR`` and nothing logged
as unexpected (``ediary.errors``), no response over ``MAX_RESPONSE_BYTES``, and nothing
half-written: a query, or a mutation whose every root field was refused (an ``Error`` member, a
null, no data at all), leaves the database as it was, compared as the row count of every table
(the audit log among them: every write that matters is audited) in one statement before and
after. A document of several mutation fields that answers ``data: null`` may have written with an
earlier field (the contract runs them in order, each in its own transaction); it is counted in
``FIGURES["several fields, data null"]`` and, when it wrote, ``["... and wrote"]``, not failed.

``make test`` runs ``FUZZ_EXAMPLES`` (default 300) examples derandomized (the same ones each
time); ``make fuzz`` runs 10,000 with a random seed and prints the figures."""

from __future__ import annotations

import json
import logging
import os
import string
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import graphql
import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, queries
from hypothesis_graphql._strategies.negative_sites import enumerate_violation_sites
from tortoise import Tortoise

import models
from edge.settings import Settings
from resolvers import sessions
from resolvers.core import to_global_id, today_utc
from schema import build_schema
from tests.conftest import client_for
from tests.factories import Factory, school_days_before
from tests.helpers import open_socket

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))
LONG_RUN = EXAMPLES > 1000  # `make fuzz`: a random seed, and the figures printed
MAX_RESPONSE_BYTES = 512 * 1024  # the fuzz world is a handful of rows: anything larger escaped the limits

SCHEMA = build_schema()._schema
ROLES = ("anonymous", "district admin", "school admin", "teacher", "parent", "student")
# A refusal may record itself: a wrong password counts towards the lock-out.
WRITTEN_BY_REFUSALS = frozenset({models.LoginAttempt._meta.db_table})

# The world ---------------------------------------------------------------------------------


@dataclass
class World:
    users: dict[str, models.User | None]
    ids: list[str]  # global ids of the world's objects (and of none), for ID arguments
    factory: Factory


_IDS: list[str] = ["x"]  # filled by the `world` fixture; strategies read it lazily


@pytest.fixture(scope="module")
async def fuzzed(settings: Settings, database: None) -> AsyncIterator[httpx.AsyncClient]:
    """An app of its own, so the fuzz's rate-limit counters are its own. The long run prints its
    figures and every distinct failure at the end, and fails then if there was one."""
    async with client_for(settings, rate_limit_namespace=f"fuzz{os.getpid()}") as client:
        yield client
    if LONG_RUN:
        print(f"\nfuzz: {dict(FIGURES)} in {time.monotonic() - _STARTED:.0f} s")  # noqa: T201
        print(ANSWERS.most_common(40))  # noqa: T201
        for failure, example in FAILURES.items():
            print(f"\nFAILURE {failure}\n{example}")  # noqa: T201
        if FAILURES:
            pytest.fail(f"{len(FAILURES)} distinct failures in {FIGURES['examples']} examples")


@pytest.fixture(scope="module")
async def world(fuzzed: httpx.AsyncClient, settings: Settings) -> World:
    factory = Factory(fuzzed, settings)
    district_admin = await factory.district_admin()
    kit = await factory.school(classes=("5A", "6B"))
    teacher = await factory.teacher(kit, [("5A", "Mathematics"), ("6B", "Russian language")])
    parent = await factory.parent()
    child = await factory.student(kit, "5A", "child", guardians=[parent])
    lessons = await factory.lessons(kit, "5A", "Mathematics", teacher, school_days_before(today_utc(), 3))
    grade = await factory.grade(child, lessons[-1], "5")
    homework = await factory.homework(lessons[-1])
    chat = await factory.chat(kit, teacher, [parent])
    assert kit.admin is not None
    assert child.user is not None
    objects: list[tuple[str, int]] = [
        ("User", u.id) for u in (district_admin, kit.admin, teacher, parent, child.user)
    ] + [
        ("School", kit.school.id),
        ("SchoolClass", kit.classes["5A"].id),
        ("Subject", kit.subjects["Mathematics"].id),
        ("Student", child.id),
        ("Lesson", lessons[0].id),
        ("Lesson", lessons[-1].id),
        ("Grade", grade.id),
        ("Homework", homework.id),
        ("Term", kit.term.id),
        ("Chat", chat.id),
        ("Student", 2**31 - 1),
        ("Grade", 2**40),
    ]
    _IDS[:] = [to_global_id(name, pk) for name, pk in objects]
    users = {
        "anonymous": None,
        "district admin": district_admin,
        "school admin": kit.admin,
        "teacher": teacher,
        "parent": parent,
        "student": child.user,
    }
    return World(users, list(_IDS), factory)


# Strategies --------------------------------------------------------------------------------


def _string(value: str) -> graphql.StringValueNode:
    return graphql.StringValueNode(value=value)


def _dates() -> st.SearchStrategy[date]:
    today = today_utc()
    return st.dates(today - timedelta(days=400), today + timedelta(days=400)) | st.dates()


def _datetimes() -> st.SearchStrategy[str]:
    near = st.datetimes(datetime(2020, 1, 1), datetime(2035, 1, 1))  # naive: the zone is added below
    aware = st.builds(lambda d, tz: d.replace(tzinfo=tz).isoformat(), near | st.datetimes(), st.just(UTC))
    return aware | near.map(datetime.isoformat)  # the second: no offset


_JUNK = st.text(max_size=12) | st.sampled_from(["", "0", "-1", "2026-02-30", "24:00", "9999-12-31T23:59:59+14:00"])
SCALARS: dict[str, st.SearchStrategy[graphql.ValueNode]] = {
    "Date": (_dates().map(date.isoformat) | _JUNK).map(_string),
    "DateTime": (_datetimes() | _JUNK).map(_string),
    "Time": (st.times().map(lambda t: t.isoformat(timespec="minutes")) | _JUNK).map(_string),
    "JSON": st.one_of(
        st.text(max_size=8).map(_string),
        st.integers(-(2**31), 2**31 - 1).map(lambda i: graphql.IntValueNode(value=str(i))),
        st.just(graphql.ObjectValueNode(fields=())),
    ),
    "ID": st.one_of(
        st.integers(0, 10**6).map(lambda i: _IDS[i % len(_IDS)]),
        st.builds(
            to_global_id,
            st.sampled_from(["User", "Student", "Grade", "Lesson", "Chat", "Nope"]),
            st.integers(1, 2**62),
        ),
        st.text(string.ascii_letters + string.digits + "=-_", max_size=16),
    ).map(_string),
}


assert SCHEMA.query_type is not None
assert SCHEMA.mutation_type is not None
ROOTS = {"query": SCHEMA.query_type, "mutation": SCHEMA.mutation_type}
# The root fields a negative document can be made of: those with something to violate (an
# argument); hypothesis-graphql refuses to build one from fields without (say, `viewer`).
VIOLABLE = {
    kind: sorted({site.path[0].field_name for site in enumerate_violation_sites(SCHEMA, root)})
    for kind, root in ROOTS.items()
}


def _documents(kind: str, mode: Mode, fields: tuple[str, ...]) -> st.SearchStrategy[graphql.DocumentNode]:
    make = queries if kind == "query" else mutations
    return make(SCHEMA, fields=fields, custom_scalars=SCALARS, mode=mode, print_ast=lambda document: document)


@dataclass
class Case:
    role: str
    kind: str
    mode: Mode
    document: graphql.DocumentNode
    as_variables: bool
    query: str = ""
    variables: dict[str, Any] = field(default_factory=dict)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    kind = draw(st.sampled_from(["query", "mutation"]))
    mode = draw(st.sampled_from([Mode.POSITIVE, Mode.NEGATIVE]))
    names = sorted(ROOTS[kind].fields) if mode is Mode.POSITIVE else VIOLABLE[kind]
    names = draw(st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True))
    if mode is Mode.NEGATIVE and not set(names) & set(VIOLABLE[kind]):
        names = [*names, draw(st.sampled_from(VIOLABLE[kind]))]
    document = draw(_documents(kind, mode, tuple(sorted(names))))
    case = Case(draw(st.sampled_from(ROLES)), kind, mode, document, draw(st.booleans()))
    case.query, case.variables = _lift(document, kind, case.as_variables)
    return case


def _lift(document: graphql.DocumentNode, kind: str, as_variables: bool) -> tuple[str, dict[str, Any]]:
    """The document with ``__typename`` asked of every root field (to tell a refusal from a
    success), and with its root fields' arguments as variables when ``as_variables``."""
    operation = document.definitions[0]
    assert isinstance(operation, graphql.OperationDefinitionNode)
    root = ROOTS[kind]
    definitions: list[graphql.VariableDefinitionNode] = []
    variables: dict[str, Any] = {}
    selections: list[graphql.SelectionNode] = []
    for selection in operation.selection_set.selections:
        assert isinstance(selection, graphql.FieldNode)
        schema_field = root.fields.get(selection.name.value)
        arguments = list(selection.arguments or ())
        if as_variables and schema_field is not None:
            lifted = []
            for argument in arguments:
                schema_argument = schema_field.args.get(argument.name.value)
                if schema_argument is None:
                    lifted.append(argument)
                    continue
                name = f"v{len(definitions)}"
                definitions.append(
                    graphql.VariableDefinitionNode(
                        variable=graphql.VariableNode(name=graphql.NameNode(value=name)),
                        type=graphql.parse_type(str(schema_argument.type)),
                    )
                )
                variables[name] = graphql.value_from_ast_untyped(argument.value)
                lifted.append(
                    graphql.ArgumentNode(
                        name=argument.name, value=graphql.VariableNode(name=graphql.NameNode(value=name))
                    )
                )
            arguments = lifted
        selection_set = selection.selection_set
        if selection_set is not None:
            typename = graphql.FieldNode(name=graphql.NameNode(value="__typename"))
            selection_set = graphql.SelectionSetNode(selections=(typename, *selection_set.selections))
        selections.append(
            graphql.FieldNode(
                alias=selection.alias,
                name=selection.name,
                arguments=tuple(arguments),
                directives=selection.directives,
                selection_set=selection_set,
            )
        )
    lifted_operation = graphql.OperationDefinitionNode(
        operation=operation.operation,
        name=operation.name,
        variable_definitions=tuple(definitions),
        directives=operation.directives,
        selection_set=graphql.SelectionSetNode(selections=tuple(selections)),
    )
    return graphql.print_ast(graphql.DocumentNode(definitions=(lifted_operation,))), variables


# Checks ------------------------------------------------------------------------------------


class Unexpected(logging.Handler):
    """What ``ediary.errors`` logs while a request runs: the unexpected exceptions."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        error = record.exc_info[1] if record.exc_info else None
        self.records.append(f"{record.getMessage()}: {type(error).__name__}: {error}")


async def fingerprint() -> dict[str, int]:
    """The row count of every table, in one statement."""
    tables = sorted({m._meta.db_table for app in Tortoise.apps.values() for m in app.values()})
    connection = Tortoise.get_connection("default")
    sql = "SELECT " + ", ".join(f'(SELECT count(*) FROM "{t}") AS "{t}"' for t in tables)
    rows = await connection.execute_query_dict(sql)
    return {t: int(rows[0][t]) for t in tables}


def _refused(body: dict[str, Any]) -> bool:
    """Every root field refused: no data, or each field null or an ``Error`` member."""
    data = body.get("data")
    if not data:
        return True
    for value in data.values():
        if value is None:
            continue
        if not isinstance(value, dict) or "__typename" not in value:
            return False
        answered = SCHEMA.get_type(value["__typename"])
        if not isinstance(answered, graphql.GraphQLObjectType) or "Error" not in {i.name for i in answered.interfaces}:
            return False
    return True


FIGURES: Counter[str] = Counter()
ANSWERS: Counter[str] = Counter()  # each error's code and message start: what the fuzz reached
FAILURES: dict[str, str] = {}  # the long run's distinct failures (first line) and the first example of each


def _check(
    case: Case, response: httpx.Response, unexpected: list[str], before: dict[str, int], after: dict[str, int]
) -> list[str]:
    failures: list[str] = []
    if response.status_code >= 500:
        failures.append(f"HTTP {response.status_code}: {response.text[:2000]}")
    if len(response.content) > MAX_RESPONSE_BYTES:
        failures.append(f"a response of {len(response.content)} bytes")
    try:
        body = response.json()
    except ValueError:
        return [*failures, f"not JSON: {response.text[:500]}"]
    return failures + _check_body(case, body, unexpected, before, after)


def _check_body(
    case: Case, body: dict[str, Any], unexpected: list[str], before: dict[str, int], after: dict[str, int]
) -> list[str]:
    failures: list[str] = []
    for error in body.get("errors") or []:
        if (error.get("extensions") or {}).get("code") == "INTERNAL_SERVER_ERROR":
            failures.append(f"INTERNAL_SERVER_ERROR: {error.get('message')} at {error.get('path')}")
    failures.extend(f"logged as unexpected: {record}" for record in unexpected)
    several_then_null = case.kind == "mutation" and _roots(case) > 1 and "data" in body and not body["data"]
    FIGURES["several fields, data null"] += several_then_null
    changed = {t: (before[t], after[t]) for t in before if before[t] != after[t] and t not in WRITTEN_BY_REFUSALS}
    if changed and (case.kind == "query" or _refused(body)):
        if several_then_null:  # the contract question: an earlier field may have written
            FIGURES["several fields, data null, and wrote"] += 1
        else:
            failures.append(f"refused, yet rows changed: {changed}; answer {str(body)[:1000]}")
    return failures


def _roots(case: Case) -> int:
    operation = case.document.definitions[0]
    assert isinstance(operation, graphql.OperationDefinitionNode)
    return len(operation.selection_set.selections)


def _token(world: World, settings: Settings, role: str) -> Callable[[], Any]:
    async def token() -> str | None:
        user = world.users[role]
        if user is None:
            return None
        # An earlier example may have deactivated the account (the admins' ids are in _IDS).
        await models.User.filter(id=user.id).update(is_active=True, deactivated_at=None)
        session = await world.factory.session(user)
        return sessions.issue_access_token(settings, user.id, session)

    return token


# The test ----------------------------------------------------------------------------------

_STARTED = time.monotonic()


def _fuzzing(examples: int) -> hypothesis_settings:
    """Hypothesis's settings for a fuzz test of ``examples``: derandomized (a fixed seed) in the
    bounded run, random in ``make fuzz``; no deadline, no example database."""
    return hypothesis_settings(
        max_examples=examples,
        derandomize=not LONG_RUN,
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


@_fuzzing(EXAMPLES)
@given(case=cases())
async def test_no_input_fails_the_server_or_writes_when_refused(
    fuzzed: httpx.AsyncClient, world: World, settings: Settings, case: Case
) -> None:
    token = await _token(world, settings, case.role)()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    handler = Unexpected()
    logger = logging.getLogger("ediary.errors")
    logger.addHandler(handler)
    before = await fingerprint()
    try:
        response = await fuzzed.post(
            "/graphql", json={"query": case.query, "variables": case.variables}, headers=headers
        )
    finally:
        logger.removeHandler(handler)
    after = await fingerprint()
    FIGURES["examples"] += 1
    FIGURES["executed" if "data" in response.json() else "refused before executing"] += 1
    for error in response.json().get("errors") or []:
        ANSWERS[f"{error.get('extensions', {}).get('code')}: {error['message'][:60]}"] += 1
    FIGURES[f"{case.kind}, {case.mode.name.lower()}"] += 1
    failures = _check(case, response, handler.records, before, after)
    if LONG_RUN and FIGURES["examples"] % 1000 == 0:
        print(f"fuzz: {dict(FIGURES)} in {time.monotonic() - _STARTED:.0f} s")  # noqa: T201
    report = f"as {case.role}: {case.query}\nvariables: {case.variables}\n" + "\n".join(failures)
    if LONG_RUN:  # go on: the run reports every distinct failure at its end
        FIGURES["failures"] += bool(failures)
        for failure in failures:
            FAILURES.setdefault(failure.split("\n")[0][:300], report)
        return
    assert not failures, report


WS_EXAMPLES = max(30, EXAMPLES // 100)


@_fuzzing(WS_EXAMPLES)
@given(case=cases())
async def test_a_sample_over_websocket_neither_fails_nor_drops_the_socket(
    server_url: str, world: World, settings: Settings, case: Case
) -> None:
    """The same documents over graphql-transport-ws (fewer: a socket each): an answer
    (``next`` then ``complete``, or ``error``) on a socket that stays open, checked as over HTTP."""
    token = await _token(world, settings, case.role)()
    handler = Unexpected()
    logger = logging.getLogger("ediary.errors")
    logger.addHandler(handler)
    before = await fingerprint()
    socket = await open_socket(server_url, token)
    try:
        await socket.ws.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": case.query, "variables": case.variables}})
        )
        messages = [await socket.next(timeout=30)]
        while messages[-1]["type"] == "next":
            messages.append(await socket.next(timeout=30))
        await socket.start("{ __typename }", op_id="2")  # the socket is still there
        assert (await socket.next(timeout=30))["type"] == "next"
    finally:
        logger.removeHandler(handler)
        await socket.ws.close()
    after = await fingerprint()
    assert messages[-1]["type"] in ("complete", "error"), messages
    if messages[-1]["type"] == "error":
        body: dict[str, Any] = {"errors": messages[-1]["payload"]}
    else:
        body = messages[0]["payload"]
    FIGURES["over WebSocket"] += 1
    failures = _check_body(case, body, handler.records, before, after)
    assert not failures, f"over WebSocket as {case.role}: {case.query}\nvariables: {case.variables}\n" + "\n".join(
        failures
    )
