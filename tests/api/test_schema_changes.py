"""The change policy's check (`make schema-check`, schema/changes.py): a breaking change to the
schema fails unless the CHANGELOG's [Unreleased] section records it under Changed or Removed;
additions pass, dangerous changes are warnings. Run as CI runs it, on files of the test's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from schema import changes
from server import main

BASELINE = '''
"""Something that went wrong."""
interface Error { code: String!  message: String! }
type NotFoundError implements Error { code: String!  message: String! }
enum Role { STUDENT PARENT GUEST @deprecated(reason: "Nobody is a guest.") }
type Query {
  viewer: String
  legacyCount: Int @deprecated(reason: "Use viewer; removed after 2027-03-01.")
  people(first: Int, limit: Int): [String!]!
  role: Role
  error: Error
}
'''

CHANGELOG = """# Changelog

## Change policy

Breaking changes are recorded under [Unreleased], e.g. `Query.viewer` (this mention counts for nothing).

## [Unreleased]

### Added

{added}

### Changed

{changed}

### Removed

{removed}

## [0.1.0] - 2026-12-06

### Removed

- `Query.oldest`
"""


def _changelog(added: str = "", changed: str = "", removed: str = "") -> str:
    return CHANGELOG.format(added=added, changed=changed, removed=removed)


def _check(tmp_path: Path, schema: str, changelog: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """``server.py schema-check`` on these files: its exit status and what it printed."""
    (tmp_path / "released.graphql").write_text(BASELINE)
    (tmp_path / "schema.graphql").write_text(schema)
    (tmp_path / "CHANGELOG.md").write_text(changelog)
    status = main(
        [
            "schema-check",
            f"--baseline={tmp_path / 'released.graphql'}",
            f"--schema={tmp_path / 'schema.graphql'}",
            f"--changelog={tmp_path / 'CHANGELOG.md'}",
        ]
    )
    return status, capsys.readouterr().out


WITHOUT_VIEWER = BASELINE.replace("  viewer: String\n", "")


def test_a_removed_field_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = _check(tmp_path, WITHOUT_VIEWER, _changelog(), capsys)
    assert status == 1
    assert "error: breaking change not recorded in the CHANGELOG: Field Query.viewer was removed." in out
    assert "warning: removed without a deprecation first: Query.viewer" in out


def test_a_removed_field_recorded_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = _check(tmp_path, WITHOUT_VIEWER, _changelog(removed="- `Query.viewer`: ask `me` instead."), capsys)
    assert status == 0, out
    assert "breaking, recorded in the CHANGELOG: Field Query.viewer was removed." in out


@pytest.mark.parametrize(
    "changelog",
    [
        _changelog(added="- `Query.viewer` went away."),  # not where breaking changes go
        _changelog(removed="- Query.viewer went away."),  # not a code span
        _changelog(removed="- `Query.view`"),  # another field
        CHANGELOG.format(added="", changed="", removed="").replace("`Query.oldest`", "`Query.viewer`"),  # released
        _changelog(removed="<!-- to record: `Query.viewer` -->"),  # a note to maintainers, not an entry
    ],
)
def test_a_removed_field_recorded_elsewhere_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], changelog: str
) -> None:
    status, _ = _check(tmp_path, WITHOUT_VIEWER, changelog, capsys)
    assert status == 1


def test_a_deprecated_field_removed_and_recorded_passes_without_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = BASELINE.replace('  legacyCount: Int @deprecated(reason: "Use viewer; removed after 2027-03-01.")\n', "")
    status, out = _check(tmp_path, schema, _changelog(removed="- `Query.legacyCount` (deprecated in 0.1.0)."), capsys)
    assert status == 0, out
    assert "warning" not in out


def test_added_fields_and_types_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    schema = BASELINE.replace("  viewer: String\n", "  viewer: String\n  me: String\n") + "type Extra { x: Int }\n"
    status, out = _check(tmp_path, schema, _changelog(), capsys)
    assert status == 0, out
    assert "0 breaking" in out


def test_a_dangerous_change_is_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = _check(tmp_path, BASELINE.replace("STUDENT PARENT", "STUDENT PARENT TEACHER"), _changelog(), capsys)
    assert status == 0, out
    assert "warning: dangerous change: Enum value Role.TEACHER was added." in out


def test_an_interface_field_records_its_implementations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    schema = BASELINE.replace("code: String!", "code: ErrorCode!") + "enum ErrorCode { NOT_FOUND }\n"
    status, out = _check(tmp_path, schema, _changelog(), capsys)
    assert status == 1
    assert "Field NotFoundError.code changed type from String! to ErrorCode!." in out
    status, out = _check(tmp_path, schema, _changelog(changed="- `Error.code` is an `ErrorCode`."), capsys)
    assert status == 0, out


def test_an_argument_is_recorded_by_itself_or_its_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    schema = BASELINE.replace("people(first: Int, limit: Int)", "people(first: Int)")
    assert _check(tmp_path, schema, _changelog(), capsys)[0] == 1
    assert _check(tmp_path, schema, _changelog(removed="- `Query.people(limit:)`: use `first`."), capsys)[0] == 0
    assert _check(tmp_path, schema, _changelog(changed="- `Query.people` pages with `first`."), capsys)[0] == 0


def test_a_description_pasted_verbatim_records_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = _check(tmp_path, WITHOUT_VIEWER, _changelog(changed="- Field Query.viewer was removed."), capsys)
    assert status == 0, out


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ("Role { STUDENT PARENT", "Role { STUDENT", "Role.PARENT"),
        ("type NotFoundError implements Error", "type NotFoundError", "NotFoundError"),
        ("  role: Role\n", "  role: Role\n  other(id: ID!): Int\n", None),  # a new field: not breaking
    ],
)
def test_coordinates_of_breaking_changes(before: str, after: str, expected: str | None) -> None:
    report = changes.check(BASELINE, BASELINE.replace(before, after), _changelog())
    assert [changes.coordinate(c) for c in report.unrecorded] == ([expected] if expected else [])
