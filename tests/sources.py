"""The application's own source, for tests that hold a rule over every module of it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSERTS = {"create", "bulk_create", "get_or_create", "update_or_create"}


def modules() -> list[Path]:
    """``server.py`` and every module of ``resolvers/``, ``edge/``, ``demo/``, ``schema/`` and ``pubsub/``."""
    return [
        ROOT / "server.py",
        *(p for d in ("resolvers", "edge", "demo", "schema", "pubsub") for p in sorted((ROOT / d).rglob("*.py"))),
    ]


def _builds(node: ast.AST, model: str) -> bool:
    """``node`` holds a ``models.<model>(...)`` call."""
    return any(
        isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr == model
        and isinstance(n.func.value, ast.Name)
        and n.func.value.id == "models"
        for n in ast.walk(node)
    )


def inserting(model: str, *, building: bool = False) -> set[str]:
    """The modules that insert ``models.<model>`` rows themselves (``create``, ``bulk_create``...,
    or ``core.insert([models.<model>(...), ...])``), and with ``building`` also those that build
    one (``models.<model>(...)``)."""
    found = set()
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            call = node.func
            inserts = call.attr in INSERTS and isinstance(call.value, ast.Attribute) and call.value.attr == model
            if call.attr == "insert" and isinstance(call.value, ast.Name) and call.value.id == "core":
                inserts = any(_builds(arg, model) for arg in node.args)
            # Building is ``models.<model>(...)``: ``audit_log.AuditEntry(model=m)`` is the
            # GraphQL type of the same name, made for a row read, not a row.
            builds = building and call.attr == model and isinstance(call.value, ast.Name) and call.value.id == "models"
            if inserts or builds:
                found.add(str(path.relative_to(ROOT)))
    return found
