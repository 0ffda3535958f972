"""Coarse gates are declared on the field (issue 14): who may call each root field is read
from its permission classes (``schema/gates.py``), never from a check in a resolver's
body; logging in is checked by ``IsAuthenticated`` alone. A gate answers before the input is
looked at: UNAUTHENTICATED, then FORBIDDEN with its refusal."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
)

import models
from schema import build_schema
from schema.gates import IsAuthenticated, RoleGate
from tests.client import Client
from tests.factories import Factory

ROOT = Path(__file__).resolve().parents[2]

TEACHER, PARENT, STUDENT = "HasRole(TEACHER)", "HasRole(PARENT)", "LacksRole(STUDENT)"
DISTRICT, ADMIN = "HasRole(DISTRICT_ADMIN)", "IsAdmin(DISTRICT_ADMIN, SCHOOL_ADMIN)"
CALENDAR = "Only school and district admins can change the school calendar."
ACCOUNTS = "Only school and district admins manage accounts."
# Every role gate of the API: (gate, refusal) -> the root fields behind it.
GATES: dict[tuple[str, str], set[str]] = {
    (TEACHER, "Only teachers can write grades."): {
        "gradeCreate",
        "gradesCreate",
        "gradeUpdate",
        "gradeDelete",
        "termGradeSet",
    },
    (TEACHER, "Only teachers can set homework."): {"homeworkAssign", "homeworkUpdate", "homeworkDelete"},
    (TEACHER, "Only teachers can write remarks."): {"remarkCreate"},
    (TEACHER, "Only teachers return and grade handed-in work."): {"submissionReturn", "submissionGrade"},
    ("HasRole(STUDENT)", "Only students hand work in."): {"homeworkSubmit"},
    (TEACHER, "Only teachers can mark attendance."): {"attendanceMark"},
    (TEACHER, "Only teachers plan lessons."): {
        "lessonTopicSet",
        "thematicPlanImport",
        "assessmentPlan",
        "assessmentCancel",
    },
    (PARENT, "Only a parent can send or withdraw an absence notice."): {"absenceNoticeCreate", "absenceNoticeDelete"},
    (STUDENT, "Access requests are made by a parent's own account, not a student's."): {"accessRequestSubmit"},
    (DISTRICT, "Only district admins create schools."): {"schoolCreate"},
    (DISTRICT, "Only district admins change school settings."): {"schoolUpdate"},
    (ADMIN, "Only school admins manage subjects."): {"subjectCreate", "subjectUpdate", "subjectArchive"},
    (ADMIN, "Only school admins manage classes."): {"classCreate", "classUpdate"},
    (ADMIN, "Only school admins manage the roll."): {
        "studentCreate",
        "enrollmentCreate",
        "studentTransfer",
        "enrollmentEnd",
    },
    (ADMIN, "Only school admins assign teachers."): {"teachingAssignmentCreate", "teachingAssignmentDelete"},
    (ADMIN, "Only school admins manage class groups."): {
        "classGroupCreate",
        "classGroupUpdate",
        "classGroupEnd",
        "classGroupMembersMove",
    },
    (ADMIN, "Only the school's admins review access requests."): {"accessRequestApprove", "accessRequestRefuse"},
    (ADMIN, "Only school admins revoke or restore a guardianship."): {"guardianshipRevoke", "guardianshipRestore"},
    (ADMIN, ACCOUNTS): {
        "accountCreate",
        "passwordReset",
        "accountDeactivate",
        "accountReactivate",
        "rosterImport",
        "externalIdentityPreRegister",
        "secondFactorReset",
    },
    (ADMIN, CALENDAR): {
        "academicYearCreate",
        "academicYearUpdate",
        "termCreate",
        "termUpdate",
        "termDelete",
        "dayOffCreate",
        "dayOffUpdate",
        "dayOffDelete",
        "bellScheduleSet",
        "shortDayCreate",
        "shortDayDelete",
    },
    (ADMIN, "Only school and district admins can change the timetable."): {
        "timetableSlotCreate",
        "timetableSlotUpdate",
        "timetableSlotDelete",
    },
    (ADMIN, "Only school and district admins can cancel lessons or arrange substitutes."): {
        "lessonCancel",
        "lessonRestore",
        "lessonSubstitute",
    },
}

# Refusals that are not gates: the account read afresh by the resolver that needs it.
STANDING_CHECKS = {("resolvers/accounts.py", "change_password"), ("schema/viewer.py", "user")}
# Who reads the viewer's roles: the policy, the permission classes, and `Viewer.roles`.
READ_ROLES = {"schema/gates.py", "schema/viewer.py"}


def _gates() -> dict[str, type[RoleGate]]:
    """Each root field's role gate, by GraphQL name."""
    schema = build_schema()
    found = {}
    for root in (schema._schema.query_type, schema._schema.mutation_type, schema._schema.subscription_type):
        assert root is not None
        for name in root.fields:
            field = schema.get_field_for_type(name, root.name)
            assert field is not None
            for gate in field.permission_classes:
                if isinstance(gate, type) and issubclass(gate, RoleGate):
                    found[name] = gate
    return found


def test_every_role_gate_is_declared_on_its_field() -> None:
    declared: dict[tuple[str, str], set[str]] = {}
    for name, gate in _gates().items():
        declared.setdefault((gate.__name__, gate.refusal.msgid), set()).add(name)
    assert declared == GATES


def _calls(path: Path) -> list[tuple[str, str]]:
    """(the enclosing function, the name called) for every call in a module."""
    found: list[tuple[str, str]] = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, child.name)
                continue
            if isinstance(child, ast.Call):
                callee = child.func
                name = callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", "")
                found.append((function, name))
            visit(child, function)

    visit(ast.parse(path.read_text()), "")
    return found


def test_gates_are_not_checked_in_resolver_bodies() -> None:
    """No resolver refuses with FORBIDDEN or UNAUTHENTICATED, and none reads the viewer's
    roles to decide: role gates and logging in belong to the permission classes, what a
    role may see to ``resolvers/policy``."""
    offenders = []
    for path in sorted(p for d in ("resolvers", "edge", "demo", "schema") for p in (ROOT / d).rglob("*.py")):
        module = path.relative_to(ROOT).as_posix()
        if module == "schema/gates.py":
            continue
        for function, name in _calls(path):
            if name == "Forbidden" or (name == "Unauthenticated" and (module, function) not in STANDING_CHECKS):
                offenders.append(f"{module}:{function} raises {name}")
            if name == "roles" and module not in READ_ROLES and not module.startswith("resolvers/policy/"):
                offenders.append(f"{module}:{function} reads the viewer's roles")
    assert offenders == []


SCALARS = {"Int": "1", "Float": "1.0", "Boolean": "false", "Date": '"2026-01-05"', "Time": '"10:00"'}


def _literal(gql_type: Any) -> str:
    """A value of the type that names nothing that exists: required fields only."""
    if isinstance(gql_type, GraphQLNonNull):
        return _literal(gql_type.of_type)
    if isinstance(gql_type, GraphQLList):
        return "[]"
    if isinstance(gql_type, GraphQLEnumType):
        return str(next(iter(gql_type.values)))
    if isinstance(gql_type, GraphQLScalarType):
        return SCALARS.get(gql_type.name, '"none"')
    assert isinstance(gql_type, GraphQLInputObjectType), gql_type
    fields = [f"{n}: {_literal(f.type)}" for n, f in gql_type.fields.items() if isinstance(f.type, GraphQLNonNull)]
    return "{" + ", ".join(fields) + "}"


def _document(name: str) -> str:
    """The mutation ``name`` with an input naming nothing that exists."""
    field = build_schema()._schema.mutation_type.fields[name]  # type: ignore[union-attr]
    args = ", ".join(
        f"{a}: {_literal(arg.type)}" for a, arg in field.args.items() if isinstance(arg.type, GraphQLNonNull)
    )
    return f"mutation {{ {name}({args}) {{ __typename }} }}"


def _refusal(body: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """The coarse refusal of a one-field answer: (message, code, reason); the field is null."""
    assert body["data"] is None, body
    [error] = body["errors"]
    extensions = error.get("extensions") or {}
    return error["message"], extensions.get("code"), extensions.get("reason")


@pytest.mark.parametrize("name", sorted(_gates()))
async def test_a_role_gate_answers_before_the_input(name: str, factory: Factory, http: httpx.AsyncClient) -> None:
    """Anonymous: UNAUTHENTICATED; a one-time password: FORBIDDEN (change it first), even for
    a holder of the role; a viewer the gate keeps out: FORBIDDEN with the gate's refusal, though
    the input names nothing; one it lets in: past the gate, to a union member."""
    gate = _gates()[name]
    document = _document(name)
    kit = await factory.school()
    assert kit.admin is not None
    viewers: dict[models.Role | None, models.User] = {
        None: await factory.user("nobody"),
        models.Role.STUDENT: (await factory.user("student")),
        models.Role.PARENT: await factory.parent(),
        models.Role.TEACHER: await factory.teacher(kit, [("5A", "Mathematics")]),
        models.Role.SCHOOL_ADMIN: kit.admin,
        models.Role.DISTRICT_ADMIN: await factory.district_admin(),
    }
    for family in (models.Role.STUDENT, models.Role.PARENT):
        await models.RoleGrant.create(user=viewers[family], role=family, school=kit.school)

    anonymous = await Client(http).post(document)
    assert _refusal(anonymous) == (IsAuthenticated.message, "UNAUTHENTICATED", None)
    for role, user in viewers.items():
        body = await factory.client(user).post(document)
        if (role in gate.roles) == gate.holding:
            answer = body["data"][name]
            assert answer is not None, (role, body)
            assert answer["__typename"].endswith(("Error", "Success")), (role, body)
        else:
            assert _refusal(body) == (str(gate.refusal), "FORBIDDEN", None), role
    insider = next(user for role, user in viewers.items() if (role in gate.roles) == gate.holding)
    await models.User.filter(id=insider.id).update(must_change_password=True)
    body = await factory.client(insider).post(document)
    assert _refusal(body)[1:] == ("FORBIDDEN", "PASSWORD_CHANGE_REQUIRED")
