"""The exported SDL is current, documented, and every non-public root field is gated."""

from __future__ import annotations

from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLUnionType,
)

from schema import build_schema
from schema.gates import IsPublic

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_ROOT_FIELDS = {"login", "login_second_factor", "session_refresh", "account_register"}  # Python names
# Logging in with an identity provider, and the providers a login screen offers (issue 20).
PUBLIC_ROOT_FIELDS |= {"identity_providers", "external_login_start", "external_login_complete"}
# Recovering a forgotten password by a link or a code (issue 20).
PUBLIC_ROOT_FIELDS |= {"password_recovery_start", "password_recovery_complete"}


def test_schema_graphql_is_current() -> None:
    exported = (ROOT / "schema.graphql").read_text()
    assert exported == build_schema().as_str() + "\n", "run `make schema` and commit schema.graphql"


def test_every_type_field_and_argument_is_described() -> None:
    missing = []
    for name, gql_type in build_schema()._schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID", "Date", "DateTime", "Time"}:
            continue
        if not gql_type.description:
            missing.append(name)
        if isinstance(gql_type, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            for field_name, f in gql_type.fields.items():
                if not f.description:
                    missing.append(f"{name}.{field_name}")
                for arg_name, arg in getattr(f, "args", {}).items():
                    if not arg.description:
                        missing.append(f"{name}.{field_name}({arg_name})")
        if isinstance(gql_type, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, value in gql_type.values.items() if not value.description]
    assert missing == []


CONTRACT: dict[str, dict[str, tuple[str, dict[str, str]]]] = {
    # type: {field: (type, {argument: type})}, from ../shared/API.md
    "Query": {"viewer": ("Viewer!", {}), "node": ("Node", {"id": "ID!"}), "student": ("Student", {"id": "ID!"})},
    "Viewer": {
        "user": ("User!", {}),
        "roles": ("[Role!]!", {}),
        "children": ("[Student!]!", {}),
        "student": ("Student", {}),
        "teaching": ("[TeachingAssignment!]!", {}),
        "schools": ("[School!]!", {}),
    },
    "User": {"id": ("ID!", {}), "fullName": ("String!", {})},
    "School": {"id": ("ID!", {}), "name": ("String!", {}), "classes": ("[SchoolClass!]!", {})},
    "Subject": {"id": ("ID!", {}), "name": ("String!", {})},
    "TeachingAssignment": {"schoolClass": ("SchoolClass!", {}), "subject": ("Subject!", {})},
    "SchoolClass": {
        "id": ("ID!", {}),
        "name": ("String!", {}),
        "school": ("School!", {}),
        "students": ("[Student!]!", {}),
        "lessons": ("[Lesson!]!", {"from": "Date!", "to": "Date!"}),
    },
    "Student": {
        "id": ("ID!", {}),
        "fullName": ("String!", {}),
        "schoolClass": ("SchoolClass!", {}),
        "diary": ("[DiaryDay!]!", {"from": "Date!", "to": "Date!"}),
        "progress": ("[SubjectProgress!]!", {"termId": "ID"}),
    },
    "DiaryDay": {"date": ("Date!", {}), "entries": ("[DiaryEntry!]!", {})},
    "DiaryEntry": {
        "lesson": ("Lesson!", {}),
        "grades": ("[Grade!]!", {}),
        "attendance": ("AttendanceStatus", {}),
        "homework": ("[Homework!]!", {}),
    },
    "Lesson": {
        "id": ("ID!", {}),
        "date": ("Date!", {}),
        "period": ("Int!", {}),
        "startsAt": ("DateTime!", {}),
        "endsAt": ("DateTime!", {}),
        "subject": ("Subject!", {}),
        "teacher": ("User!", {}),
        "schoolClass": ("SchoolClass!", {}),
        "topic": ("String", {}),
    },
    "Homework": {"id": ("ID!", {}), "text": ("String!", {}), "lesson": ("Lesson!", {})},
    "Grade": {
        "id": ("ID!", {}),
        "student": ("Student!", {}),
        "subject": ("Subject!", {}),
        "lesson": ("Lesson", {}),
        "value": ("String!", {}),
        "numericValue": ("Float", {}),
        "weight": ("Int!", {}),
        "comment": ("String", {}),
        "teacher": ("User!", {}),
        "createdAt": ("DateTime!", {}),
    },
    "SubjectProgress": {
        "subject": ("Subject!", {}),
        "grades": ("[Grade!]!", {}),
        "average": ("Float", {}),
        "weightedAverage": ("Float", {}),
        "absences": ("Int!", {}),
        "unexcusedAbsences": ("Int!", {}),
    },
    "Mutation": {
        "login": ("LoginResult!", {"input": "LoginInput!"}),
        "gradeCreate": ("GradeCreateResult!", {"input": "GradeCreateInput!"}),
    },
    "LoginInput": {"login": ("String!", {}), "password": ("String!", {})},
    "LoginSuccess": {"accessToken": ("String!", {}), "refreshToken": ("String!", {}), "user": ("User!", {})},
    "GradeCreateInput": {
        "studentId": ("ID!", {}),
        "lessonId": ("ID!", {}),
        "value": ("String!", {}),
        "weight": ("Int", {}),
        "comment": ("String", {}),
    },
    "GradeCreateSuccess": {"grade": ("Grade!", {})},
    "Subscription": {"diaryEvents": ("DiaryEvent!", {"studentId": "ID", "after": "String"})},
    "DiaryEvent": {
        "cursor": ("String!", {}),
        "kind": ("DiaryEventKind!", {}),
        "occurredAt": ("DateTime!", {}),
        "student": ("Student!", {}),
        "grade": ("Grade", {}),
        "homework": ("Homework", {}),
    },
    "Error": {"message": ("String!", {}), "code": ("ErrorCode!", {})},
    "Node": {"id": ("ID!", {})},
}
ENUMS = {
    "Role": {"STUDENT", "PARENT", "TEACHER", "SCHOOL_ADMIN", "DISTRICT_ADMIN"},
    "AttendanceStatus": {"PRESENT", "ABSENT_EXCUSED", "ABSENT_UNEXCUSED", "LATE"},
}
# Enums the contract names some values of, which new values join: a new event kind is declared
# once, in pubsub.broker.EventKind, and tests/notices/test_event_kinds.py holds the whole enum to it.
GROWING_ENUMS = {
    "DiaryEventKind": {
        "GRADE_ADDED",
        "GRADE_CHANGED",
        "GRADE_REMOVED",
        "ATTENDANCE_MARKED",
        "HOMEWORK_ASSIGNED",
        "HOMEWORK_CHANGED",
        "HOMEWORK_REMOVED",
        "REMARK_ADDED",
        "TERM_GRADE_SET",
        "LESSON_CANCELLED",
        "LESSON_RESTORED",
        "LESSON_SUBSTITUTED",
    },
}
UNIONS = {
    "LoginResult": {"LoginSuccess", "InvalidCredentialsError"},
    "GradeCreateResult": {"GradeCreateSuccess", "ValidationError", "NotFoundError"},
}
NODES = {"User", "School", "Subject", "SchoolClass", "Student", "Lesson", "Homework", "Grade"}


def test_api_contract_names_exist() -> None:
    """Every fixed name of API.md's core SDL, with its exact type."""
    type_map = build_schema()._schema.type_map
    for type_name, fields in CONTRACT.items():
        gql_type = type_map[type_name]
        assert isinstance(gql_type, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)), type_name
        for field_name, (field_type, args) in fields.items():
            field = gql_type.fields[field_name]
            assert str(field.type) == field_type, (type_name, field_name)
            actual_args = {name: str(arg.type) for name, arg in getattr(field, "args", {}).items()}
            assert actual_args == args, (type_name, field_name)
    for enum_name, values in ENUMS.items():
        enum = type_map[enum_name]
        assert isinstance(enum, GraphQLEnumType), enum_name
        assert set(enum.values) == values, enum_name
    for enum_name, values in GROWING_ENUMS.items():
        enum = type_map[enum_name]
        assert isinstance(enum, GraphQLEnumType), enum_name
        assert values <= set(enum.values), enum_name
    for union_name, members in UNIONS.items():
        union = type_map[union_name]
        assert isinstance(union, GraphQLUnionType)
        assert members <= {t.name for t in union.types}, union_name
    for name in NODES:
        node_type = type_map[name]
        assert isinstance(node_type, GraphQLObjectType), name
        assert "Node" in {i.name for i in node_type.interfaces}, name
    for name in ("ValidationError", "NotFoundError", "InvalidCredentialsError"):
        error_type = type_map[name]
        assert isinstance(error_type, GraphQLObjectType)
        assert "Error" in {i.name for i in error_type.interfaces}


def test_every_non_public_root_field_has_a_permission_class() -> None:
    schema = build_schema()
    ungated, wrongly_public = [], []
    for root in (schema.query, schema.mutation, schema.subscription):
        if root is None:
            continue
        for field in root.__strawberry_definition__.fields:  # type: ignore[attr-defined]
            name = field.python_name
            classes = {type(p) if not isinstance(p, type) else p for p in field.permission_classes}
            if not classes:
                ungated.append(name)
            elif IsPublic in classes and name not in PUBLIC_ROOT_FIELDS:
                wrongly_public.append(name)
    assert ungated == []
    assert wrongly_public == []
