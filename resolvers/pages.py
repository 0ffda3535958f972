"""Keyset pages for every Relay connection, by id or by a column then id, either way
(``first``/``after``, ``last``/``before``, at most ``MAX_PAGE`` a page), and the cursors of
every list and stream.

Cursors are opaque and sealed: the kind of list and the row's id in one 16-byte block,
encrypted with AES under a key derived from ``SECRET_KEY`` (a keyed pseudorandom permutation:
one block, so no mode of operation is involved). Ids are counters shared by everyone (an
outbox id grows with every event in the district), so a cursor that showed its id would let
anyone holding two of them count what other people did in between. A sealed cursor shows
nothing: two consecutive cursors look as unrelated as any two, and a cursor cannot be made
without the key, so one that was not issued here (forged, garbled, of another list, from
another ``SECRET_KEY``) is simply not a cursor (``decode`` returns None). Nor is one whose id
is past what the list's id column holds (``largest``): PostgreSQL's ``integer`` ids end at
2**31 - 1, the ``bigint`` ids of the outbox, chat events and notifications at 2**63 - 1, and
comparing a column with a larger number fails; such a cursor is an unknown cursor
(BAD_USER_INPUT), like any other this process did not issue. Changing
``SECRET_KEY`` invalidates every cursor clients hold: they refetch, as for any unknown
cursor."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Generic, Protocol, TypeVar

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

from resolvers import core
from resolvers.core import INTEGER_MAX, _, largest_id
from resolvers.errors import BadUserInput

M = TypeVar("M", bound=Model)
MAX_PAGE = 100
DEFAULT_PAGE = 20
_ID_BYTES = 8  # ids up to 2**64 - 1; the other half of the block names the kind


class _Seal:
    """The process's cursor cipher: AES-256 on a single block, keyed from ``SECRET_KEY``."""

    def __init__(self, secret_key: str) -> None:
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"ediary cursors v1")
        # One block at a time: ECB over a single block is the AES permutation itself.
        self.cipher = Cipher(algorithms.AES(hkdf.derive(secret_key.encode())), modes.ECB())  # noqa: S305
        # Kept open and never finalized: ECB without padding turns each whole block given to
        # ``update`` into its block at once, and a context costs more to make than a block
        # (a cursor is encoded for every delivered event).
        self.encryptor = self.cipher.encryptor()
        self.decryptor = self.cipher.decryptor()


_seal: _Seal | None = None


def use_secret(secret_key: str) -> None:
    """Seal this process's cursors with a key derived from ``secret_key`` (``SECRET_KEY``);
    the app factory (``server.create_app``) calls it. Every process behind one load balancer
    shares ``SECRET_KEY``, so a cursor from one is good on all."""
    global _seal
    _seal = _Seal(secret_key)


def _sealed() -> _Seal:
    if _seal is None:
        raise RuntimeError("cursors are sealed with SECRET_KEY: call pages.use_secret() first (create_app does)")
    return _seal


@cache
def _tag(kind: str) -> bytes:
    return hashlib.sha256(kind.encode()).digest()[: 16 - _ID_BYTES]


def encode(kind: str, pk: int) -> str:
    """The cursor of row ``pk`` in lists of ``kind``."""
    block = _sealed().encryptor.update(_tag(kind) + pk.to_bytes(_ID_BYTES, "big"))
    return base64.urlsafe_b64encode(block).decode().rstrip("=")


def decode(kind: str, cursor: str, largest: int = INTEGER_MAX) -> int | None:
    """The row id of a cursor issued by ``encode`` for ``kind``; None for anything else,
    including an id over ``largest`` (the list's id column cannot hold it)."""
    try:
        block = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode("ascii"))
    except (binascii.Error, UnicodeError, ValueError):
        return None
    if len(block) != 16:
        return None
    plain = _sealed().decryptor.update(block)
    if not hmac.compare_digest(plain[: 16 - _ID_BYTES], _tag(kind)):
        return None
    pk = int.from_bytes(plain[16 - _ID_BYTES :], "big")
    return pk if pk <= largest else None


@dataclass
class Page(Generic[M]):
    rows: list[M]
    has_next_page: bool
    has_previous_page: bool


def capped(name: str, value: int | None) -> int | None:
    """A page size as served: over ``MAX_PAGE`` it is cut to ``MAX_PAGE`` (the page's
    ``hasNextPage``/``hasPreviousPage`` say that more follow), so a request for too much still
    gets its other fields; a negative one is refused (BAD_USER_INPUT)."""
    if value is not None and value < 0:
        raise BadUserInput(_("`{name}` must be between 0 and {most}.", name=name, most=MAX_PAGE), argument=name)
    return None if value is None else min(value, MAX_PAGE)


def page_sizes(first: int | None, last: int | None) -> tuple[int | None, int | None]:
    """``first`` and ``last`` as served (``capped``); both at once are refused. Every
    connection asks this."""
    if first is not None and last is not None:
        raise BadUserInput(_("Pass `first` or `last`, not both."), argument="last")
    return capped("first", first), capped("last", last)


async def newest_first(
    scope: QuerySet[M],
    kind: str,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Page[M]:
    """One page of ``scope``, newest (highest id) first (``keyset`` with ``descending``)."""
    return await keyset(scope, kind, first, after, last, before, descending=True)


@dataclass(frozen=True)
class Window:
    """What a page request asks of a list, its cursors read: ``size`` rows (one more is
    fetched, to tell whether more lie that way) in the order ``order``; ``backward``: from the
    list's end (``last``), so the rows come in reverse and are turned round; ``after`` and
    ``before``: whether the request gave that cursor (a page after one has rows before it)."""

    bounds: tuple[Q, ...]
    order: tuple[str, ...]
    size: int
    backward: bool
    after: bool
    before: bool

    def query(self, scope: QuerySet[M]) -> QuerySet[M]:
        """``scope``'s rows of this page, and one more beyond its far end."""
        for bound in self.bounds:
            scope = scope.filter(bound)
        return scope.order_by(*self.order).limit(self.size + 1)

    def page(self, found: list[M]) -> Page[M]:
        """The page of the rows ``query`` found, in the list's order."""
        more = len(found) > self.size
        rows = found[: self.size]
        if self.backward:
            rows.reverse()
            return Page(rows, has_next_page=self.before, has_previous_page=more)
        return Page(rows, has_next_page=more, has_previous_page=self.after)


async def window(
    model: type[Model],
    kind: str,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    *,
    descending: bool,
    by: str | None = None,
    default_first: int = DEFAULT_PAGE,
    default_last: int | None = None,
) -> Window:
    """A page request of a list of ``model`` rows of ``kind`` cursors, read (``keyset``): one
    statement for each cursor of a list ``by`` a column (its row's value there), none else.
    A cursor that is not one of this list's is refused, naming its argument."""
    first, last = page_sizes(first, last)
    if first is None and last is None and default_last is not None:
        last = default_last
    bounds = []
    for arg, cursor, towards_end in (("after", after, True), ("before", before, False)):
        if cursor is not None:
            pk = decode(kind, cursor, largest_id(model))
            bound = None if pk is None else await _beyond(model, by, pk, greater=towards_end != descending)
            if bound is None:
                raise BadUserInput(_("`{argument}` is not a cursor of this list.", argument=arg), argument=arg)
            bounds.append(bound)
    order = [by, "id"] if by else ["id"]
    forward = [f"-{o}" for o in order] if descending else order
    backward = order if descending else [f"-{o}" for o in order]
    if last is not None:
        return Window(tuple(bounds), tuple(backward), last, True, after is not None, before is not None)
    size = default_first if first is None else first
    return Window(tuple(bounds), tuple(forward), size, False, after is not None, before is not None)


async def keyset(
    scope: QuerySet[M],
    kind: str,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    *,
    descending: bool,
    by: str | None = None,
    default_first: int = DEFAULT_PAGE,
    default_last: int | None = None,
) -> Page[M]:
    """One page of ``scope`` in id order (``descending``: newest first; else oldest first), or
    by the column ``by`` then id (``descending``: its largest values first), as Relay reads a
    connection: ``first`` rows from the start of the list (or just after the row ``after``), or
    the ``last`` rows of its end (or just before the row ``before``), always in the list's
    order, so ``before`` a page's first cursor is the page before it, with no overlap and no
    gap. Without ``first`` and ``last``: ``default_last`` rows from the end when given (a chat
    history opens on its newest messages), else ``default_first`` from the start. One
    statement, and one more for each cursor of a list ``by`` a column (``window``): one row
    more than asked tells whether more lie that way."""
    asked = await window(
        scope.model,
        kind,
        first,
        after,
        last,
        before,
        descending=descending,
        by=by,
        default_first=default_first,
        default_last=default_last,
    )
    return asked.page(list(await asked.query(scope)))


async def keyset_each(
    scopes: Mapping[int, QuerySet[M]],
    kind: str,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    *,
    descending: bool,
    by: str | None = None,
    default_first: int = DEFAULT_PAGE,
) -> dict[int, Page[M]]:
    """The same page (``keyset``) of each of several lists of one model (a school's audit log,
    for every school a district admin lists), in one statement for all of them, and one more
    for each cursor of a list ``by`` a column: each list's page is read as ``keyset`` reads it,
    and the reads are joined into one (``UNION ALL``)."""
    if not scopes:
        return {}
    model = next(iter(scopes.values())).model
    asked = await window(
        model, kind, first, after, last, before, descending=descending, by=by, default_first=default_first
    )
    parts, params = [], []
    for key, scope in scopes.items():
        statement, values = core.embedded(asked.query(scope))
        parts.append(f"SELECT {int(key)} AS page_list, page_rows.* FROM ({statement}) page_rows")
        params += values
    found: dict[int, list[M]] = {key: [] for key in scopes}
    for row in await core.fetch(" UNION ALL ".join(parts), params):
        found[int(row["page_list"])].append(core.hydrate(model, row))
    return {key: asked.page(rows) for key, rows in found.items()}


async def _beyond(model: type[Model], by: str | None, pk: int, greater: bool) -> Q | None:
    """The rows past row ``pk`` (after it when ``greater``) in the order of ``by`` then id;
    None when a list ``by`` a column has no row ``pk``."""
    op = "gt" if greater else "lt"
    if by is None:
        by_id: dict[str, Any] = {f"id__{op}": pk}
        return Q(**by_id)
    values = await model.filter(id=pk).values_list(by, flat=True)
    if not values:
        return None
    value: Any = values[0]
    past: dict[str, Any] = {f"{by}__{op}": value}
    level: dict[str, Any] = {by: value, f"id__{op}": pk}
    return Q(**past) | Q(**level)


class PageRequest(Protocol):
    """What a batched list's filter carries besides its own conditions: the page asked for."""

    @property
    def first(self) -> int | None: ...
    @property
    def after(self) -> str | None: ...
    @property
    def last(self) -> int | None: ...
    @property
    def before(self) -> str | None: ...


F = TypeVar("F", bound=PageRequest)


async def pages_by_owner(
    keys: Sequence[tuple[int, F]],
    scope: Callable[[F, int], QuerySet[M]],
    kind: str,
    *,
    descending: bool,
    by: str | None = None,
    default_first: int = DEFAULT_PAGE,
) -> list[Page[M] | BadUserInput]:
    """A loader's pages of lists that differ by owner (a school: its accounts, its audit log):
    for each ``(owner id, filter)`` key, the page of ``scope(filter, owner)``. One statement per
    distinct filter (normally one) for every owner asking it (``keyset_each``); a filter with a
    cursor that is not one of this list's is refused for the owners it asks, the others are
    served."""
    owners: dict[F, list[int]] = defaultdict(list)
    for owner, asked in keys:
        owners[asked].append(owner)
    found: dict[tuple[int, F], Page[M] | BadUserInput] = {}
    for asked, ids in owners.items():
        try:
            each: Mapping[int, Page[M] | BadUserInput] = await keyset_each(
                {owner: scope(asked, owner) for owner in ids},
                kind,
                asked.first,
                asked.after,
                asked.last,
                asked.before,
                descending=descending,
                by=by,
                default_first=default_first,
            )
        except BadUserInput as refused:
            each = dict.fromkeys(ids, refused)
        for owner, page in each.items():
            found[(owner, asked)] = page
    return [found[key] for key in keys]


@dataclass(frozen=True)
class PageArgs:
    """One page request of a connection (``keyset``'s arguments), sizes checked (``page_sizes``):
    with its owner's id, the key of a batched list's loader (``OwnedList``)."""

    first: int | None
    after: str | None
    last: int | None
    before: str | None

    @classmethod
    def of(cls, first: int | None, after: str | None, last: int | None, before: str | None) -> PageArgs:
        page_sizes(first, last)
        return cls(first, after, last, before)


@dataclass(frozen=True)
class OwnedList(Generic[M]):
    """A list each of many parents owns, served as a connection (a chat's members, a meeting's
    answers, a district's schools): its cursors' ``kind``, its order (``by`` then id), its
    default page, and ``scope``: what a viewer sees of one owner's list (the policy's). ``pages``
    is the loader's batch function: one statement per distinct page request, whatever the
    number of owners (``pages_by_owner``)."""

    kind: str
    by: str | None
    default_first: int
    scope: Callable[[Any, int], QuerySet[M]]
    descending: bool = False

    async def pages(self, viewer: Any, keys: Sequence[tuple[int, PageArgs]]) -> list[Page[M] | BadUserInput]:
        return await pages_by_owner(
            keys,
            lambda _asked, owner: self.scope(viewer, owner),
            self.kind,
            descending=self.descending,
            by=self.by,
            default_first=self.default_first,
        )
