"""What every service uses: the one clock, global ids, messages for people, hand-written and
compiled statements, and row locks. One section each, in that order.

The clock
    Every "what is now / today" in the project reads it (a process edge): ``now_utc()``,
    ``today_utc()``. By default it is the system's clock. Two ways move it:

    - ``EDIARY_NOW`` (an ISO date or datetime; a date means 09:00 in Moscow, a datetime without
      an offset is refused) starts the process's clock at that instant, and it ticks from there:
      ``EDIARY_NOW=2027-03-15 make run`` serves the demo district as it is on 15 March 2027.
      The offset it makes is written back to the environment as ``EDIARY_CLOCK_OFFSET``
      (seconds), so that processes started by this one (test servers, workers) share the same
      timeline.
    - Tests call ``travel(instant)`` or ``freeze(instant)``, context managers that restore the
      clock when they end.

    The ORM's ``auto_now``/``auto_now_add`` timestamps and token expiry read this clock too, so
    a moved clock moves everything together; nothing else in the project calls ``datetime.now``
    or ``date.today`` (``tests/edge/test_clock.py`` fails if something does).

Global ids
    Opaque ids: base64 of ``"<TypeName>:<primary key>"`` (``to_global_id``, ``from_global_id``,
    ``pk_of``). Clients must treat them as opaque strings; the encoding lets ``node(id)`` find
    the type.

Messages
    Messages for people, in Russian and English, from the gettext catalogues under ``locales/``.
    A message is written in English as the catalogue's id and wrapped where it is written:
    ``_("Log in first.")``, ``_("At most {limit} per {seconds} seconds.", limit=5, seconds=60)``,
    ``ngettext("{n} lesson", "{n} lessons", n)``. Either gives a ``Text``: the id and its
    parameters, not yet a string, so that a message made where the language is not known (a
    module constant, a domain exception) is rendered where it is shown, in the language of
    whoever reads it: ``text.render(locale)``, or ``str(text)`` in the locale of the request or
    operation being served (``use``, set at the process edge from ``Accept-Language`` or a
    socket's ``connection_init`` payload ``locale``; the deployment's ``EDIARY_DEFAULT_LOCALE``
    elsewhere). Parameters are formatted after translation (``str.format``), so a translation
    may reorder them.

    The ``.po`` files are the source (``make messages`` extracts the ids from the code and
    updates them); they are compiled in memory with Babel when the app is created
    (``server.create_app``), so a fresh clone needs no build step. Russian plurals follow the
    catalogue's ``Plural-Forms`` (Babel's rule for ``ru``: 1 урок, 2 урока, 5 уроков, 11 уроков,
    21 урок).

    ``current()`` is the request's or operation's locale (a contextvar, set at the process edge:
    ``LocaleMiddleware`` for HTTP, ``server.SubscriptionView`` for a socket), and the same value
    is ``Context.locale`` for resolvers that hold the context.

Statements
    Hand-written SQL for the few hot paths where one statement must replace several
    (``fetch``, ``insert``); write ``?`` placeholders, they are rewritten to ``$n`` for
    PostgreSQL. And statements the ORM compiles once and runs again and again
    (``first_column``, ``embedded_once``, ``Reusable``), whose reads of one text asked in the
    same turn of the event loop go to the database as one statement.

Row locks
    Locks that serialise a check and the write it allows: the first statement of the write's
    transaction, before the check reads anything (``lock_child``, ``lock_chat``).

    Some rules span several rows and a race breaks them however careful the check: two notices
    for one child and day each see no overlap and both are written; two admins leaving a chat
    at once each see the other stay. A constraint would need an exclusion constraint over date
    ranges (``btree_gist``, not installed) or a rule over a set of rows (a chat's admins), so the
    writes that can break such a rule lock the rule's parent row first (the child, the chat):
    the second writer waits until the first commits, then checks what the first wrote.

    On PostgreSQL that is ``SELECT ... FOR UPDATE`` of the parent row (a model query: Tortoise
    drops FOR UPDATE from a values()/values_list() query). SQLite has no row locks: a no-op
    UPDATE of the parent row takes the database's write lock at once, so the check and the
    write are serialised there too. Call these inside ``in_transaction()``."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import functools
import io
import os
import re
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from gettext import GNUTranslations
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, available_timezones

from babel import Locale, UnknownLocaleError, negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send
from tortoise import connections, fields
from tortoise import timezone as orm_timezone
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.models import Model
from tortoise.queryset import QuerySet, ValuesListQuery, ValuesQuery

import models
from edge import metrics

# --- the clock --------------------------------------------------------------------------

ENV_NOW = "EDIARY_NOW"
ENV_OFFSET = "EDIARY_CLOCK_OFFSET"
_DEFAULT_ZONE = ZoneInfo("Europe/Moscow")


MAX_ZONE_NAME = 64  # the longest IANA name is 32 characters


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_named(name: str | None) -> ZoneInfo | None:
    """The IANA time zone called ``name`` (exactly, e.g. ``Europe/Moscow``), or None for anything
    else: too long, not a name the system's database lists (so never a path that ZoneInfo would
    try to open, and never an OSError whose message shows where the database is installed)."""
    if not isinstance(name, str) or not 0 < len(name) <= MAX_ZONE_NAME or name not in _zone_names():
        return None
    try:
        return ZoneInfo(name)
    except (ValueError, OSError):  # listed but unreadable: not a zone either
        return None


class ClockSettingError(ValueError):
    """``EDIARY_NOW`` or ``EDIARY_CLOCK_OFFSET`` cannot be read."""


def parse_instant(text: str) -> datetime:
    """An ISO date (09:00 Moscow time that day) or an ISO datetime with an offset."""
    text = text.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(9, 0), tzinfo=_DEFAULT_ZONE).astimezone(UTC)
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise ClockSettingError(f"{ENV_NOW}={text!r} is neither an ISO date nor an ISO datetime") from None
    if instant.tzinfo is None:
        raise ClockSettingError(f"{ENV_NOW}={text!r} needs an offset (e.g. +03:00)")
    return instant.astimezone(UTC)


class _Clock:
    """The system clock shifted by ``offset``, or stopped at ``frozen``."""

    def __init__(self) -> None:
        self.offset = timedelta(0)
        self.frozen: datetime | None = None

    def now(self) -> datetime:
        if self.frozen is not None:
            return self.frozen
        return datetime.now(UTC) + self.offset


_clock = _Clock()


def now_utc() -> datetime:
    """Now, an aware UTC datetime."""
    return _clock.now()


def today_utc() -> date:
    return now_utc().date()


def _read_environment() -> None:
    offset, start = os.environ.get(ENV_OFFSET), os.environ.get(ENV_NOW)
    if offset:
        try:
            _clock.offset = timedelta(seconds=float(offset))
        except ValueError:
            raise ClockSettingError(f"{ENV_OFFSET}={offset!r} is not a number of seconds") from None
    elif start:
        _clock.offset = parse_instant(start) - datetime.now(UTC)
        os.environ[ENV_OFFSET] = repr(_clock.offset.total_seconds())


@contextlib.contextmanager
def travel(instant: datetime) -> Iterator[None]:
    """Inside the block the clock reads ``instant`` and ticks on from it."""
    if instant.tzinfo is None:
        raise ValueError("the clock takes aware datetimes only")
    saved = (_clock.offset, _clock.frozen)
    _clock.offset, _clock.frozen = instant - datetime.now(UTC), None
    try:
        yield
    finally:
        _clock.offset, _clock.frozen = saved


@contextlib.contextmanager
def real() -> Iterator[None]:
    """Inside the block the clock reads the machine's own time, whatever a run set it to: for
    tests that talk with a real process living in real time (an identity provider's tokens)."""
    saved = (_clock.offset, _clock.frozen)
    _clock.offset, _clock.frozen = timedelta(0), None
    try:
        yield
    finally:
        _clock.offset, _clock.frozen = saved


@contextlib.contextmanager
def freeze(instant: datetime) -> Iterator[None]:
    """Inside the block the clock reads ``instant`` and does not move."""
    if instant.tzinfo is None:
        raise ValueError("the clock takes aware datetimes only")
    saved = _clock.frozen
    _clock.frozen = instant.astimezone(UTC)
    try:
        yield
    finally:
        _clock.frozen = saved


def _orm_now() -> datetime:
    """Tortoise's own "now" (``auto_now``/``auto_now_add`` fields), from this clock."""
    now = now_utc()
    return now if orm_timezone.get_use_tz() else now.replace(tzinfo=None)


_read_environment()
# Tortoise stamps auto_now/auto_now_add fields through its module-level ``now()``; pointing it
# at this clock keeps created_at/updated_at on the same timeline as every rule that reads them.
orm_timezone.now = _orm_now


# --- global ids -------------------------------------------------------------------------

INTEGER_MAX = 2**31 - 1  # PostgreSQL's integer, the id columns of most tables
BIGINT_MAX = 2**63 - 1  # and its bigint (the outbox, chat events, notifications)


def largest_id(model: type[Model]) -> int:
    """The largest id ``model``'s id column holds."""
    return BIGINT_MAX if isinstance(model._meta.pk, fields.BigIntField) else INTEGER_MAX


def to_global_id(type_name: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def from_global_id(global_id: str) -> tuple[str, int] | None:
    """``(type name, pk)``, or ``None`` for anything that is not one of our ids."""
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        raw = base64.urlsafe_b64decode(padded.encode("ascii")).decode()
        type_name, _, pk = raw.partition(":")
        value = int(pk)
    except (binascii.Error, UnicodeError, ValueError):
        return None
    if not type_name or value <= 0 or value > 2**62:
        return None
    return type_name, value


def pk_of(global_id: str, type_name: str) -> int | None:
    """The primary key if ``global_id`` names an object of ``type_name``; None too for a key past
    what the table of the model of that name holds (PostgreSQL would refuse it as a value)."""
    parsed = from_global_id(global_id)
    if parsed is None or parsed[0] != type_name:
        return None
    model = getattr(models, type_name, None)
    if isinstance(model, type) and issubclass(model, Model) and parsed[1] > largest_id(model):
        return None
    return parsed[1]


# --- messages ---------------------------------------------------------------------------

LOCALES = ("ru", "en")
DOMAIN = "ediary"
CATALOGUES = Path(__file__).resolve().parent.parent / "locales"

FALLBACK = "en"  # outside any request (a test, a script): the settings' default is the edge's
_current: ContextVar[str | None] = ContextVar("locale", default=None)


@dataclass(frozen=True)
class Text:
    """A message to show a person: its English id (and plural id), its count and parameters,
    rendered in a locale when it is shown."""

    msgid: str
    params: Mapping[str, Any] = field(default_factory=dict)
    plural: str | None = None
    n: int | None = None

    def render(self, locale: str | None = None) -> str:
        translations = catalogue(locale or current())
        if self.plural is None:
            translated = translations.gettext(self.msgid)
        else:
            translated = translations.ngettext(self.msgid, self.plural, self.n or 0)
        params = {**self.params, "n": self.n} if self.n is not None else self.params
        return translated.format(**params) if params else translated

    def __str__(self) -> str:
        return self.render()

    def with_params(self, **params: Any) -> Text:
        """The same message with ``params`` added (one of several ids chosen, then filled in)."""
        return Text(self.msgid, {**self.params, **params}, self.plural, self.n)


def _(msgid: str, **params: Any) -> Text:
    """A message in the catalogues: ``msgid`` is its English text, ``{name}`` its parameters."""
    return Text(msgid, params)


def ngettext(singular: str, plural: str, n: int, **params: Any) -> Text:
    """A message that counts: ``{n}`` is the count, the form is chosen by the locale's rule."""
    return Text(singular, params, plural, n)


def render(message: str | Text, locale: str | None = None) -> str:
    """A message as shown in ``locale`` (default: the current one); a plain string as it is."""
    return message.render(locale) if isinstance(message, Text) else message


def current() -> str:
    """The locale of the request or operation being served (``use``, ``using``)."""
    return _current.get() or FALLBACK


def use(locale: str) -> None:
    """Serve the rest of this task (and the tasks it starts) in ``locale``: a socket, from its
    upgrade request and then its ``connection_init`` on."""
    _current.set(locale)


@contextlib.contextmanager
def using(locale: str) -> Iterator[None]:
    """Serve what runs inside in ``locale`` (an HTTP request), then the locale before."""
    token = _current.set(locale)
    try:
        yield
    finally:
        _current.reset(token)


class LocaleMiddleware:
    """The one place an HTTP request's locale is chosen: ``Accept-Language``, else the
    deployment's default (``EDIARY_DEFAULT_LOCALE``); every response of the request (the
    GraphQL view and its refusals, the journal download, a 500) is written in it. Pure ASGI.
    GraphQL sockets do not pass here (``server.App``): ``server.SubscriptionView`` reads the
    upgrade request's header and the ``connection_init`` payload's ``locale``."""

    def __init__(self, app: ASGIApp, default: str) -> None:
        self.app, self.default = app, default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with using(negotiate(Headers(scope=scope).get("accept-language")) or self.default):
            await self.app(scope, receive, send)


def negotiate(accept_language: str | None) -> str | None:
    """The best of ``LOCALES`` for an ``Accept-Language`` header (q-values honoured, ``ru-RU``
    and ``en-GB`` count as ``ru`` and ``en``), or None when it names none of them."""
    if not accept_language:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        if tag and tag != "*" and q > 0:
            ranked.append((-q, position, tag))
    preferred = [tag.replace("_", "-") for _q, _position, tag in sorted(ranked)]
    chosen = negotiate_locale(preferred, LOCALES, sep="-") if preferred else None
    return chosen.lower() if chosen else None


def locale_named(value: object) -> str | None:
    """One of ``LOCALES`` for a locale a client names (``ru``, ``ru-RU``, ``en_GB``), else None."""
    if not isinstance(value, str) or not value.strip() or len(value) > 35:
        return None
    try:
        language = Locale.parse(value.strip().replace("-", "_")).language
    except (ValueError, TypeError, UnknownLocaleError):
        return None
    return language if language in LOCALES else None


@cache
def catalogue(locale: str) -> GNUTranslations:
    """The compiled catalogue of ``locale``, read from its ``.po`` file once per process."""
    with (CATALOGUES / locale / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as po:
        catalog = read_po(po, locale=locale, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return GNUTranslations(compiled)


# --- statements -------------------------------------------------------------------------

M = TypeVar("M", bound=Model)
Compilable = QuerySet[Any] | ValuesListQuery[Any] | ValuesQuery[Any]

_PLACEHOLDER = re.compile(r"\?")


def dialect() -> str:
    """ "postgres" or "sqlite": the few statements that differ choose by it."""
    return str(connections.get("default").capabilities.dialect)


async def keep_session(connection: Any) -> None:
    """What asyncpg's pool does to a connection it takes back, instead of its default reset.

    The default sends one more statement after every query the ORM makes outside a
    transaction (``CLOSE ALL; UNLISTEN *; RESET ALL`` and the advisory-lock release): a second
    round trip for each. Nothing here leaves session state behind: no LISTEN (the broker is
    Redis), no session-level advisory lock, no SET outside a transaction, no cursor left open.
    asyncpg still rolls back a transaction left open before it calls this
    (tests/edge/test_database_sessions.py)."""


@functools.lru_cache(maxsize=1024)
def _numbered(sql: str) -> str:
    """``sql`` with its ``?`` placeholders numbered for PostgreSQL (``$1``, ``$2``...): once per
    statement text, not once per call (a write's statement has hundreds of them)."""
    counter = iter(range(1, sql.count("?") + 1))
    return _PLACEHOLDER.sub(lambda _m: f"${next(counter)}", sql)


async def fetch(sql: str, params: list[Any]) -> list[dict[str, Any]]:
    conn = connections.get("default")
    return list(await conn.execute_query_dict(*_sent(conn, sql, params)))


async def fetch_rows(sql: str, params: list[Any]) -> Sequence[Any]:
    """``fetch`` without a dict made of each row: the driver's own rows (asyncpg's ``Record``,
    SQLite's ``Row``), read by column name, ``row["name"]`` (never ``"name" in row``: SQLite's
    row answers that by value). For a statement of many rows and columns, whose dicts cost as
    much as a fifth of the statement (the diary's)."""
    conn = connections.get("default")
    _, rows = await conn.execute_query(*_sent(conn, sql, params))
    return list(rows)


def _sent(conn: Any, sql: str, params: list[Any]) -> tuple[str, list[Any]]:
    """A statement written with ``?`` placeholders and its values, as ``conn``'s driver takes them."""
    if conn.capabilities.dialect == "postgres":
        return _numbered(sql), params
    return sql, [p.isoformat() if isinstance(p, (date, datetime)) else p for p in params]


def columns(model: type[Model], alias: str) -> str:
    """Every column of ``model``'s table under ``alias``, each named ``<alias>_<column>`` (for
    ``hydrate`` with the prefix ``<alias>_``)."""
    return ", ".join(f'{alias}."{c}" AS "{alias}_{c}"' for c in model._meta.fields_db_projection.values())


def hydrate(model: type[M], row: dict[str, Any], prefix: str = "") -> M:
    """A model instance from ``prefix``-ed columns of a raw row, converted by the model's own
    fields exactly as the ORM does for its own queries."""
    columns = model._meta.fields_db_projection.values()
    values = {column: row[prefix + column] for column in columns if prefix + column in row}
    return model._init_from_db(**values)


# At most this many values in one statement (PostgreSQL's protocol and SQLite's default limit
# are 32767 and 32766): ``insert`` splits larger writes.
MAX_VALUES = 32000


async def insert(rows: Sequence[M]) -> list[M]:
    """Save the unsaved ``rows`` (instances of one model) with ``INSERT ... VALUES (...), (...)
    RETURNING id``, one statement (per ``MAX_VALUES`` values), and give each its id: what
    ``Model.create`` does for one row, for many in one round trip (``bulk_create`` returns no
    ids on PostgreSQL, so a caller that needs them would read the rows back). Values are
    converted by the model's own fields, as the ORM converts them for its own INSERT (defaults,
    ``auto_now_add``); no signals are sent (no model written this way has any)."""
    if not rows:
        return []
    meta = type(rows[0])._meta
    names = [name for name in meta.fields_db_projection if not meta.fields_map[name].generated]
    columns = ", ".join(f'"{meta.fields_db_projection[name]}"' for name in names)
    per_statement = max(1, MAX_VALUES // len(names))
    conn = connections.get("default")
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        values = [meta.fields_map[name].to_db_value(getattr(row, name), row) for row in chunk for name in names]
        if dialect() == "postgres":
            numbers = iter(range(1, len(values) + 1))
            groups = ", ".join("(" + ", ".join(f"${next(numbers)}" for _ in names) + ")" for _ in chunk)
        else:
            groups = ", ".join("(" + ", ".join("?" * len(names)) + ")" for _ in chunk)
        statement = f'INSERT INTO "{meta.db_table}" ({columns}) VALUES {groups} RETURNING "{meta.db_pk_column}"'
        found = await conn.execute_query_dict(statement, values)
        if len(found) != len(chunk):
            raise RuntimeError(f"INSERT INTO {meta.db_table} returned {len(found)} ids for {len(chunk)} rows")
        # The ids are drawn row by row in the VALUES list's order, so sorted they match ``chunk``
        # whatever order RETURNING lists them in (which neither database promises).
        ids = sorted(returned[meta.db_pk_column] for returned in found)
        for row, pk in zip(chunk, ids, strict=True):
            row.pk = pk
            row._saved_in_db = True
    return list(rows)


def placeholders(count: int) -> str:
    return ", ".join("?" * count) if count else "NULL"


# Statements compiled once per key: see ``first_column``.
_COMPILED: OrderedDict[Hashable, tuple[str, list[Any]]] = OrderedDict()
COMPILED_STATEMENTS = 1024


async def first_column(key: Hashable, build: Callable[[], Compilable]) -> list[Any]:
    """The first column of the rows of ``build()``, a statement that is the same every time
    for ``key`` (say, a viewer's live scope, re-checked before every event of every stream):
    the ORM builds and compiles it the first time, later runs reuse what it compiled.

    Why: compiling a scope of a few subqueries costs the ORM more CPU than the database
    takes to run it. Only for statements whose SQL and values depend on nothing but ``key``
    (never on today's date or the time); the last ``COMPILED_STATEMENTS`` keys are kept."""
    statement, params = _once(_COMPILED, key, lambda: _compiled(build()))
    _, rows = await connections.get("default").execute_query(statement, list(params))
    return [row[0] for row in rows]


def _once(
    cache: OrderedDict[Hashable, tuple[str, list[Any]]], key: Hashable, make: Callable[[], tuple[str, list[Any]]]
) -> tuple[str, list[Any]]:
    """``make()`` the first time for ``key`` (and the dialect), what it made after: the last
    ``COMPILED_STATEMENTS`` keys of ``cache`` are kept."""
    full_key = (dialect(), key)
    found = cache.get(full_key)
    if found is None:
        found = cache[full_key] = make()
        while len(cache) > COMPILED_STATEMENTS:
            cache.popitem(last=False)
    else:
        cache.move_to_end(full_key)
    return found


def _compiled(query: Compilable) -> tuple[str, list[Any]]:
    query._choose_db_if_not_chosen()
    query._make_query()
    statement, params = query.query.get_parameterized_sql()
    return statement, list(params)


def embedded(query: Compilable) -> tuple[str, list[Any]]:
    """``query`` as text with ``?`` placeholders and its values, to place inside a statement
    of ``fetch`` (say, a policy scope as ``u.id IN (...)``)."""
    statement, params = _compiled(query)
    if dialect() == "postgres":  # $1, $2... in order: ``fetch`` numbers them again
        statement = re.sub(r"\$\d+", "?", statement)
    else:  # an instant as the ORM's driver writes it (and compares it): ``fetch`` would write a "T"
        params = [p.isoformat(" ") if isinstance(p, datetime) else p for p in params]
    return statement, params


def embedded_member(outer: str, scope: str) -> str:
    """SQL true when ``outer`` (a column, or ``?``) is an id of ``scope`` (an embedded scope of
    ``values("id")``), tested row by row: the scope's row with that id, if any. For a few rows
    (the lesson and the 25 students of a grade write): the database reads each by its primary
    key and runs the scope's own subqueries (the viewer's classes, children...) once, where
    ``outer IN (scope)`` first builds the whole scope from every lesson or student of the
    district (240 to 380 ms for a grade write's three tests at 100,000 students; 2 ms this way).
    Not ``EXISTS``: the database would also plan the whole scope's build as an alternative,
    which doubled the statement's planning. Not for a test of many rows (one probe per row).
    The scope's values come before ``outer``'s in the statement's parameters."""
    return f"(SELECT 1 FROM ({scope}) scope_row WHERE scope_row.id = {outer} LIMIT 1) IS NOT NULL"


# Scopes compiled once per key: see ``embedded_once``.
_EMBEDDED: OrderedDict[Hashable, tuple[str, list[Any]]] = OrderedDict()


def embedded_once(key: Hashable, build: Callable[[], Compilable]) -> tuple[str, list[Any]]:
    """``embedded(build())``, compiled the first time for ``key`` and reused after (the last
    ``COMPILED_STATEMENTS`` keys are kept): for a scope asked on every write of a viewer (say,
    their visible lessons, whose compilation costs the ORM more CPU than the database takes to
    run it). As for ``first_column``, only for queries whose SQL and values depend on nothing
    but ``key`` (never on today's date or the time)."""
    statement, params = _once(_EMBEDDED, key, lambda: embedded(build()))
    return statement, list(params)


def joined_ids(column: str) -> str:
    """An aggregate of integer ``column`` into one text, "1,2,3" (NULL for no rows)."""
    if dialect() == "postgres":
        return f"string_agg(CAST({column} AS TEXT), ',')"
    return f"group_concat({column}, ',')"


# The texts of reusable statements, one copy each: many streams share a text (only their
# values differ), and an idle stream keeps its statement for hours.
_TEXTS: dict[str, str] = {}
_TEXTS_KEPT = 4096


@dataclass(frozen=True, slots=True)
class Reusable:
    """A statement the ORM compiles once and that runs again and again with one value changed
    (its ``slot``): a stream's read of its outbox, whose only moving part is the id it reads
    after. Compiling costs the ORM more CPU than the database takes to run it."""

    statement: str
    params: tuple[Any, ...]
    slot: int
    past: int  # a value of the slot past every row: the largest id of the query's table

    @classmethod
    def compile(
        cls,
        query: QuerySet[Any],
        marker: int,
        wrap: Callable[[str, str | None], str],
        then: Compilable | None = None,
    ) -> Reusable:
        """``query`` with ``marker`` as one of its values (the one that changes), put by
        ``wrap`` inside a larger statement together with ``then`` (a second query whose text
        ``wrap`` places after the first's), adding no values of its own."""
        statement, params = _compiled(query)
        slots = [i for i, value in enumerate(params) if value == marker]
        if len(slots) != 1:
            raise ValueError("the marker must be exactly one of the statement's values")
        second = None
        if then is not None:
            second, more = _compiled(then)
            if dialect() == "postgres":  # $1... of the second query follow the first's
                second = re.sub(r"\$(\d+)", lambda m: f"${int(m.group(1)) + len(params)}", second)
            params = [*params, *more]
        statement = wrap(statement, second)
        if len(_TEXTS) < _TEXTS_KEPT:
            statement = _TEXTS.setdefault(statement, statement)
        return cls(statement, tuple(params), slots[0], largest_id(query.model))

    async def rows(self, value: Any) -> list[dict[str, Any]]:
        """The rows, with ``value`` in the slot. Reads of the same text asked in the same turn
        of the event loop (the subscribers one event woke) go to the database as one statement
        (``_Batch``); inside a transaction, a read runs alone, in it."""
        params = list(self.params)
        params[self.slot] = value
        conn = connections.get("default")
        if isinstance(conn, TransactionalDBClient):  # a transaction's own: not shared
            return list(await conn.execute_query_dict(self.statement, params))
        return await _Batch.join(conn, self.statement, params, (self.slot, self.past))


# Reads batched into one statement at most; a batch of n reads runs the text for the next power
# of two (its last read repeated after the largest id: no rows), so the database's and the driver's statement
# caches hold a handful of texts per kind of read, not one per number of readers. A read is about
# 3 KB of SQL: 16 of them stay under what the driver keeps prepared (``edge/settings.py``,
# ``MAX_CACHEABLE_STATEMENT``); a text it does not keep is prepared again for every event.
BATCH_READS = 16
BRANCH = "batch__branch"


class _Batch:
    """The reads of one statement text waiting for the end of this turn of the event loop."""

    _open: dict[tuple[int, str], _Batch] = {}
    _running: set[asyncio.Task[None]] = set()  # the loop holds tasks weakly: these are held here

    def __init__(self, conn: Any, statement: str, nothing: tuple[int, int]) -> None:
        self.conn, self.statement, self.nothing = conn, statement, nothing
        self.reads: list[tuple[list[Any], asyncio.Future[list[dict[str, Any]]]]] = []

    @classmethod
    async def join(cls, conn: Any, statement: str, params: list[Any], nothing: tuple[int, int]) -> list[dict[str, Any]]:
        """``params`` read with the others of this turn; ``nothing``: (slot, value) that makes a
        read of this text return no rows, for the padding."""
        key = (id(conn), statement)
        batch = cls._open.get(key)
        if batch is None:
            batch = cls._open[key] = cls(conn, statement, nothing)
            asyncio.get_running_loop().call_soon(batch._close, key)
        future: asyncio.Future[list[dict[str, Any]]] = asyncio.get_running_loop().create_future()
        batch.reads.append((params, future))
        if len(batch.reads) >= BATCH_READS:
            batch._close(key)
        return await future

    def _close(self, key: tuple[int, str]) -> None:
        if self._open.get(key) is self:
            del self._open[key]
            task = asyncio.get_running_loop().create_task(self._run())
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _run(self) -> None:
        reads = [(params, future) for params, future in self.reads if not future.done()]
        if not reads:
            return
        try:
            if len(reads) == 1:
                metrics.STREAM_READS.labels("alone").inc()
                found = [list(await self.conn.execute_query_dict(self.statement, reads[0][0]))]
            else:
                metrics.STREAM_READS.labels("shared").inc(len(reads))
                found = await self._union([params for params, _ in reads])
        except BaseException as exc:  # every reader gets the failure it would have had alone
            for _, future in reads:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for (_, future), rows in zip(reads, found, strict=False):
            if not future.done():
                future.set_result(rows)

    async def _union(self, batch: list[list[Any]]) -> list[list[dict[str, Any]]]:
        size = 1 << (len(batch) - 1).bit_length()
        slot, past = self.nothing
        empty = list(batch[-1])
        empty[slot] = past  # reads after the largest id: the padding costs no rows
        padded = batch + [empty] * (size - len(batch))
        text = _union_text(self.statement, len(batch[0]), size)
        rows = await self.conn.execute_query_dict(text, [value for params in padded for value in params])
        found: list[list[dict[str, Any]]] = [[] for _ in batch]
        for row in rows:
            branch = row[BRANCH]
            if branch < len(batch):
                found[branch].append(row)
        return found


@functools.lru_cache(maxsize=64)
def _union_text(statement: str, count: int, size: int) -> str:
    """``size`` copies of ``statement`` (of ``count`` values each) as one statement, each row
    tagged with its copy's number; rows in each copy's own order."""
    postgres = dialect() == "postgres"
    branches = []
    for n in range(size):
        text = statement
        if postgres:  # $1... of copy n follow those of the copies before it
            text = re.sub(r"\$(\d+)", lambda m: f"${int(m.group(1)) + n * count}", statement)  # noqa: B023
        branches.append(f"SELECT {n} AS {BRANCH}, t{n}.* FROM ({text}) AS t{n}")
    return f'SELECT * FROM ({" UNION ALL ".join(branches)}) AS batch ORDER BY {BRANCH}, "id"'


# --- row locks --------------------------------------------------------------------------


async def _lock_row(model: type[Model], pk: int) -> None:
    if pk > largest_id(model):  # no such row (and PostgreSQL's int4 would refuse the parameter)
        return
    if dialect() == "postgres":
        await model.filter(id=pk).select_for_update().only("id")
        return
    table = model._meta.db_table
    await connections.get("default").execute_query(f'UPDATE "{table}" SET id = id WHERE id = ?', [pk])


async def lock_child(student_id: int) -> None:
    """A child's absence notices: no two cover the same day or lesson."""
    await _lock_row(models.Student, student_id)


async def lock_chat(chat_id: int) -> None:
    """A chat's members: one with members has an admin; the last one leaving deletes it."""
    await _lock_row(models.Chat, chat_id)
