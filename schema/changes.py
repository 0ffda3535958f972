"""The change policy's check (CHANGELOG.md, "Change policy"): ``schema.graphql`` against the
last released schema (``docs/schema.released.graphql``), with graphql-core's schema diff.

A breaking change passes only when the CHANGELOG's ``[Unreleased]`` section records it: its
schema coordinate (``Type``, ``Type.field``, ``Type.field(arg:)``, ``Enum.VALUE``,
``@directive``, ``@directive(arg:)``: the names graphql-core's descriptions use) in backticks
under ``### Changed`` or ``### Removed``, or graphql-core's description of it verbatim. A field
or argument is also recorded by its field (for an argument) or by the same coordinate on an
interface its type implements (```Error.code``` records the change on every error type).
Dangerous changes (a value added to an enum, a default changed...) are printed as warnings, and
so is a field or enum value removed without having been deprecated in the released schema.

``python server.py schema-check`` (``make schema-check``; ``.ci/run`` runs it with the lint).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from graphql import GraphQLEnumType, GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema, build_schema
from graphql.utilities.find_schema_changes import (
    BreakingChange,
    BreakingChangeType,
    DangerousChange,
    DangerousChangeType,
    find_schema_changes,
)

BASELINE = Path("docs/schema.released.graphql")
SCHEMA = Path("schema.graphql")
CHANGELOG = Path("CHANGELOG.md")
UNRELEASED = "Unreleased"
RECORDING_SECTIONS = ("Changed", "Removed")

_NAME = r"[_A-Za-z][_0-9A-Za-z]*"
# Where graphql-core's description of a breaking change names what changed.
_COORDINATE = re.compile(rf"@?{_NAME}(?:\.{_NAME})?(?:\({_NAME}:\))?")
_UNION = re.compile(rf"was removed from union type ({_NAME})\.")
_DIRECTIVE = re.compile(rf"(@{_NAME})")
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_COMMENT = re.compile(r"<!--.*?-->", re.S)


@dataclass
class Report:
    """What the check found: each breaking change with whether the CHANGELOG records it."""

    recorded: list[BreakingChange] = field(default_factory=list)
    unrecorded: list[BreakingChange] = field(default_factory=list)
    dangerous: list[DangerousChange] = field(default_factory=list)
    undeprecated: list[str] = field(default_factory=list)  # removed without a deprecation first

    @property
    def ok(self) -> bool:
        return not self.unrecorded

    def lines(self) -> list[str]:
        out = [f"breaking, recorded in the CHANGELOG: {c.description}" for c in self.recorded]
        out += [f"warning: dangerous change: {c.description}" for c in self.dangerous]
        out += [f"warning: removed without a deprecation first: {name}" for name in self.undeprecated]
        out += [f"error: breaking change not recorded in the CHANGELOG: {c.description}" for c in self.unrecorded]
        if self.unrecorded:
            out.append(
                f"Record each one under `## [{UNRELEASED}]`, `### Changed` or `### Removed` of {CHANGELOG}, "
                "naming its coordinate in backticks (e.g. `Type.field`), with what clients do instead."
            )
        return out


def coordinate(change: BreakingChange) -> str | None:
    """The schema coordinate a breaking change is about, from graphql-core's description."""
    text = change.description
    if change.type is BreakingChangeType.TYPE_REMOVED_FROM_UNION:
        match = _UNION.search(text)
        return match.group(1) if match else None
    if change.type in (BreakingChangeType.DIRECTIVE_REPEATABLE_REMOVED, BreakingChangeType.DIRECTIVE_LOCATION_REMOVED):
        match = _DIRECTIVE.search(text)
        return match.group(1) if match else None
    words = text.removeprefix("Standard scalar ").split()
    for word in words:
        token = word.rstrip(".")
        if _COORDINATE.fullmatch(token) and ("." in token or "(" in token or token.startswith("@")):
            return token
    # Type-level changes (removed, changed kind, no longer implements): the first word.
    first = words[0].rstrip(".") if words else ""
    return first if _COORDINATE.fullmatch(first) else None


def recorded_coordinates(changelog: str) -> tuple[set[str], str]:
    """The code spans of the ``[Unreleased]`` section's Changed and Removed subsections, and
    their whole text (for descriptions recorded verbatim). HTML comments (notes for the
    maintainers, invisible to readers) record nothing."""
    changelog = _COMMENT.sub("", changelog)
    section = _section(changelog, 2, lambda title: title.strip("[] ") == UNRELEASED)
    text = "\n".join(_section(section, 3, lambda title: title in RECORDING_SECTIONS, every=True).splitlines())
    return {span.strip() for span in _CODE_SPAN.findall(text)}, text


def _section(text: str, level: int, wanted: Callable[[str], bool], every: bool = False) -> str:
    """The body of the first (or every) heading of ``level`` whose title ``wanted`` accepts."""
    marker = "#" * level + " "
    found: list[str] = []
    inside = False
    for line in text.splitlines():
        heading = re.match(r"(#+) ", line)
        if heading and len(heading.group(1)) <= level:
            if inside and not every:
                break
            inside = line.startswith(marker) and wanted(line[len(marker) :].strip())
            continue
        if inside:
            found.append(line)
    return "\n".join(found)


def _covering(schema: GraphQLSchema, name: str) -> set[str]:
    """The coordinates that record a change of ``name``: itself, its field (for an argument),
    and the same on each interface its type implements."""
    names = {name}
    field_part, _, argument = name.partition("(")
    if argument:
        names.add(field_part)
    type_name, dot, member = field_part.partition(".")
    owner = schema.get_type(type_name) if dot and not type_name.startswith("@") else None
    if isinstance(owner, (GraphQLObjectType, GraphQLInterfaceType)):
        for interface in owner.interfaces:
            names.add(f"{interface.name}.{member}")
            if argument:
                names.add(f"{interface.name}.{member}({argument}")
    return names


def _deprecated(schema: GraphQLSchema, name: str) -> bool:
    type_name, _, member = name.partition(".")
    owner = schema.get_type(type_name)
    if isinstance(owner, (GraphQLObjectType, GraphQLInterfaceType)) and member in owner.fields:
        return owner.fields[member].deprecation_reason is not None
    if isinstance(owner, GraphQLEnumType) and member in owner.values:
        return owner.values[member].deprecation_reason is not None
    return False


def check(baseline: str, current: str, changelog: str) -> Report:
    """Compare two SDL documents; ``changelog`` is the CHANGELOG's text."""
    old, new = build_schema(baseline), build_schema(current)
    recorded, text = recorded_coordinates(changelog)
    report = Report()
    for change in find_schema_changes(old, new):
        if isinstance(change, DangerousChange) and isinstance(change.type, DangerousChangeType):
            report.dangerous.append(change)
            continue
        if not (isinstance(change, BreakingChange) and isinstance(change.type, BreakingChangeType)):
            continue
        name = coordinate(change)
        verbatim = change.description.rstrip(".") in text
        if verbatim or (name is not None and _covering(old, name) & recorded):
            report.recorded.append(change)
        else:
            report.unrecorded.append(change)
        removed = change.type in (BreakingChangeType.FIELD_REMOVED, BreakingChangeType.VALUE_REMOVED_FROM_ENUM)
        if removed and name is not None and not _deprecated(old, name):
            report.undeprecated.append(name)
    return report


def run(
    root: Path, baseline: Path = BASELINE, schema: Path = SCHEMA, changelog: Path = CHANGELOG
) -> tuple[bool, list[str]]:
    """The check on these files (relative to ``root``): whether every breaking change is
    recorded, and the report's lines."""
    report = check(
        (root / baseline).read_text(encoding="utf-8"),
        (root / schema).read_text(encoding="utf-8"),
        (root / changelog).read_text(encoding="utf-8"),
    )
    breaking = len(report.recorded) + len(report.unrecorded)
    summary = (
        f"{schema} against {baseline}: {breaking} breaking ({len(report.unrecorded)} not recorded), "
        f"{len(report.dangerous)} dangerous"
    )
    return report.ok, [*report.lines(), summary]
