"""The audit trail's one rule (``resolvers/audit.py``): a row holds ids, numbers, codes, dates,
field names, who, when and why, and the names of what a school sets up; never content people
write for each other. Every row is written through that module, which refuses the rest."""

from __future__ import annotations

import ast
from typing import Any

import pytest
from tortoise import connections

import models
from resolvers import audit
from resolvers.sessions import Viewer
from tests.chat_helpers import DELETE, EDIT, REMOVE_MESSAGE, RENAME, new_chat, run, sent
from tests.factories import Factory
from tests.sources import ROOT, inserting, modules

VIEWER = Viewer(1, "10.0.0.1")

pytestmark = pytest.mark.usefixtures("database")  # the models, for building rows

CONTENT: list[tuple[str, dict[str, Any]]] = [
    ("remark.create", {"student": 1, "kind": "PRAISE", "text": "Helped a classmate with fractions"}),
    ("homework.assign", {"lesson": 1, "links": ["https://example.org/exercise"]}),
    ("chat.create", {"title": "Parents of 5A", "members": [2, 3]}),
    ("chat.rename", {"before": {"title": "Parents of 5A"}, "after": {"title": "Parents of 5A and 5B"}}),
    ("meeting.respond", {"answer": "YES", "comment": "We will be a little late"}),
    ("absence_notice.create", {"student": 1, "items": 2, "absence": "ill"}),
    ("homework.update", {"before": {"lesson": 1, "text": "p. 12"}, "after": {"lesson": 1}}),
    ("chat.delete", {"before": "Parents of 5A"}),
    ("message.send", {"chat": 1, "length": "Are we meeting tomorrow at the school gate or at the museum?"}),
    ("grade.create", {"student": {"note": "talked in class"}, "value": "4"}),
    ("message.delete", {"chat": 1, "author": 2, "reason": ["not", "a", "sentence"]}),
    ("message.edit", {"chat": 1, "before": "Private: the text as it was"}),
    ("message.delete", {"chat": 1, "before": "Private: the text as it was"}),
    ("chat.members_add", {"memberCount": [2, 3]}),
    ("chat.leave", {"handedOver": "mother"}),
    ("chat.member_remove", {"member": 2}),
    ("absence_notice.create", {"student": 1, "reason": "Hospital: appendicitis"}),
    ("grade.create", {"student": 1, "lesson": 1, "value": "4", "comment": "talked in class"}),
    ("chat.create", {"chat": 1, "name": "Parents of 5A"}),
    ("no.such_action", {}),
    ("lesson.cancel", {"reason": {"nested": "a reason is a sentence, not a structure"}}),
]


@pytest.mark.parametrize(("action", "details"), CONTENT, ids=[f"{a}:{sorted(d)}" for a, d in CONTENT])
def test_content_is_refused(action: str, details: dict[str, Any]) -> None:
    with pytest.raises(audit.AuditDetailRefused):
        audit.entry(VIEWER, action, "Thing", 1, details)


RECORDED: list[tuple[str, dict[str, Any]]] = [
    ("grade.update", {"from": "3", "to": "4", "weight": [1, 2], "reason": "Counted the wrong test"}),
    (
        "school.update",
        {"name": {"from": "School 1", "to": "School No. 1"}, "timezone": {"from": "UTC", "to": "Asia/Omsk"}},
    ),
    ("homework.update", {"before": {"lesson": 1}, "after": {"lesson": 2}, "fields": ["lesson", "text"]}),
    ("lesson.substitute", {"teacher": 2, "before": 1, "planned": 1, "reason": None}),
    ("bellSchedule.set", {"variant": "REGULAR", "before": [[480, 525]], "after": [[490, 535]], "lessonsRetimed": 3}),
    ("roster.import", {"STUDENT": {"created": 20, "updated": 0, "unchanged": 3}}),
    ("message.edit", {"chat": 1}),
    ("chat.leave", {"handedOver": True, "deleted": True}),
    ("chat.create", {"memberCount": 2}),
]


@pytest.mark.parametrize(("action", "details"), RECORDED, ids=[a for a, _ in RECORDED])
def test_ids_codes_names_and_reasons_are_recorded(action: str, details: dict[str, Any]) -> None:
    row = audit.entry(VIEWER, action, "Thing", 1, details)
    assert (row.details, row.actor_id, row.address) == (details, 1, "10.0.0.1")


def test_every_declared_key_has_a_kind() -> None:
    assert set().union(*audit.ACTIONS.values()) <= audit.DETAILS.keys()


def _actions_written() -> tuple[set[str], list[str]]:
    """Every action passed to ``audit.record``/``audit.entry`` in the application: a literal, a
    module constant, or a parameter of the calling function given as a literal by its callers.
    Returns the actions and the call sites whose action could not be read."""
    found: set[str] = set()
    unread: list[str] = []
    for path in modules():
        tree = ast.parse(path.read_text(), str(path))
        constants = {
            t.id: n.value.value
            for n in tree.body
            if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)
            for t in n.targets
            if isinstance(t, ast.Name)
        }
        functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        for function in functions:
            for call in ast.walk(function):
                if not (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr in ("record", "entry")
                    and isinstance(call.func.value, ast.Name)
                    and call.func.value.id == "audit"
                ):
                    continue
                where = f"{path.relative_to(ROOT)}:{call.lineno}"
                action = call.args[1] if len(call.args) > 1 else None
                if isinstance(action, ast.Constant) and isinstance(action.value, str):
                    found.add(action.value)
                elif isinstance(action, ast.Name) and action.id in constants:
                    found.add(constants[action.id])
                elif isinstance(action, ast.Name) and action.id in [a.arg for a in function.args.args]:
                    position = [a.arg for a in function.args.args].index(action.id)
                    callers = [
                        c
                        for c in ast.walk(tree)
                        if isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id == function.name
                    ]
                    given = [c.args[position] if len(c.args) > position else None for c in callers]
                    if not given or not all(isinstance(g, ast.Constant) and isinstance(g.value, str) for g in given):
                        unread.append(where)
                    found |= {g.value for g in given if isinstance(g, ast.Constant) and isinstance(g.value, str)}
                else:
                    unread.append(where)
    return found, unread


def test_every_action_written_is_in_the_allow_list() -> None:
    """Each action the code records is declared with its keys, and the table holds no action
    that nothing writes any more."""
    found, unread = _actions_written()
    assert unread == []
    assert len(found) > 60
    assert found == set(audit.ACTIONS)


async def test_a_chat_message_edit_keeps_no_text(factory: Factory) -> None:
    """The issue's case: a school admin read ``message.edit {"before": "Private: ..."}`` of a chat
    between two parents. Now the row names the chat and nothing of what was said."""
    kit = await factory.school(classes=("5A",))
    teacher = await factory.teacher(kit, [("5A", "Mathematics")])
    mother = await factory.parent("mother")
    father = await factory.parent("father")
    await factory.student(kit, "5A", "anna", guardians=[mother, father])
    chat = await new_chat(factory.client(teacher), "Two parents", mother, father)
    client = factory.client(mother)
    message = await sent(client, chat, "Private: my phone is 555-0100")
    edited = await run(client, EDIT, messageId=message, text="Private: call me instead")
    assert edited["__typename"] == "MessageEditSuccess", edited
    removed = await run(client, REMOVE_MESSAGE, messageId=message)
    assert removed["__typename"] == "MessageDeleteSuccess", removed
    rows = await models.AuditEntry.filter(action__startswith="message.", actor_id=mother.id).order_by("id")
    assert [(r.action, r.details) for r in rows] == [
        (
            "message.send",
            {"chat": rows[0].details["chat"], "length": len("Private: my phone is 555-0100"), "files": 0},
        ),
        ("message.edit", {"chat": rows[0].details["chat"]}),
        ("message.delete", {"chat": rows[0].details["chat"], "ownMessage": True}),
    ]
    assert "Private" not in str(await models.AuditEntry.filter(school_id=kit.school.id).values_list("details"))


async def test_migration_0017_cleans_older_rows(factory: Factory) -> None:
    """Rows written before the allow-list lose message texts, member ids and absence reasons;
    other rows are left as they were."""
    from importlib import import_module

    migration = import_module("models.migrations.0017_audit_private_content")
    kit = await factory.school(classes=("5A",))
    actor = await factory.parent("mother")
    old: dict[str, dict[str, Any]] = {
        "message.edit": {"chat": 7, "before": "Private: the text as it was"},
        "message.delete": {"chat": 7, "author": actor.id, "before": "Private: gone"},
        "chat.create": {"members": [2, 3, 4]},
        "chat.members_add": {"members": [5]},
        "chat.member_remove": {"member": 2},
        "chat.leave": {"new_admin": 3, "deleted": True},
        "absence_notice.create": {"student": 1, "items": 2, "reason": "Private: hospital"},
        "grade.update": {"from": "3", "to": "4", "reason": "Counted the wrong test"},
    }
    ids = {}
    for action, details in old.items():  # as older code wrote them, past today's helper
        row = models.AuditEntry(actor_id=actor.id, school_id=kit.school.id, action=action, object_type="X")
        row.details = details
        await row.save()
        ids[action] = row.id

    class Editor:
        client = connections.get("default")

    await migration.clean_audit_rows(None, Editor())
    rows = {r.action: r.details for r in await models.AuditEntry.filter(id__in=list(ids.values()))}
    assert rows == {
        "message.edit": {"chat": 7},
        "message.delete": {"chat": 7, "ownMessage": True},
        "chat.create": {"memberCount": 3},
        "chat.members_add": {"memberCount": 1},
        "chat.member_remove": {},
        "chat.leave": {"handedOver": True, "deleted": True},
        "absence_notice.create": {"student": 1, "items": 2},
        "grade.update": {"from": "3", "to": "4", "reason": "Counted the wrong test"},
    }
    for action, details in rows.items():
        audit.check(action, details)


async def test_chat_titles_stay_out_of_the_audit_trail(factory: Factory) -> None:
    kit = await factory.school(classes=("5A",))
    teacher = await factory.teacher(kit, [("5A", "Mathematics")])
    parent = await factory.parent("mother")
    await factory.student(kit, "5A", "anna", guardians=[parent])
    client = factory.client(teacher)
    chat = await new_chat(client, "Secret plans for the class trip", parent)
    await sent(client, chat, "Shall we go to the planetarium?")
    assert (await run(client, RENAME, chatId=chat, title="The planetarium trip"))["__typename"] == "ChatRenameSuccess"
    assert (await run(client, DELETE, chatId=chat))["__typename"] == "ChatDeleteSuccess"
    rows = await models.AuditEntry.filter(actor_id=teacher.id).values_list("action", "details")
    assert {action for action, _ in rows} >= {"chat.create", "message.send", "chat.rename", "chat.delete"}
    written = str([details for _, details in rows])
    assert "trip" not in written
    assert "planetarium" not in written


def test_one_module_writes_audit_rows() -> None:
    assert inserting("AuditEntry", building=True) == {"resolvers/audit.py"}
