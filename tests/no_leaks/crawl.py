"""The reachability crawl (issue 16): reachable implies visible.

For one viewer, walk the live schema (introspected, so a new field is crawled without
configuration) from every root field and from ``node`` of every object of the world the
viewer sees, one level per request, to ``DEPTH`` fields deep. Every object a field returns
is followed further; one that implements ``Node`` is collected. Then ``node(id)`` of every
collected object must return it to the same viewer, or it is a declared face
(resolvers/policy/faces.py) reached through one of its declared fields, whose every other
field answered empty.

Arguments: a required date is a window around today, a required id is every object of the
world of the kind its name says (``subjectId`` -> every subject), other required scalars a
plain value; a field needing an input object is not crawled (``SKIPPED`` says which).
A list is followed as a whole (GraphQL selects the same fields of every item); a path is
followed once per set of objects it returned, so the walk ends."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import models
from resolvers.core import now_utc, today_utc
from resolvers.policy.faces import FACE_PLACES, FACES
from tests.conftest import Client
from tests.no_leaks.reads import PROBES, objects
from tests.no_leaks.world import World, new_user

DEPTH = 6  # fields below a root; the issue's leak (node > register > student > absenceNotices > createdBy) is 5
BATCH = 100  # paths per request
SKIPPED: Counter[str] = Counter()

INTROSPECTION = """
query {
  __schema {
    queryType { name }
    types {
      name kind
      interfaces { name }
      possibleTypes { name }
      fields {
        name
        args { name defaultValue type { ...T } }
        type { ...T }
      }
    }
  }
}
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }
"""

# An id argument's name -> the kind of the world's objects tried for it.
ID_KINDS = {
    "subjectId": "Subject",
    "termId": "Term",
    "academicYearId": "AcademicYear",
    "classId": "SchoolClass",
    "schoolClassId": "SchoolClass",
    "studentId": "Student",
    "schoolId": "School",
    "lessonId": "Lesson",
    "chatId": "Chat",
    "userId": "User",
    "districtId": "District",
}
MUTATION_ROOTS = {"__schema", "__type", "__typename"}


def _named(t: dict[str, Any]) -> tuple[str, str, bool]:
    """(kind, name, required) of a wrapped type reference."""
    required = t["kind"] == "NON_NULL"
    while t.get("ofType") is not None:
        t = t["ofType"]
    return t["kind"], t["name"], required


@dataclass
class Schema:
    types: dict[str, dict[str, Any]]
    query: str

    def fields(self, name: str) -> list[dict[str, Any]]:
        return list(self.types[name].get("fields") or [])

    def is_node(self, name: str) -> bool:
        return name == "Node" or any(i["name"] == "Node" for i in self.types[name].get("interfaces") or [])

    def id_of(self, name: str) -> str:
        """How an object of a (possibly abstract) type is asked for its id, if it may have one."""
        if self.types[name]["kind"] == "OBJECT":
            return "id" if self.is_node(name) else ""
        possible = [p["name"] for p in self.types[name].get("possibleTypes") or []]
        return "... on Node { id }" if any(self.is_node(p) for p in possible) else ""


async def schema_of(client: Client) -> Schema:
    data = (await client.data(INTROSPECTION))["__schema"]
    return Schema({t["name"]: t for t in data["types"]}, data["queryType"]["name"])


def _arguments(f: dict[str, Any], world_ids: dict[str, list[str]]) -> list[str] | None:
    """The argument lists a field is crawled with ("" for none), or None when it cannot be."""
    window = {
        "Date": [(today_utc() - timedelta(days=60)).isoformat(), (today_utc() + timedelta(days=30)).isoformat()],
    }
    variants = [""]
    for arg in f["args"]:
        _, name, required = _named(arg["type"])
        if not required or arg["defaultValue"] is not None:
            continue
        values: list[str]
        if name == "Date":
            first, last = window["Date"]
            values = [json.dumps(first if arg["name"] != "to" else last)]
        elif name == "DateTime":
            values = [json.dumps(now_utc().isoformat())]
        elif name == "ID" and arg["name"] in ID_KINDS:
            values = [json.dumps(i) for i in world_ids.get(ID_KINDS[arg["name"]], [])]
        elif name == "Int":
            values = ["5"]
        elif name == "Boolean":
            values = ["true"]
        elif name == "String":
            values = ['"a"']
        else:
            return None
        if not values:
            return None
        variants = [f"{v}, {arg['name']}: {value}" for v in variants for value in values]
    return [f"({v.lstrip(', ')})" if v else "" for v in variants]


@dataclass
class Path:
    """A chain of fields from the root: each step is ``alias: field(args)`` and, for an
    abstract type, the concrete type the step continues with."""

    steps: tuple[tuple[str, str], ...]  # (field with its arguments, "... on T" or "")
    type_name: str  # the concrete type at the end
    via: str  # "Parent.field" that returned the objects at the end

    def query(self, alias: str, tail: str) -> str:
        opened = "".join(f"{step} {{ {cond} {{ " if cond else f"{step} {{ " for step, cond in self.steps)
        closed = "".join(" } }" if cond else " }" for _, cond in self.steps)
        return f"{alias}: {opened}{tail}{closed}"


@dataclass
class Reached:
    """What the crawl collected: every Node object and the fields that returned it, and the
    fields a face answered."""

    via: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    answers: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)


@dataclass
class Selection:
    text: str
    objects: list[tuple[str, str]]  # (alias, field with its arguments)
    names: dict[str, str]  # alias -> field name


def _selection(schema: Schema, type_name: str, world_ids: dict[str, list[str]]) -> Selection:
    """Every field of a concrete type with arguments it can be given: scalars as they are,
    objects by ``__typename`` and ``id``."""
    parts = ["__typename", "id"] if schema.is_node(type_name) else ["__typename"]
    objects: list[tuple[str, str]] = []
    names: dict[str, str] = {}
    for n, f in enumerate(schema.fields(type_name)):
        if f["name"].startswith("__") or f["name"] == "id":
            continue
        variants = _arguments(f, world_ids)
        if variants is None:
            SKIPPED[f"{type_name}.{f['name']}"] += 1
            continue
        kind, target, _ = _named(f["type"])
        for v, args in enumerate(variants):
            alias = f"f{n}_{v}"
            names[alias] = f["name"]
            if kind in ("SCALAR", "ENUM"):
                parts.append(f"{alias}: {f['name']}{args}")
            else:
                parts.append(f"{alias}: {f['name']}{args} {{ __typename {schema.id_of(target)} }}")
                objects.append((alias, f"{f['name']}{args}"))
    return Selection(" ".join(parts), objects, names)


def _items(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if isinstance(value, list):
        return [x for v in value for x in _items(v)]
    return [value]


async def crawl(client: Client, schema: Schema, world: World, uid: int) -> Reached:
    world_ids: dict[str, list[str]] = {}
    for kind, pk in objects(world):
        world_ids.setdefault(kind, []).append(_gid(kind, pk))
    reached = Reached()
    frontier: list[Path] = []
    for f in schema.fields(schema.query):
        if f["name"] in MUTATION_ROOTS or f["name"] in ("node", "student"):
            continue
        variants = _arguments(f, world_ids)
        if variants is None:
            SKIPPED[f"Query.{f['name']}"] += 1
            continue
        kind, target, _ = _named(f["type"])
        if kind in ("SCALAR", "ENUM"):
            continue
        frontier += [Path(((f"{f['name']}{args}", ""),), target, f"Query.{f['name']}") for args in variants]
    seen = await _visible_roots(client, world_ids)
    frontier += [Path(((f"node(id: {json.dumps(gid)})", f"... on {kind}"),), kind, "Query.node") for kind, gid in seen]
    expanded: set[tuple[str, frozenset[str]]] = set()
    for _depth in range(DEPTH):
        following: list[Path] = []
        for start in range(0, len(frontier), BATCH):
            following += await _level(client, schema, frontier[start : start + BATCH], world_ids, reached, expanded)
        frontier = following
        if not frontier:
            break
    return reached


def _gid(kind: str, pk: int) -> str:
    from resolvers.core import to_global_id

    return to_global_id(kind, pk)


async def _visible_roots(client: Client, world_ids: dict[str, list[str]]) -> list[tuple[str, str]]:
    pairs = [(kind, gid) for kind, ids in sorted(world_ids.items()) for gid in ids]
    found = await visible(client, {gid for _, gid in pairs})
    return [(kind, gid) for kind, gid in pairs if gid in found]


async def visible(client: Client, ids: set[str]) -> set[str]:
    """The ids ``node`` returns to the viewer."""
    ordered = sorted(ids)
    found: set[str] = set()
    for start in range(0, len(ordered), 200):
        chunk = ordered[start : start + 200]
        body = "\n".join(f"n{i}: node(id: {json.dumps(g)}) {{ id }}" for i, g in enumerate(chunk))
        data = await client.data("query {\n" + body + "\n}")
        found |= {g for i, g in enumerate(chunk) if data[f"n{i}"] is not None}
    return found


async def _level(
    client: Client,
    schema: Schema,
    paths: list[Path],
    world_ids: dict[str, list[str]],
    reached: Reached,
    expanded: set[tuple[str, frozenset[str]]],
) -> list[Path]:
    """Ask every path for every field of its end; collect what came back; the next paths."""
    selections = {p.type_name: _selection(schema, p.type_name, world_ids) for p in paths}
    parts = [p.query(f"p{i}", selections[p.type_name].text) for i, p in enumerate(paths)]
    body = await client.post("query {\n" + "\n".join(parts) + "\n}")
    data = body.get("data") or {}
    if not data and len(paths) > 1:  # an error at a non-null root nulls the whole answer: one path at a time
        following: list[Path] = []
        for p in paths:
            following += await _level(client, schema, [p], world_ids, reached, expanded)
        return following
    following = []
    for i, p in enumerate(paths):
        ends = _items(_descend(data.get(f"p{i}"), p))
        selection = selections[p.type_name]
        for end in ends:
            if "id" in end:
                answer = {selection.names.get(k, k): v for k, v in end.items()}
                reached.answers.setdefault((end["__typename"], end["id"]), []).append(answer)
        for alias, call in selection.objects:
            got = [x for end in ends for x in _items(end.get(alias))]
            for concrete in sorted({x["__typename"] for x in got}):
                of_type = [x for x in got if x["__typename"] == concrete]
                via = f"{p.type_name}.{call.partition('(')[0]}"
                for x in of_type:
                    if "id" in x:
                        PROBES["crawl.reached"] += 1
                        reached.via.setdefault((concrete, x["id"]), set()).add(via)
                ids = frozenset(x.get("id", "") for x in of_type)
                key = (f"{via}>{concrete}" + ("" if all(ids) else "|".join(s for s, _ in p.steps)), ids)
                if key in expanded:
                    continue
                expanded.add(key)
                _, declared, _ = _named(_field(schema, p.type_name, call.partition("(")[0])["type"])
                cond = f"... on {concrete}" if declared != concrete else ""
                following.append(Path((*p.steps, (call, cond)), concrete, via))
    return following


def _field(schema: Schema, type_name: str, name: str) -> dict[str, Any]:
    return next(f for f in schema.fields(type_name) if f["name"] == name)


def _descend(value: Any, path: Path) -> Any:
    """The objects at the end of a path's answer (the answer is nested one alias-free key per step)."""
    for step, _ in path.steps[1:]:
        name = step.partition("(")[0]
        value = [v.get(name) for v in _items(value)]
    return value


def empty(value: Any) -> bool:
    return value in (None, [], {}, "", False) or (isinstance(value, dict) and not any(value.get("edges") or []))


def check(uid: int, reached: Reached, found: set[str]) -> list[tuple[Any, ...]]:
    """What breaks the rule, for one viewer: every object reached is one ``node`` returns, or
    a declared face (reached only through its declared places, answering only its face's fields)."""
    wrong: list[tuple[Any, ...]] = []
    for (kind, gid), via in sorted(reached.via.items()):
        PROBES["crawl.node"] += 1
        if gid in found:
            continue
        places = FACE_PLACES.get(kind, frozenset())
        if not via <= places:
            wrong.append((uid, "reached but not visible", kind, gid, sorted(via - places)))
            continue
        PROBES["crawl.face"] += 1
        for answer in reached.answers.get((kind, gid), []):
            extra = sorted(k for k, v in answer.items() if k not in ("__typename", "id") and not empty(v))
            if not set(extra) <= FACES.get(kind, set(extra)):
                wrong.append((uid, "a face answered more than its fields", kind, gid, extra, sorted(via)))
    return wrong


async def add_crossings(world: World) -> None:
    """The people the issue's cases need beyond the drawn world: a teacher of two schools who
    substitutes one lesson of a class they do not teach (in the first school) and teaches a
    class of the second; a parent with a child in each of two schools (a second child of the
    first school in the first class) invited to a meeting of the first school's two classes."""
    teacher = await new_user(world.tag, "substitute")
    for school in world.schools[:2]:
        await models.RoleGrant.create(user=teacher, role=models.Role.TEACHER, school=school)
    second = next(c for c in world.classes if c.school_id == world.schools[1].id)
    subject = next(s for s in world.subjects if s.school_id == second.school_id)
    world.assignments.append(
        await models.TeachingAssignment.create(teacher=teacher, school_class=second, subject=subject)
    )
    first = [c for c in world.classes if c.school_id == world.schools[0].id]
    lesson = next(x for x in world.lessons if x.school_class_id in {c.id for c in first})
    await models.Lesson.filter(id=lesson.id).update(teacher_id=teacher.id, original_teacher_id=lesson.teacher_id)
    parent = await new_user(world.tag, "two-schools")
    for n, klass in enumerate((first[0], second)):
        child = await models.Student.create(school_id=klass.school_id, full_name=f"Child {n} {world.tag}")
        await models.Enrollment.create(student=child, school_class=klass, start_date=today_utc() - timedelta(days=100))
        await models.Guardianship.create(guardian=parent, student=child)
        await models.RoleGrant.create(user=parent, role=models.Role.PARENT, school_id=klass.school_id)
    meeting = await models.Meeting.create(
        school_id=first[0].school_id,
        title=f"Meeting {world.tag}",
        starts_at=now_utc() + timedelta(days=3),
        ends_at=now_utc() + timedelta(days=3, hours=1),
        organiser=teacher,
    )
    for klass in first:
        await models.MeetingClass.create(meeting=meeting, school_class=klass)
    world.users += [teacher, parent]
