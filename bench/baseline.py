"""Benchmark 1's baseline: the diary fields as a hand-built graphql-core schema behind one
plain Starlette route. It reads the same database through the project's batch loaders and
diary assembly, but has no authentication, no policy scopes, no Strawberry and no
GraphQL-over-HTTP negotiation: what is left is the least a GraphQL server must do."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from inspect import isawaitable
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLString,
    StringValueNode,
    ValueNode,
    execute,
    parse,
    validate,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import models
from resolvers.diary import DiaryDayData, DiaryEntryData, load_diary
from resolvers.loaders import Loaders
from resolvers.sessions import Viewer


@dataclass
class BaselineContext:
    user_id: int
    loaders: Loaders


def _iso(value: date | datetime) -> str:
    return value.isoformat()


def _literal_date(node: ValueNode, _variables: dict[str, Any] | None = None) -> date:
    if not isinstance(node, StringValueNode):
        raise TypeError("Date literals are strings")
    return date.fromisoformat(node.value)


DateScalar = GraphQLScalarType("Date", serialize=_iso, parse_value=date.fromisoformat, parse_literal=_literal_date)
DateTimeScalar = GraphQLScalarType("DateTime", serialize=_iso, parse_value=datetime.fromisoformat)
DayKind = GraphQLEnumType("DayKind", {k: k for k in ("SCHOOL_DAY", "WEEKEND", "HOLIDAY", "VACATION")})
AttendanceStatus = GraphQLEnumType("AttendanceStatus", models.AttendanceStatus)


def _nn(of: Any) -> Any:
    return GraphQLNonNull(of)


def _list(of: Any) -> Any:
    return _nn(GraphQLList(_nn(of)))


Info = GraphQLResolveInfo[BaselineContext]


def _ctx(info: Info) -> BaselineContext:
    return info.context


async def _subject(lesson: models.Lesson, info: Info) -> models.Subject | None:
    return await _ctx(info).loaders.subject_by_id.load(lesson.subject_id)


async def _teacher(lesson: models.Lesson, info: Info) -> models.User | None:
    return await _ctx(info).loaders.user_by_id.load(lesson.teacher_id)


async def _children(user_id: int, info: Info) -> list[models.Student]:
    return (
        await models.Student.filter(guardianships__guardian_id=user_id, guardianships__revoked_at__isnull=True)
        .distinct()
        .order_by("full_name", "id")
    )


async def _diary(student: models.Student, info: Info, **args: date) -> list[DiaryDayData]:
    return await load_diary(_ctx(info).loaders, student, args["from"], args["to"])


def _attendance(entry: DiaryEntryData, _info: Info) -> models.AttendanceStatus | None:
    return entry.row.attendance.status if entry.row.attendance else None


Subject = GraphQLObjectType("Subject", {"name": GraphQLField(_nn(GraphQLString))})
User = GraphQLObjectType(
    "User", {"fullName": GraphQLField(_nn(GraphQLString), resolve=lambda user, _info: user.full_name)}
)
Grade = GraphQLObjectType(
    "Grade",
    {
        "value": GraphQLField(_nn(GraphQLString)),
        "weight": GraphQLField(_nn(GraphQLInt)),
        "comment": GraphQLField(GraphQLString),
    },
)
Homework = GraphQLObjectType("Homework", {"text": GraphQLField(_nn(GraphQLString))})
Lesson = GraphQLObjectType(
    "Lesson",
    {
        "period": GraphQLField(_nn(GraphQLInt)),
        "startsAt": GraphQLField(_nn(DateTimeScalar), resolve=lambda lesson, _info: lesson.starts_at),
        "endsAt": GraphQLField(_nn(DateTimeScalar), resolve=lambda lesson, _info: lesson.ends_at),
        "topic": GraphQLField(GraphQLString),
        "subject": GraphQLField(_nn(Subject), resolve=_subject),
        "teacher": GraphQLField(_nn(User), resolve=_teacher),
    },
)
DiaryEntry = GraphQLObjectType(
    "DiaryEntry",
    {
        "lesson": GraphQLField(_nn(Lesson), resolve=lambda entry, _info: entry.row.lesson),
        "grades": GraphQLField(_list(Grade)),
        "attendance": GraphQLField(AttendanceStatus, resolve=_attendance),
        "homework": GraphQLField(_list(Homework)),
    },
)
DiaryDay = GraphQLObjectType(
    "DiaryDay",
    {
        "date": GraphQLField(_nn(DateScalar)),
        "kind": GraphQLField(_nn(DayKind)),
        "entries": GraphQLField(_list(DiaryEntry)),
    },
)
Student = GraphQLObjectType(
    "Student",
    {
        "fullName": GraphQLField(_nn(GraphQLString), resolve=lambda student, _info: student.full_name),
        "diary": GraphQLField(
            _list(DiaryDay),
            args={"from": GraphQLArgument(_nn(DateScalar)), "to": GraphQLArgument(_nn(DateScalar))},
            resolve=_diary,
        ),
    },
)
ViewerType = GraphQLObjectType("Viewer", {"children": GraphQLField(_list(Student), resolve=_children)})
SCHEMA = GraphQLSchema(
    GraphQLObjectType(
        "Query", {"viewer": GraphQLField(_nn(ViewerType), resolve=lambda _root, info: _ctx(info).user_id)}
    )
)


def create_baseline_app(user_id: int) -> Starlette:
    """Everyone is ``user_id``: the baseline skips authentication on purpose."""
    documents: dict[str, DocumentNode] = {}

    async def graphql(request: Request) -> Response:
        params = json.loads(await request.body())
        query: str = params["query"]
        document = documents.get(query)
        if document is None:
            document = parse(query)
            errors = validate(SCHEMA, document)
            if errors:
                body = {"errors": [e.formatted for e in errors]}
                return Response(json.dumps(body), 400, media_type="application/json")
            documents[query] = document
        context = BaselineContext(user_id, Loaders(Viewer(user_id)))
        outcome = execute(SCHEMA, document, variable_values=params.get("variables"), context_value=context)
        result: ExecutionResult = await outcome if isawaitable(outcome) else outcome
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [e.formatted for e in result.errors]
        return Response(json.dumps(payload, separators=(",", ":")), media_type="application/json")

    return Starlette(routes=[Route("/graphql", graphql, methods=["POST"])])
