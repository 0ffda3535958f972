"""The layout of the code holds (issue 19): the tests and the benchmarks never import each
other, the application imports neither them nor their shared clients, and the process-edge
modules and the demo seed stay out of ``resolvers/``, which is the domain only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests import module_map

ROOT = Path(__file__).resolve().parent.parent
APPLICATION = ("server.py", "schema", "resolvers", "edge", "demo", "models", "pubsub")
# What left resolvers/ for edge/ and demo/ (issue 19): none of them may come back.
EDGE = {"settings", "logs", "metrics", "intake", "channels", "faults", "socket_counts"}
DEMO = {"demo", "demo_data", "demo_chats", "demo_notices"}


def _python_files(*places: str) -> list[Path]:
    found: list[Path] = []
    for place in places:
        path = ROOT / place
        if path.is_file():
            found.append(path)
        else:
            found.extend(p for p in sorted(path.rglob("*.py")) if "migrations" not in p.parts)
    return found


def imported_packages(path: Path) -> set[str]:
    """The top-level packages ``path`` imports, wherever in the module the import is."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def importers(places: tuple[str, ...], forbidden: set[str]) -> list[str]:
    return sorted(
        f"{path.relative_to(ROOT)} imports {package}"
        for path in _python_files(*places)
        for package in imported_packages(path) & forbidden
    )


def test_tests_do_not_import_the_benchmarks() -> None:
    assert importers(("tests",), {"bench"}) == []


def test_the_benchmarks_do_not_import_the_tests() -> None:
    assert importers(("bench",), {"tests"}) == []


def test_the_application_imports_no_tests_benchmarks_or_clients() -> None:
    assert importers(APPLICATION, {"tests", "bench", "clients"}) == []


def test_the_guard_sees_each_form_of_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    bench, tests = "bench", "tests"  # spelt apart, so that grepping tests/ for these imports finds none
    sample.write_text(f"import {bench}.ws\nfrom {tests}.helpers import gid\n\ndef f():\n    from clients import ws\n")
    assert imported_packages(sample) == {"bench", "tests", "clients"}


def test_resolvers_holds_neither_the_process_edge_nor_the_demo() -> None:
    """``edge/`` holds settings, logs, metrics and the rest of the process's edge, ``demo/`` the
    demo seed (their ``__init__`` docstrings say what belongs there)."""
    names = {path.stem for path in (ROOT / "resolvers").rglob("*.py")}
    assert names & (EDGE | DEMO) == set()
    assert {path.stem for path in (ROOT / "edge").glob("*.py")} >= EDGE
    assert {path.stem for path in (ROOT / "demo").glob("*.py")} >= {"seed", "data", "chats", "notices"}


def test_every_module_has_its_tests_in_the_readme() -> None:
    """``tests/README.md``'s table names each module's tests (``tests/module_map.py`` writes it)."""
    assert module_map.problems() == []
    assert module_map.README.read_text() == module_map.readme(), "run: .venv/bin/python -m tests.module_map"


def test_the_table_check_sees_a_module_without_tests_and_a_missing_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(module_map.TESTS, "edge/logs.py", ["edge/test_no_such_file.py"])
    monkeypatch.setitem(module_map.TESTS, "edge/intake.py", [])
    assert module_map.problems() == [
        "edge/intake.py has no tests",
        "edge/logs.py names edge/test_no_such_file.py, which does not exist",
    ]
