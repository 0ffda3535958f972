"""Which tests are a module's: the table of ``tests/README.md``, for every module of ``server.py``,
``schema/``, ``resolvers/``, ``pubsub/``, ``edge/`` and ``demo/``.

A module's tests are ``test_<module>.py`` wherever it is under ``tests/`` (``resolvers/grades.py``
and ``schema/grades.py``: ``tests/grades/test_grades.py``), unless ``TESTS`` names them: the
modules whose tests have another name, or more than one. ``tests/test_layout.py`` fails when a
module has no tests here, names a test file that does not exist, or when ``tests/README.md`` is
not what this writes: ``.venv/bin/python -m tests.module_map`` rewrites it."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS_DIR = ROOT / "tests"
README = TESTS_DIR / "README.md"
PACKAGES = ("schema", "resolvers", "pubsub", "edge", "demo")

# Paths under tests/. A module listed here has exactly these tests.
_ACCESS_POLICY = ["access/test_policy.py", "access/test_no_leaks.py", "access/test_reachability.py"]
TESTS: dict[str, list[str]] = {
    "server.py": ["api/test_http.py", "edge/test_production_start.py", "live/test_scale_out.py"],
    # schema/
    "schema/__init__.py": [
        "api/test_schema.py",
        "api/test_resolving.py",
        "live/test_subscriptions.py",
        "live/test_live.py",
    ],
    "schema/access.py": ["access/test_access_requests.py"],
    "schema/access_list.py": ["access/test_access_requests.py", "api/test_pagination.py"],
    "schema/account_admin.py": ["admin/test_accounts_admin.py", "access/test_account_scope.py"],
    "schema/accounts.py": ["access/test_auth.py", "access/test_sessions.py", "access/test_second_factor.py"],
    "schema/bells.py": ["admin/test_calendar_admin.py"],
    "schema/calendar.py": ["admin/test_calendar_admin.py"],
    "schema/changes.py": ["api/test_schema_changes.py"],
    "schema/chat_list.py": ["chats/test_chats.py", "chats/test_people_search.py"],
    "schema/chat_mutations.py": ["chats/test_chats.py"],
    "schema/days_off.py": ["admin/test_calendar_admin.py"],
    "schema/deliveries.py": ["notices/test_notifications.py"],
    "schema/enrollment.py": ["admin/test_transfers.py", "admin/test_transfer_windows.py", "admin/test_org_admin.py"],
    "schema/enums.py": ["api/test_schema.py", "notices/test_event_kinds.py"],
    "schema/errors.py": ["api/test_error_codes.py", "api/test_messages.py"],
    "schema/gates.py": [
        "api/test_limits.py",
        "api/test_error_codes.py",
        "edge/test_metrics.py",
        "edge/test_rate_limits.py",
        "faults/test_faults_database.py",
        "access/test_gates.py",
    ],
    "schema/faces.py": ["access/test_reachability.py"],
    "schema/identity.py": ["identity/test_external_login.py", "identity/test_identity_links.py"],
    "schema/mutation.py": ["api/test_schema.py", "access/test_gates.py"],
    "schema/notification_preferences.py": ["notices/test_notifications.py"],
    "schema/org.py": ["admin/test_org_admin.py"],
    "schema/pages.py": ["api/test_pagination.py", "api/test_cursors.py"],
    "schema/persisted.py": ["api/test_persisted_queries.py"],
    "schema/query.py": ["api/test_schema.py", "api/test_nodes.py", *_ACCESS_POLICY],
    "schema/registration.py": ["access/test_access_requests.py", "access/test_oracles.py"],
    "schema/scalars.py": ["api/test_hostile_input.py", "api/test_schema.py"],
    "schema/stored_text.py": ["api/test_hostile_input.py"],
    "schema/subscription.py": ["live/test_subscriptions.py", "live/test_streams.py"],
    "schema/timetable.py": ["admin/test_timetable_admin.py", "grades/test_diary.py", "admin/test_group_timetable.py"],
    "schema/lessons.py": ["admin/test_timetable_admin.py", "grades/test_diary.py"],
    "schema/schools.py": ["admin/test_org_admin.py", "grades/test_scales.py"],
    "schema/students.py": ["grades/test_diary.py", "admin/test_transfers.py"],
    "schema/users.py": ["api/test_nodes.py", "chats/test_people_search.py"],
    "schema/files.py": ["classwork/test_files.py", "classwork/test_file_access.py"],
    "schema/tracing.py": ["edge/test_metrics.py"],
    "schema/types.py": ["api/test_nodes.py", "api/test_statements.py", "access/test_reachability.py"],
    "schema/viewer.py": ["api/test_schema.py", "access/test_policy.py"],
    "schema/websocket.py": [
        "live/test_subscriptions.py",
        "access/test_access_ends_sockets.py",
        "api/test_limits.py",
        "live/test_socket_counts.py",
        "live/test_sockets.py",
        "live/test_keepalive.py",
    ],
    "schema/absence.py": ["classwork/test_absence_notices.py"],
    # resolvers/
    "resolvers/absence.py": ["classwork/test_absence_notices.py"],
    "resolvers/identity.py": ["identity/test_external_login.py", "identity/test_identity_links.py"],
    "resolvers/oidc.py": ["identity/test_external_login.py", "identity/test_esia_login.py"],
    "resolvers/access.py": ["access/test_access_requests.py"],
    "resolvers/access_list.py": ["access/test_access_requests.py", "api/test_pagination.py"],
    "resolvers/account_admin.py": ["admin/test_accounts_admin.py"],
    "resolvers/account_list.py": ["access/test_account_scope.py", "admin/test_accounts_admin.py"],
    "resolvers/accounts.py": ["access/test_auth.py", "access/test_sessions.py", "edge/test_rate_limits.py"],
    "resolvers/login_steps.py": ["access/test_second_factor.py", "access/test_auth.py"],
    "resolvers/averages.py": ["grades/test_progress.py", "grades/test_journal.py", "grades/test_scales.py"],
    "resolvers/bells.py": ["admin/test_calendar_admin.py"],
    "resolvers/codes.py": ["api/test_error_codes.py"],
    "resolvers/core.py": [
        "edge/test_clock.py",
        "api/test_nodes.py",
        "api/test_cursors.py",
        "api/test_messages.py",
        "grades/test_rollups.py",
        "api/test_statements.py",
        "faults/test_concurrency.py",
    ],
    "resolvers/days_off.py": ["admin/test_calendar_admin.py"],
    "resolvers/delivery.py": ["notices/test_notifications.py"],
    "resolvers/enrollment.py": ["admin/test_transfers.py", "admin/test_transfer_windows.py", "admin/test_org_admin.py"],
    "resolvers/errors.py": ["api/test_error_codes.py", "grades/test_grade_changes.py"],
    "resolvers/exports.py": ["grades/test_journal.py", "admin/test_accounts_admin.py"],
    "resolvers/files.py": [
        "classwork/test_files.py",
        "classwork/test_file_access.py",
        "access/test_access_ends_http.py",
    ],
    "resolvers/grades.py": ["grades/test_grades.py", "grades/test_scales.py", "grades/test_rollups.py"],
    "resolvers/inbox.py": ["notices/test_notifications.py", "api/test_cursors.py"],
    "resolvers/lessons.py": ["admin/test_timetable_admin.py", "classwork/test_attendance.py"],
    "resolvers/lesson_plan.py": [
        "admin/test_timetable_admin.py",
        "admin/test_calendar_admin.py",
        "admin/test_group_timetable.py",
    ],
    "resolvers/loaders.py": ["api/test_statements.py", "grades/test_rollups.py"],
    "resolvers/messages.py": ["chats/test_chats.py", "chats/test_chat_events.py"],
    "resolvers/notifier.py": ["notices/test_event_kinds.py", "notices/test_notifications.py"],
    "resolvers/org.py": ["admin/test_org_admin.py"],
    "resolvers/outbox.py": [
        "live/test_outbox.py",
        "live/test_streams.py",
        "live/test_subscriptions.py",
        "api/test_cursors.py",
        "live/test_live.py",
    ],
    "resolvers/pages.py": ["api/test_pagination.py", "api/test_cursors.py"],
    "resolvers/passwords.py": ["access/test_auth.py", "access/test_oracles.py"],
    "resolvers/people.py": ["chats/test_people_search.py"],
    "resolvers/registration.py": ["access/test_access_requests.py", "access/test_oracles.py"],
    "resolvers/reminders.py": ["planning/test_assessment_reminders.py"],
    "resolvers/roster_rows.py": ["admin/test_roster_import.py"],
    "resolvers/roster_write.py": ["admin/test_roster_import.py"],
    "resolvers/schools.py": ["admin/test_org_admin.py"],
    "resolvers/text.py": ["api/test_hostile_input.py", "chats/test_chats.py"],
    "resolvers/groups.py": [
        "admin/test_groups.py",
        "admin/test_group_timetable.py",
        "grades/test_group_writes.py",
        "grades/test_group_reads.py",
    ],
    "resolvers/timetable.py": ["admin/test_timetable_admin.py", "admin/test_group_timetable.py"],
    "resolvers/term_grades.py": ["grades/test_term_grades.py", "grades/test_group_finals.py"],
    "resolvers/sessions.py": [
        "access/test_sessions.py",
        "access/test_auth.py",
        "access/test_access_ends_http.py",
        "api/test_http.py",
        "admin/test_audit.py",
    ],
    "resolvers/school_days.py": ["grades/test_diary.py", "admin/test_calendar_admin.py"],
    "resolvers/calendar.py": ["admin/test_calendar_admin.py"],
    "resolvers/unavailable.py": ["faults/test_faults_database.py"],
    "resolvers/policy/__init__.py": _ACCESS_POLICY,
    "resolvers/policy/admin.py": ["access/test_account_scope.py", "access/test_gates.py", *_ACCESS_POLICY],
    "resolvers/policy/chats.py": ["chats/test_chats.py", *_ACCESS_POLICY],
    "resolvers/policy/diary.py": [
        "grades/test_diary.py",
        "grades/test_group_reads.py",
        "grades/test_group_teachers.py",
        "grades/test_group_finals.py",
        "grades/test_grades.py",
        "classwork/test_attendance.py",
        *_ACCESS_POLICY,
    ],
    "resolvers/policy/faces.py": ["access/test_reachability.py", "access/test_no_leaks.py"],
    "resolvers/policy/notices.py": ["notices/test_announcements.py", "notices/test_meetings.py", *_ACCESS_POLICY],
    "resolvers/policy/windows.py": [
        "admin/test_transfer_windows.py",
        "grades/test_group_reads.py",
        "grades/test_group_teachers.py",
        "grades/test_group_finals.py",
        *_ACCESS_POLICY,
    ],
    # pubsub/
    "pubsub/broker.py": [
        "live/test_subscriptions.py",
        "live/test_scale_out.py",
        "notices/test_event_kinds.py",
        "live/test_outbox.py",
        "live/test_live.py",
        "live/test_redis_connections.py",
        "faults/test_broker_loss.py",
    ],
    # edge/
    "edge/channels.py": ["notices/test_notifications.py"],
    "edge/faults.py": ["faults/test_faults_crash.py"],
    "edge/intake.py": [
        "edge/test_request_id.py",
        "api/test_http.py",
        "api/test_csrf.py",
        "api/test_cors.py",
        "api/test_hostile_input.py",
        "api/test_persisted_queries.py",
        "edge/test_rate_limits.py",
    ],
    "edge/logs.py": ["edge/test_logging.py"],
    "edge/storage.py": ["edge/test_storage_s3.py", "classwork/test_files.py", "classwork/test_file_access.py"],
    "edge/settings.py": ["edge/test_production_start.py", "edge/test_database_sessions.py", "api/test_cors.py"],
    # demo/
    "demo/chats.py": ["demo/test_demo.py"],
    "demo/data.py": ["demo/test_demo.py"],
    "demo/notices.py": ["demo/test_demo.py"],
    "demo/seed.py": ["demo/test_demo.py"],
}


def modules() -> list[str]:
    """Every module of the application's packages and ``server.py``, as paths from the root; a
    package's ``__init__.py`` only when it holds more than its docstring."""
    found = ["server.py"]
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            if path.name == "__init__.py":
                body = ast.parse(path.read_text()).body
                if all(isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) for node in body):
                    continue
            found.append(path.relative_to(ROOT).as_posix())
    return found


def test_files() -> list[str]:
    return sorted(p.relative_to(TESTS_DIR).as_posix() for p in TESTS_DIR.rglob("test_*.py"))


def tests_of(module: str) -> list[str]:
    if module in TESTS:
        return TESTS[module]
    path = Path(module)
    stem = path.parent.name if path.name == "__init__.py" else path.stem
    return [name for name in test_files() if Path(name).name == f"test_{stem}.py"]


def table() -> str:
    rows = []
    for module in modules():
        files = ", ".join(f"[{name}]({name})" for name in tests_of(module))
        rows.append(f"| `{module}` | {files} |")
    return "\n".join(["| module | its tests |", "| --- | --- |", *rows])


def readme() -> str:
    return f"""# The tests

Each folder holds the tests of one part of the code, named after it: `access/` (logging in,
sessions, the policy, the role gates, access ending, the no-leak crawl, whose pieces are in
`no_leaks/`), `grades/`, `classwork/` (attendance, homework, remarks, absence notices),
`admin/` (running a school), `chats/`, `notices/` (announcements, meetings, notifications),
`live/` (subscriptions), `faults/` (killed processes, lost services), `api/` (the API as a
client meets it: transport, schema, errors, limits, pagination, nodes), `edge/` (the process's
edge: settings, logs, metrics, request ids, rate limits, the clock) and `demo/`. The helpers
every test uses stay here at the top: `conftest.py` (the app, the database, the clock),
`factories.py`, `client.py`, `helpers.py`, `worlds.py`, `processes.py` (real server
processes), `sources.py` (the code, for tests that hold a rule over every module), `notifying.py`,
`chat_helpers.py`, `codes_seen.py`. Two tests here are about the code as a whole:
`test_layout.py` checks its layout and this table, `test_grade_path.py` how many files one
grade crosses on its way to a parent's socket. The benchmarks' own tests are in `bench/`
(tests and benchmarks never import each other; what both need is in `clients/`).

## Module → its tests

Generated by `tests/module_map.py` (`.venv/bin/python -m tests.module_map`); `tests/test_layout.py`
fails when a module has no row, a row names a missing file, or this table is out of date.

{table()}
"""


def problems() -> list[str]:
    existing = set(test_files())
    found = [f"{module} has no tests" for module in modules() if not tests_of(module)]
    found += [
        f"{module} names {name}, which does not exist"
        for module in TESTS
        for name in TESTS[module]
        if name not in existing
    ]
    found += [f"{module} is not a module" for module in TESTS if module not in modules()]
    return found


if __name__ == "__main__":
    if problems():
        sys.exit("\n".join(problems()))
    README.write_text(readme())
