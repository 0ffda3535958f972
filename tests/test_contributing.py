"""The guide matches the code: every file or folder that ``CONTRIBUTING.md`` and the README's
"The path of a grade" name exists, and the path names every file the grade crosses in
tests/test_grade_path.py's packages that a reader must open (the mutation, the service, the
policy, the outbox, the stream)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PATHLIKE = re.compile(r"`([A-Za-z_][\w./-]*(?:\.py|\.md|\.po|\.graphql|/))`")


def _named(text: str) -> set[str]:
    return {m for m in PATHLIKE.findall(text) if "/" in m or m.endswith(".md")}


def _grade_path() -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("### The path of a grade")
    return readme[start : readme.index("\n## ", start)]


def test_every_path_the_guide_names_exists() -> None:
    named = _named((ROOT / "CONTRIBUTING.md").read_text())
    assert len(named) > 30  # the guide does name the places it speaks of
    missing = sorted(p for p in named if not (ROOT / p).exists())
    assert not missing, f"CONTRIBUTING.md names what is not there: {missing}"


def test_the_grade_path_names_existing_files_and_the_steps_that_matter() -> None:
    named = _named(_grade_path())
    missing = sorted(p for p in named if not (ROOT / p).exists())
    assert not missing, f"the README's grade path names what is not there: {missing}"
    for step in (
        "schema/grades.py",
        "resolvers/grades.py",
        "resolvers/policy/diary.py",
        "resolvers/outbox.py",
        "schema/websocket.py",
    ):
        assert step in named
