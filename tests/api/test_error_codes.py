"""One catalogue of error codes (``resolvers.codes.ErrorCode``): raised only as members, shown
in the schema as ``enum ErrorCode`` with each meaning, listed in ``docs/errors.md``, and the
only codes named in the schema's descriptions. (That every ``extensions.code`` the suite sees
is a member is checked on every test: ``tests/codes_seen.py``.)"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
from graphql import GraphQLEnumType, GraphQLSchema, is_enum_type

from resolvers.codes import ErrorCode, catalogue_markdown
from schema import build_schema

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    ROOT / "server.py",
    *(p for d in ("resolvers", "edge", "demo", "schema") for p in sorted((ROOT / d).rglob("*.py"))),
]
SCREAMING = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{4,}")

# Where a code is passed (the classes and helpers of resolvers/errors.py and the process edge).
CODE_TAKERS = {
    "BadUserInput",
    "CodedError",
    "DomainError",
    "FieldProblem",
    "FileRefused",
    "Forbidden",
    "GraphQLError",
    "InvalidCredentials",
    "NotFound",
    "PersistedQueryError",
    "RateLimited",
    "RequestRefused",
    "RowProblem",
    "Unauthenticated",
    "ValidationFailed",
    "error_extensions",
    "_problem",
}

# Literals equal to a code's name that are not codes: enum values and `extensions.reason`s.
NOT_CODES = {
    ("resolvers/sessions.py", "ACCOUNT_DEACTIVATED"),  # extensions.reason of an ended session
    ("schema/gates.py", "ACCOUNT_DEACTIVATED"),  # extensions.reason
    ("schema/chat_events.py", "MESSAGE_DELETED"),  # ChatEventKind value
    ("schema/enums.py", "CANCELLED"),  # LessonStatus value
    ("schema/notifications.py", "SUBMISSION_RETURNED"),  # NotificationKind value (a returned hand-in)
}


def _screaming(node: ast.AST | None) -> bool:
    return (
        isinstance(node, ast.Constant) and isinstance(node.value, str) and SCREAMING.fullmatch(node.value) is not None
    )


def _prose(node: ast.AST) -> bool:
    """A message: a string (or f-string) with a space in it."""
    if isinstance(node, ast.JoinedStr):
        return True
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and " " in node.value


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def literal_codes(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """SCREAMING_SNAKE string literals used as codes: passed as ``code=`` or to an error class,
    the ``code`` of an ``extensions`` dict, assigned to ``code``, or written in a problem tuple
    (``(field, CODE, message)``, ``(CODE, message)``)."""
    for node in ast.walk(tree):
        found: list[ast.AST] = []
        if isinstance(node, ast.Call):
            found += [k.value for k in node.keywords if k.arg == "code"]
            if _callee(node) in CODE_TAKERS:
                found += node.args
            # A helper's (code, message) pair of arguments: bad(row, "login", CODE, message).
            found += [a for a, b in zip(node.args, node.args[1:], strict=False) if _prose(b)]
        elif isinstance(node, ast.Dict):
            found += [
                v
                for k, v in zip(node.keys, node.values, strict=True)
                if isinstance(k, ast.Constant) and k.value == "code"
            ]
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id.lower() == "code" for t in targets):
                found.append(node.value) if node.value is not None else None
        elif isinstance(node, ast.Tuple) and len(node.elts) in (2, 3) and _prose(node.elts[-1]):
            found.append(node.elts[-2])
        for value in found:
            candidates = [value.body, value.orelse] if isinstance(value, ast.IfExp) else [value]
            for candidate in candidates:
                if _screaming(candidate):
                    assert isinstance(candidate, ast.Constant)
                    yield candidate.lineno, str(candidate.value)


def test_literal_codes_finds_a_literal_code() -> None:
    """The walk below would see a code written as a literal, in each way one is passed."""
    for source in (
        'raise NotFound("No such student.", "STUDENT_NOT_FOUND")',
        'problems.append(("studentId", "NOT_ASSIGNED", "You do not teach it."))',
        'clean(text, "text", problems, empty=("TEXT_EMPTY", "Write something."))',
        'raise RequestRefused(413, "Too large.", code="PAYLOAD_TOO_LARGE")',
        'error = {"message": "No.", "extensions": {"code": "FORBIDDEN"}}',
        'code = "PASSWORD_IS_ONE_TIME" if one_time else ErrorCode.PASSWORD_UNCHANGED',
        'bad(row, "login", "LOGIN_TAKEN", f"The login {login!r} is taken.")',
    ):
        assert [code for _, code in literal_codes(ast.parse(source))], source
    assert not list(literal_codes(ast.parse('raise NotFound("No such student.", ErrorCode.STUDENT_NOT_FOUND)')))


def test_codes_are_raised_as_members_never_as_literals() -> None:
    literals = []
    for path in SOURCES:
        relative = path.relative_to(ROOT).as_posix()
        if relative == "resolvers/codes.py":
            continue  # the catalogue itself
        tree = ast.parse(path.read_text(encoding="utf-8"))
        literals += [f"{relative}:{line} {code}" for line, code in literal_codes(tree)]
        # A literal spelling a code's name anywhere else is a code written as a string too.
        spelled = [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and n.value in ErrorCode.__members__]
        literals += [f"{relative}:{n.lineno} {n.value!r}" for n in spelled if (relative, n.value) not in NOT_CODES]
    assert sorted(set(literals)) == [], "write ErrorCode.<NAME> (resolvers/codes.py), not a string"


def _error_code_enum(schema: GraphQLSchema) -> GraphQLEnumType:
    enum = schema.type_map["ErrorCode"]
    assert is_enum_type(enum)
    assert isinstance(enum, GraphQLEnumType)
    return enum


def test_schema_error_code_enum_is_the_catalogue() -> None:
    schema = build_schema()._schema
    enum = _error_code_enum(schema)
    assert [(name, value.description) for name, value in enum.values.items()] == [
        (code.name, code.meaning) for code in ErrorCode
    ]
    for type_name, field in (("Error", "code"), ("FieldError", "code"), ("FileProblem", "code")):
        assert str(schema.type_map[type_name].fields[field].type).rstrip("!") == "ErrorCode"  # type: ignore[attr-defined]


def test_every_code_has_a_meaning_and_its_own_name() -> None:
    for code in ErrorCode:
        assert code.value == code.name
        assert code.meaning.strip(), code.name
        assert code.meaning.endswith((".", ")")), code.name


def test_docs_list_every_code_with_its_meaning() -> None:
    """docs/errors.md is generated (``make schema``); this fails when it drifts."""
    text = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    assert text == catalogue_markdown(), "run `make schema`"
    for code in ErrorCode:
        assert f"| `{code.name}` | {code.meaning} |" in text


def _descriptions(schema: GraphQLSchema) -> Iterator[tuple[str, str]]:
    for type_name, gql_type in schema.type_map.items():
        if type_name.startswith("__"):
            continue
        yield type_name, gql_type.description or ""
        for field_name, field in (getattr(gql_type, "fields", None) or {}).items():
            yield f"{type_name}.{field_name}", field.description or ""
            for arg_name, arg in (getattr(field, "args", None) or {}).items():
                yield f"{type_name}.{field_name}({arg_name})", arg.description or ""


# Names in descriptions that are neither codes nor enum values: settings and `extensions.reason`s.
NOT_CODE_WORDS = {
    "ACCESS_TOKEN_TTL_SECONDS",
    "REFRESH_TOKEN_TTL_SECONDS",
    "PASSWORD_CHANGE_REQUIRED",
    "SECOND_FACTOR_REQUIRED",
    "EDIARY_REQUIRE_2FA_FOR",
}

ERROR_LIST = re.compile(
    r"(?:NotFoundError|ValidationError|FileRefusedError|InvalidCredentialsError|RateLimitedError)"
    r"(?: codes)?(?: \([^)]*\))?:? ((?:[A-Z][A-Z0-9_]+(?: \([^)]*\))?(?:, | or |; )?)+)"
)


def test_codes_named_in_descriptions_are_members() -> None:
    """Mutations list their codes in prose: every SCREAMING_SNAKE name in a description is a
    code of the catalogue or a value of one of the schema's enums (an event kind, a status), and
    every name listed after an error type ("ValidationError: A, B") is a code."""
    schema = build_schema()._schema
    enum_values = {
        name
        for t in schema.type_map.values()
        if isinstance(t, GraphQLEnumType) and t.name != "ErrorCode"
        for name in t.values
    }
    known = set(ErrorCode.__members__) | enum_values | NOT_CODE_WORDS
    strays, lists = [], 0
    for where, text in _descriptions(schema):
        strays += [
            f"{where}: {word}"
            for word in re.findall(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9]\b", text)
            if word not in known
        ]
        for listed in ERROR_LIST.findall(text):
            lists += 1
            words = re.findall(r"\b[A-Z][A-Z0-9_]+\b", re.sub(r"\([^)]*\)", "", listed))
            strays += [f"{where}: {word}" for word in words if word not in ErrorCode.__members__]
    assert lists > 50  # the lists are found: the check is not vacuous
    assert strays == []


async def test_transport_refusals_carry_catalogue_codes(http: httpx.AsyncClient) -> None:
    """405, 406, 413 and 415 answer a code of the catalogue (BAD_REQUEST, PAYLOAD_TOO_LARGE)."""
    refusals = [
        (await http.put("/graphql", json={"query": "{ __typename }"}), 405, ErrorCode.BAD_REQUEST),
        (
            await http.post("/graphql", content=b"x" * 3_000_000, headers={"content-type": "application/json"}),
            413,
            ErrorCode.PAYLOAD_TOO_LARGE,
        ),
        (
            await http.post("/graphql", content=b"query=x", headers={"content-type": "text/plain"}),
            415,
            ErrorCode.BAD_REQUEST,
        ),
        (
            await http.post("/graphql", json={"query": "{ __typename }"}, headers={"accept": "text/csv"}),
            406,
            ErrorCode.BAD_REQUEST,
        ),
    ]
    for response, status, code in refusals:
        assert response.status_code == status, response.text
        assert [e["extensions"]["code"] for e in response.json()["errors"]] == [code]
