"""What every operation passes on its way to the resolvers: the abuse limits on its document,
the schema extensions around it, and the permission gates of its root fields. Fine-grained
visibility lives in ``resolvers/policy``.

**1. Limits** (README, "Abuse limits"): depth, aliases, tokens and cost. Depth and aliases are
graphql-core validation rules, so they run once per document and their verdict is cached with
the rest of validation; the token ceiling is enforced by the parser itself, which stops reading
at the limit. Cost depends on the variables, so it is measured for each operation that runs,
by the executor (``limited_execution``) once it has coerced the request's variables: the same
step for queries, mutations and subscriptions, over HTTP and WebSocket. Every refusal is a
GraphQL error with ``extensions: {code: QUERY_TOO_COMPLEX, rule, limit, actual}``. The rules
walk the document against the schema, so new fields and mutations are covered without being
listed here.

Cost: a field costs 1 plus its selections' cost, and a list field multiplies its selections'
cost by its page size: its ``first``/``last``/``limit`` argument as execution will see it (at
most ``MAX_PAGE``, as connections serve larger sizes; a literal, the variable's value, the
variable's default, the argument's default), else that of the field just above it (a Relay
connection's ``edges``/``nodes`` take the connection's ``first``), else ``default_list_size``
for an unpaginated list. ``__typename`` and introspection (``__schema``, ``__type``) cost
nothing and do not count towards depth: introspection is switched off in production instead.

**2. Extensions**, in the order ``build_schema`` lists them:

1. ``DocumentErrorCodes``: a document that never ran gets ``GRAPHQL_PARSE_FAILED`` (not GraphQL)
   or ``GRAPHQL_VALIDATION_FAILED``, on the errors themselves, so HTTP and both socket protocols
   answer alike; a coded error keeps its code (``QUERY_TOO_COMPLEX``). A value a scalar refuses
   is ``BAD_USER_INPUT``, as a variable (``server.GraphQLView``) or as a literal in the document.
2. ``OperationMetrics``: every operation counted and timed by name, errors counted by code,
   running subscriptions by field (``edge/metrics.py`` holds the metrics themselves; the errors
   the exception handlers return are counted by ``schema.errors.counted``). Operation names
   are bounded label values (``operation_label``).
3. ``MutationRateLimit``: each root field of a mutation counts one hit (aliases cannot batch
   past the limit) in the viewer's bucket and in the client address's (``edge/intake.py``).
   Over either, nothing runs and the response is a GraphQL error ``extensions: {code:
   RATE_LIMITED, limit, retryAfterSeconds}``; the HTTP view answers it with 429 and
   ``Retry-After``. ``login`` also limits attempts per address (its ``RateLimitedError``).
4. ``DatabaseUnavailable``: a request that lost its database gets ``DATABASE_UNAVAILABLE``, a
   retryable error (``resolvers/unavailable.py`` decides), unmasked in production. Its base
   ``RewritesErrors`` also serves ``schema/stored_text.py`` and ``schema/messages.py``.

The limits' own extensions (``LimitedParser``, ``QueryCost``) are in section 1; the others are
beside what they enforce: ``schema/faces.py``, ``schema/persisted.py``, ``schema/tracing.py``.

**3. Gates**: coarse gates on root fields, as permission classes: logged in and in good
standing (``IsAuthenticated``), holding a role (``HasRole``, ``IsAdmin``, ``LacksRole``), or open
on purpose (``IsPublic``)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, ClassVar, TypeVar, cast

import strawberry
from graphql import (
    ASTValidationRule,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValidationContext,
)
from graphql.error import GraphQLSyntaxError
from graphql.execution.values import VariableValues, get_argument_values
from graphql.language import Lexer, Source, TokenKind, parse
from graphql.utilities import get_operation_ast
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.extensions import SchemaExtension
from strawberry.permission import BasePermission
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType as StrawberryOperationType
from strawberry.types.nodes import Selection

import models
from edge import intake, metrics
from resolvers import outbox, pages, policy, second_factor
from resolvers.codes import ErrorCode
from resolvers.core import Text, _, ngettext
from resolvers.errors import Forbidden, ServiceUnavailable, Unauthenticated
from resolvers.sessions import Context
from resolvers.unavailable import database_unreachable
from schema.types import field_names

log = logging.getLogger("ediary.errors")

# 1. Limits: depth, aliases, tokens and cost.

CODE = ErrorCode.QUERY_TOO_COMPLEX
PAGE_ARGUMENTS = ("first", "last", "limit")
E = TypeVar("E")


@dataclass(frozen=True)
class Limits:
    """Ceilings for one schema; 0 switches a rule off."""

    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 2000
    max_cost: int = 250_000
    default_list_size: int = 10


def too_complex(rule: str, limit: int, actual: int, explanation: Text, nodes: Any = None) -> GraphQLError:
    return GraphQLError(
        str(
            _(
                "The query is too complex: {explanation} ({actual}, at most {limit}).",
                explanation=explanation,
                actual=actual,
                limit=limit,
            )
        ),
        nodes=nodes,
        extensions={"code": CODE, "rule": rule, "limit": limit, "actual": actual},
    )


def _unwrap(type_: GraphQLOutputType) -> tuple[Any, bool]:
    """The named type under list and non-null wrappers, and whether a list is among them."""
    is_list = False
    while isinstance(type_, (GraphQLNonNull, GraphQLList)):
        is_list = is_list or isinstance(type_, GraphQLList)
        type_ = type_.of_type
    return type_, is_list


@dataclass
class _Measure:
    depth: int
    cost: int


# The page size of a field: from its node and definition, None when it has none.
PageSize = Callable[[FieldNode, GraphQLField], "int | None"]


def _no_page(_node: FieldNode, _field: GraphQLField) -> int | None:
    return None


class _Walker:
    """Depth and cost of one operation, following fragments. A fragment is measured once per
    page size it is spread under (a document spreading fragments into fragments costs its size
    to walk, not the size of its expansion); a cycle stops (another rule reports it)."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Callable[[str], FragmentDefinitionNode | None],
        limits: Limits,
        page_size: PageSize = _no_page,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.limits = limits
        self.page_size = page_size
        self.measured: dict[tuple[str, int | None], _Measure] = {}

    def measure(
        self, selection_set: SelectionSetNode | None, parent: Any, seen: frozenset[str], page: int | None = None
    ) -> _Measure:
        """``page``: the page size of the parent field, for a connection's lists (edges, nodes)."""
        if selection_set is None:
            return _Measure(0, 0)
        depth = cost = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                if name.startswith("__"):
                    continue
                child_type: Any = None
                is_list = False
                own: int | None = None
                if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)) and name in parent.fields:
                    definition = parent.fields[name]
                    child_type, is_list = _unwrap(definition.type)
                    own = self.page_size(selection, definition)
                multiplier = 1
                if is_list:
                    multiplier = own if own is not None else page if page is not None else self.limits.default_list_size
                inner = self.measure(selection.selection_set, child_type, seen, None if is_list else own)
                depth = max(depth, 1 + inner.depth)
                cost += 1 + multiplier * inner.cost
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                inner = self.measure(selection.selection_set, target, seen, page)
                depth, cost = max(depth, inner.depth), cost + inner.cost
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments(name)
                if fragment is None or name in seen:
                    continue
                key = (name, page)
                inner = self.measured.get(key)  # type: ignore[assignment]
                if inner is None:
                    target = self.schema.get_type(fragment.type_condition.name.value)
                    inner = self.measure(fragment.selection_set, target, seen | {name}, page)
                    self.measured[key] = inner
                depth, cost = max(depth, inner.depth), cost + inner.cost
        return _Measure(depth, cost)


def _root_type(schema: GraphQLSchema, operation: OperationDefinitionNode) -> Any:
    return schema.get_root_type(operation.operation)


def operation_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: VariableValues,
    limits: Limits,
) -> int:
    """The cost of an operation that is about to run, with the request's coerced variables."""

    def page_size(node: FieldNode, field: GraphQLField) -> int | None:
        if not any(name in field.args for name in PAGE_ARGUMENTS):
            return None
        try:
            arguments = get_argument_values(field, node, variables)
        except GraphQLError:  # execution reports it on this field
            return None
        for name in PAGE_ARGUMENTS:
            value = arguments.get(name)
            if isinstance(value, int) and not isinstance(value, bool):
                return min(max(0, value), pages.MAX_PAGE)  # execution serves at most a full page
        return None

    walker = _Walker(schema, fragments.get, limits, page_size)
    return walker.measure(operation.selection_set, _root_type(schema, operation), frozenset()).cost


def cost_refusal(limits: Limits, cost: int, nodes: Any = None) -> GraphQLError | None:
    if not limits.max_cost or cost <= limits.max_cost:
        return None
    explanation = _(
        "its cost is too high; a field costs 1 plus its selections, and a list multiplies its "
        "selections by first/last/limit or {size}",
        size=limits.default_list_size,
    )
    return too_complex("cost", limits.max_cost, cost, explanation, nodes)


# Operations whose cost is kept, with their variables (``limited_execution``).
MEASURED_OPERATIONS = 512
# An operation's variables as a key (``json.dumps`` with these arguments, without making an
# encoder at every call): of the cost cache here, and of the payloads a subscription's events
# share (``schema.SharedEventExecution``).
variables_key = json.JSONEncoder(sort_keys=True, default=str).encode


@dataclass
class _Measured:
    """The cost of the query or mutation being executed, as ``limited_execution`` measured it."""

    cost: int | None = None


# Set by ``QueryCost`` for the execution of a query or mutation, read and filled by the
# executor it builds (in the same task, synchronously): the cost reaches the result.
_measured: ContextVar[_Measured | None] = ContextVar("measured_cost", default=None)


def limited_execution(base: type[E], limits: Limits) -> type[E]:
    """``base`` (a graphql-core executor class) refusing an operation whose cost, with the
    request's variables as execution coerced them, is over ``limits.max_cost``: checked once
    the executor is built, before anything is resolved, for queries, mutations and
    subscriptions alike (a subscription's events run under the operation measured here).
    The cost of a query or mutation is handed to ``QueryCost`` for the result's
    ``extensions`` (measured even when ``max_cost`` is 0, which only stops the refusals)."""
    costs: OrderedDict[tuple[int, str], tuple[Any, int]] = OrderedDict()

    def cost_of(executor: Any) -> int:
        # A parked subscription builds its executor again at every event it wakes for, with
        # the same parsed operation (parsing is cached per document) and the same variables:
        # the walk is done once for them. The entry keeps its operation alive, so its id
        # cannot be reused while it is cached.
        operation = executor.operation
        key = (id(operation), variables_key(executor.variable_values))
        cached = costs.get(key)
        if cached is not None and cached[0] is operation:
            costs.move_to_end(key)
            return cached[1]
        cost = operation_cost(
            executor.schema, operation, executor.fragment_definitions, executor.variable_values, limits
        )
        costs[key] = (operation, cost)
        while len(costs) > MEASURED_OPERATIONS:
            costs.popitem(last=False)
        return cost

    class LimitedExecution(base):  # type: ignore[valid-type,misc]
        @classmethod
        def build(cls, *args: Any, **kwargs: Any) -> Any:
            executor = super().build(*args, **kwargs)
            if isinstance(executor, list):
                return executor  # the variables did not coerce: those errors are the answer
            cost = cost_of(executor)
            measured = _measured.get()
            if measured is not None and executor.operation.operation != OperationType.SUBSCRIPTION:
                measured.cost = cost
            refusal = cost_refusal(limits, cost, executor.operation)
            return [refusal] if refusal is not None else executor

    LimitedExecution.__name__ = LimitedExecution.__qualname__ = f"Limited{base.__name__}"
    return cast("type[E]", LimitedExecution)


class QueryCost(SchemaExtension):
    """Every query and mutation result says what its document cost and the ceiling, in
    ``extensions.cost: {requestedQueryCost, maximumQueryCost}`` (Shopify's name for the first;
    ``maximumQueryCost`` is null when ``EDIARY_MAX_QUERY_COST`` is 0): executed, or refused for
    its cost, over HTTP and WebSocket alike. The cost is the one ``limited_execution`` measured
    (cached per operation and variables). A result that never reached execution (a document
    that does not parse or validate, a rate-limit refusal) has none. Subscription events do
    not carry it: their payloads are shared by every subscriber (``schema.SharedEventExecution``),
    and the subscription's cost was judged when it started."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.measured = _Measured()

    def on_execute(self) -> Iterator[None]:
        if self.execution_context.operation_type is not StrawberryOperationType.SUBSCRIPTION:
            _measured.set(self.measured)
        yield

    def get_results(self) -> dict[str, Any]:
        if self.measured.cost is None:
            return {}
        return {"cost": {"requestedQueryCost": self.measured.cost, "maximumQueryCost": self.limits.max_cost or None}}


def _rules(limits: Limits) -> tuple[type[ASTValidationRule], ...]:
    class OperationLimits(ASTValidationRule):
        """Depth of each operation in the document (its cost waits for the variables)."""

        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
            context = self.context
            assert isinstance(context, ValidationContext)
            if not limits.max_depth:
                return
            walker = _Walker(context.schema, context.get_fragment, limits)
            measured = walker.measure(node.selection_set, _root_type(context.schema, node), frozenset())
            if measured.depth > limits.max_depth:
                self.report_error(
                    too_complex("depth", limits.max_depth, measured.depth, _("fields are nested too deeply"), node)
                )

    class AliasLimit(ASTValidationRule):
        """Aliases in the whole document: each one asks for a field once more."""

        count = 0

        def enter_field(self, node: FieldNode, *_: Any) -> None:
            if node.alias is not None:
                self.count += 1

        def leave_document(self, *_args: Any) -> None:
            if limits.max_aliases and self.count > limits.max_aliases:
                self.report_error(too_complex("aliases", limits.max_aliases, self.count, _("it uses too many aliases")))

    return OperationLimits, AliasLimit


@cache
def validation_rules(limits: Limits) -> tuple[type[ASTValidationRule], ...]:
    """The rule classes for these limits: the same classes every time, so validation results
    stay cacheable (the cache is keyed by the rules)."""
    return _rules(limits)


def count_tokens(query: str) -> int:
    """Lexical tokens of a document, as the parser counts them (comments excluded)."""
    lexer = Lexer(Source(query))
    count = 0
    while True:
        token = lexer.advance()
        if token.kind == TokenKind.EOF:
            return count
        count += 1


@cache
def _cached_parse(maxsize: int) -> Callable[..., Any]:
    return lru_cache(maxsize=maxsize)(parse)


class LimitedParser(SchemaExtension):
    """Strawberry's ParserCache, with the parser stopping at ``max_tokens`` lexical tokens
    (and as many comments); that refusal carries QUERY_TOO_COMPLEX like the other limits.

    A failed parse is left to Strawberry (with the same ceiling in ``parse_options``), which
    turns it into a pre-execution error on HTTP and WebSocket alike; the hook then gives that
    error its code and figures in place, since raising here would escape a subscription."""

    def __init__(self, limits: Limits, maxsize: int = 256) -> None:
        self.limits = limits
        self.parse = _cached_parse(maxsize)

    def on_parse(self) -> Iterator[None]:
        ctx = self.execution_context
        limit = self.limits.max_tokens or None
        if limit is not None:
            options = cast("dict[str, Any]", ctx.parse_options)  # a TypedDict without these keys
            options.update(max_lexical_tokens=limit, max_comments=limit)
        if ctx.query is not None and ctx.graphql_document is None:
            with contextlib.suppress(GraphQLSyntaxError):
                ctx.graphql_document = self.parse(ctx.query, **ctx.parse_options)
        yield
        for error in ctx.pre_execution_errors or ():
            if limit is not None and ctx.query is not None and f"more than {limit} " in error.message:
                try:
                    actual = max(count_tokens(ctx.query), limit + 1)
                except GraphQLSyntaxError:
                    actual = limit + 1
                refusal = too_complex("tokens", limit, actual, _("it has too many tokens"))
                error.message, error.extensions = refusal.message, refusal.extensions
                error.args = (refusal.message,)


# 2. The extensions.

# 2.1. The codes of a document that never ran.


def _set_codes(errors: list[GraphQLError] | None, code: ErrorCode) -> None:
    for error in errors or ():
        if not (error.extensions or {}).get("code"):
            refused_value = isinstance(error, StrawberryInputCoercionError) or error.original_error is not None
            error.extensions = {**(error.extensions or {}), "code": ErrorCode.BAD_USER_INPUT if refused_value else code}


class DocumentErrorCodes(SchemaExtension):
    """Listed first, so that its code is set after every other extension's hook has run."""

    def on_parse(self) -> Iterator[None]:
        yield
        _set_codes(self.execution_context.pre_execution_errors, ErrorCode.GRAPHQL_PARSE_FAILED)

    def on_validate(self) -> Iterator[None]:
        yield
        _set_codes(self.execution_context.pre_execution_errors, ErrorCode.GRAPHQL_VALIDATION_FAILED)


# 2.2. Metrics.

SUBSCRIPTION = "subscription"
MAX_OPERATIONS = 200
ANONYMOUS = "anonymous"
_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,99}$")
_operations: set[str] = set()
_operations_lock = threading.Lock()


def operation_label(name: str | None, register: bool = True) -> str:
    """The ``operation`` label of the metrics for an operation name: ``anonymous`` without one,
    ``other`` once ``MAX_OPERATIONS`` names are in use (a client cannot grow the series without
    bound) or for a name not seen before when ``register`` is false (a document that failed
    validation)."""
    if not name:
        return ANONYMOUS
    if not _NAME.match(name):
        return metrics.OTHER
    with _operations_lock:
        if name in _operations:
            return name
        if not register or len(_operations) >= MAX_OPERATIONS:
            return metrics.OTHER
        _operations.add(name)
        return name


def _operation(ctx: ExecutionContext) -> OperationDefinitionNode | None:
    """The operation that runs: the one named ``operationName``, else the only one."""
    document = ctx.graphql_document
    if document is None:
        return None
    wanted = ctx._provided_operation_name
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if wanted is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == wanted), None)


def _error_code(error: GraphQLError) -> object:
    code = (error.extensions or {}).get("code")
    if code is None:
        # As the HTTP view answers it: without a path the request never executed.
        return ErrorCode.INTERNAL_SERVER_ERROR if error.path else ErrorCode.BAD_USER_INPUT
    return code


class OperationMetrics(SchemaExtension):
    """Counts and times each operation; for subscriptions counts the stream as active while it
    runs and counts the errors of each event's result."""

    _active: Any = None  # the subscription gauge this operation raised, if any
    _errored = False  # a subscription result carried errors
    _raised: GraphQLError | None = None

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        failed = False
        subscriber = outbox.current()
        try:
            yield
            if subscriber is not None and subscriber.parked:
                # Idle, handed over to the transport (resolvers/outbox.py): the operation goes
                # on; it is counted when it ends, by its last run or by the Subscriber.
                self._park(subscriber)
                return
        except (asyncio.CancelledError, GeneratorExit):
            raise  # a subscription whose client left: it ran
        except GraphQLError as exc:  # raised by a hook (ParserCache: a syntax error)
            self._raised, failed = exc, True
            raise
        except Exception:  # refused by the transport (a mutation over GET)
            failed = True
            raise
        finally:
            if subscriber is None or not subscriber.parked:
                if self._active is not None:
                    self._active.dec()
                if subscriber is not None:
                    subscriber.gauge = None
                self._finish(time.perf_counter() - started, failed)

    def _park(self, subscriber: outbox.Subscriber) -> None:
        subscriber.gauge = self._active
        subscriber.document = self.execution_context.graphql_document
        operation = _operation(self.execution_context)
        if operation is not None and subscriber.labels is None:
            name = operation_label(operation.name.value if operation.name else None, True)
            subscriber.labels = (name, SUBSCRIPTION)
        subscriber.errored = subscriber.errored or self._errored

    def _finish(self, seconds: float, failed: bool) -> None:
        ctx = self.execution_context
        operation = _operation(ctx) if ctx.graphql_document is not None else None
        kind = operation.operation.value if operation is not None else "unknown"
        result = ctx.result
        errors = list((result.errors if result is not None else ctx.pre_execution_errors) or [])
        if not errors and self._raised is not None:
            errors = [self._raised]
        # Errors without a path come from before execution (syntax, validation, variables).
        never_ran = bool(errors) and not any(e.path for e in errors) and (result is None or result.data is None)
        if operation is None or never_ran or failed:
            outcome = "invalid"
        elif kind == SUBSCRIPTION:
            subscriber = outbox.current()
            outcome = "error" if self._errored or (subscriber is not None and subscriber.errored) else "ok"
        else:
            outcome = "error" if errors else "ok"
        if operation is None:
            name = metrics.OTHER
        else:
            # Only documents that passed validation may add a new name to the label set.
            name = operation_label(operation.name.value if operation.name else None, outcome != "invalid")
        metrics.REQUESTS.labels(name, kind, outcome).inc()
        if kind != SUBSCRIPTION:  # a subscription's errors are counted per result, below
            metrics.REQUEST_SECONDS.labels(name, kind).observe(seconds)
            for error in errors:
                metrics.record_error(_error_code(error))

    def on_execute(self) -> Iterator[None]:
        """A subscription counts as active from here until its operation ends (``on_operation``
        spans the whole stream; ``on_execute`` only its start)."""
        operation = _operation(self.execution_context)
        subscriber = outbox.current()
        if subscriber is not None and subscriber.gauge is not None:
            self._active = subscriber.gauge  # a parked operation runs again: still the same one
        elif operation is not None and operation.operation.value == SUBSCRIPTION:
            fields = [s.name.value for s in operation.selection_set.selections if isinstance(s, FieldNode)]
            self._active = metrics.SUBSCRIPTIONS.labels(fields[0] if len(fields) == 1 else metrics.OTHER)
            self._active.inc()
        yield

    def on_stream_result(self, result: Any) -> None:  # type: ignore[override]
        """Each result of a subscription (refused at the start, or an event): its errors."""
        operation = _operation(self.execution_context)
        if operation is not None and operation.operation.value == SUBSCRIPTION:
            for error in getattr(result, "errors", None) or []:
                self._errored = True
                metrics.record_error(_error_code(error))


# 2.3. Rate limits on mutations.


def _root_fields(selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode], seen: set[str]) -> int:
    count = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            count += not selection.name.value.startswith("__")
        elif isinstance(selection, InlineFragmentNode):
            count += _root_fields(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                seen.add(selection.name.value)
                count += _root_fields(fragment.selection_set, fragments, seen)
    return count


def mutation_cost(document: Any, operation_name: str | None) -> int:
    """How many mutation fields the selected operation runs (0 for a query)."""
    operation: OperationDefinitionNode | None = get_operation_ast(document, operation_name)
    if operation is None or operation.operation != OperationType.MUTATION:
        return 0
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    return _root_fields(operation.selection_set, fragments, set())


class MutationRateLimit(SchemaExtension):
    """Counts mutations before they run; over a limit, sets the result so nothing runs."""

    async def on_execute(self) -> AsyncIterator[None]:
        ctx = self.execution_context
        context = ctx.context
        if isinstance(context, Context) and context.limiter is not None and ctx.graphql_document is not None:
            cost = mutation_cost(ctx.graphql_document, ctx.operation_name)
            if cost:
                refused = await _check_rate(context, cost)
                if refused is not None:
                    ctx.result = ExecutionResult(data=None, errors=[refused])
        yield


async def _check_rate(context: Context, cost: int) -> GraphQLError | None:
    assert context.limiter is not None
    settings = context.settings
    viewer = context.viewer
    buckets = [(f"mutation:address:{viewer.address}", settings.mutations_per_address)]
    if viewer.user_id is not None:
        buckets.insert(0, (f"mutation:user:{viewer.user_id}", settings.mutations_per_user))
    refused = await intake.check(context.limiter, buckets, settings.rate_window_seconds, cost)
    if refused is None:
        return None
    return GraphQLError(
        str(
            _(
                "Too many changes: {limit} {retry}",
                limit=ngettext(
                    "at most {n} mutation per {window} seconds.",
                    "at most {n} mutations per {window} seconds.",
                    refused.limit,
                    window=settings.rate_window_seconds,
                ),
                retry=ngettext("Try again in {n} second.", "Try again in {n} seconds.", refused.retry_after),
            )
        ),
        extensions={"code": ErrorCode.RATE_LIMITED, "limit": refused.limit, "retryAfterSeconds": refused.retry_after},
    )


# 2.4. Errors rewritten: a lost database.


class RewritesErrors(SchemaExtension):
    """Rewrites some errors of every result: an operation's (its initial result, when it is
    incremental) and each event of a subscription's. A subclass says which errors (``matches``)
    and what each becomes (``replaced``)."""

    @staticmethod
    def matches(error: GraphQLError) -> bool:
        raise NotImplementedError

    @staticmethod
    def replaced(error: GraphQLError) -> GraphQLError:
        raise NotImplementedError

    def _rewrite(self, result: Any) -> None:
        errors: list[GraphQLError] | None = getattr(result, "errors", None)
        if errors and any(self.matches(e) for e in errors):
            result.errors = [self.replaced(e) if self.matches(e) else e for e in errors]

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        self._rewrite(getattr(result, "initial_result", result))

    def on_stream_result(self, result: Any) -> Iterator[None]:
        """Each event of a subscription."""
        self._rewrite(result)
        yield


class DatabaseUnavailable(RewritesErrors):
    @staticmethod
    def matches(error: GraphQLError) -> bool:
        return database_unreachable(error.original_error)

    @staticmethod
    def replaced(error: GraphQLError) -> GraphQLError:
        log.warning("database unavailable at %s", ".".join(map(str, error.path or [])), exc_info=error.original_error)
        down = ServiceUnavailable()
        return GraphQLError(
            down.message, nodes=error.nodes, path=error.path, original_error=down, extensions=down.extensions
        )


# 3. Gates on root fields: the permission classes.

# Appended to the description of a mutation gated by `IsAdmin` (timetable, lessons, calendar, days off, bells).
ADMINS = " School admins (their school) and district admins (their district's schools); FORBIDDEN for others."
# What a user holding a one-time password may still do: change it, log out, see who they are.
PASSWORD_CHANGE_FIELDS = frozenset({"passwordChange", "logout"})
PASSWORD_CHANGE_VIEWER_FIELDS = frozenset({"user", "__typename"})
# What a user whose role requires a second factor (EDIARY_REQUIRE_2FA_FOR) may do before enrolling one.
SECOND_FACTOR_FIELDS = PASSWORD_CHANGE_FIELDS | {"secondFactorEnroll", "secondFactorConfirm"}
SECOND_FACTOR_VIEWER_FIELDS = PASSWORD_CHANGE_VIEWER_FIELDS | {"secondFactor"}


def _only(selections: Iterable[Selection], allowed: frozenset[str]) -> bool:
    return all(name in allowed for name in field_names(selections))


def allowed_before_password_change(
    info: strawberry.Info[Context, None],
    fields: frozenset[str] = PASSWORD_CHANGE_FIELDS,
    viewer_fields: frozenset[str] = PASSWORD_CHANGE_VIEWER_FIELDS,
) -> bool:
    """``passwordChange``, ``logout`` and ``viewer { user }``: nothing else (or ``fields`` and
    ``viewer { viewer_fields }``)."""
    if info.field_name in fields:
        return True
    if info.field_name == "viewer":
        return all(_only(field.selections, viewer_fields) for field in info.selected_fields)
    return False


def allowed_before_second_factor(info: strawberry.Info[Context, None]) -> bool:
    """Enrolling and confirming a second factor, ``passwordChange``, ``logout`` and
    ``viewer { user secondFactor }``: nothing else."""
    return allowed_before_password_change(info, SECOND_FACTOR_FIELDS, SECOND_FACTOR_VIEWER_FIELDS)


async def second_factor_required(ctx: Context) -> bool:
    """Whether the viewer holds a role the deployment requires a second factor for
    (EDIARY_REQUIRE_2FA_FOR) and has none on. No statement when no role requires one."""
    required = ctx.settings.require_2fa_for
    if not required or ctx.viewer.user_id is None:
        return False
    if not any(role.value in required for role in await ctx.viewer.roles()):
        return False
    return await second_factor.active_factor(ctx.viewer.user_id) is None


class IsAuthenticated(BasePermission):
    """The request carries a valid access token of an active account.

    The token carries only the user id; the account is read from the database once per
    request (again at the start of every subscription), so a deactivated account's tokens
    stop working at once (UNAUTHENTICATED) and an account holding a one-time password may
    only change it (FORBIDDEN, ``extensions.reason`` PASSWORD_CHANGE_REQUIRED); nor may an account
    whose role requires a second factor (EDIARY_REQUIRE_2FA_FOR) do more than enrol one until it is
    on (FORBIDDEN, ``extensions.reason`` SECOND_FACTOR_REQUIRED)."""

    message = "Log in first: send `Authorization: Bearer <accessToken>`."
    error_extensions = {"code": ErrorCode.UNAUTHENTICATED}

    def on_unauthorized(self) -> None:
        """UNAUTHENTICATED, in the language of the request (``resolvers/core.py``)."""
        raise Unauthenticated(_("Log in first: send `Authorization: Bearer <accessToken>`."))

    async def has_permission(self, source: Any, info: strawberry.Info[Context, None], **kwargs: Any) -> bool:
        viewer = info.context.viewer
        if not viewer.authenticated:
            if viewer.ended is not None:  # the token's session ended: say so (``resolvers/sessions.py``)
                raise Unauthenticated(_("Your session has ended: log in again."), reason=viewer.ended)
            return False
        if info.operation.operation == OperationType.SUBSCRIPTION or viewer.user_id is None:
            subscriber = outbox.current()
            if subscriber is not None and subscriber.following:
                # A parked stream going on (``resolvers/outbox.py``): it was let in when it
                # started, and the stream core (``resolvers/outbox.py``) re-checks the account's
                # standing with every event it delivers, in the same statement as its policy.
                return True
            # A socket's context outlives requests: read the account afresh for each subscription.
            account = await viewer.account(refresh=True)
        else:  # the request's loader, so that `viewer { user }` is not read twice
            account = await info.context.loaders.user_by_id.load(viewer.user_id)
        if account is None or not account.is_active:
            raise Unauthenticated(_("This account is deactivated. Ask your school."), reason="ACCOUNT_DEACTIVATED")
        if account.must_change_password and not allowed_before_password_change(info):
            raise Forbidden(
                _("Change your one-time password first (`passwordChange`)."), reason="PASSWORD_CHANGE_REQUIRED"
            )
        if await second_factor_required(info.context) and not allowed_before_second_factor(info):
            raise Forbidden(
                _("Your role requires two-factor login: turn it on first (`secondFactorEnroll`)."),
                reason="SECOND_FACTOR_REQUIRED",
            )
        return True


class RoleGate(IsAuthenticated):
    """A coarse gate on a write: logged in and in good standing first (``IsAuthenticated``,
    whose refusals it keeps), then the viewer's roles, else FORBIDDEN with ``refusal``. Asked
    before the resolver runs, so before anything of the input is looked up. Which objects
    they may touch is decided after, by the scopes of ``resolvers/policy``: a refusal there
    looks like "not found". Declared with ``HasRole``, ``IsAdmin`` or ``LacksRole``."""

    roles: ClassVar[frozenset[models.Role]]
    holding: ClassVar[bool]  # True: one of ``roles`` lets in; False: any of them keeps out
    refusal: ClassVar[Text]

    async def has_permission(self, source: Any, info: strawberry.Info[Context, None], **kwargs: Any) -> bool:
        if not await super().has_permission(source, info, **kwargs):
            return False
        if bool(self.roles.intersection(await info.context.viewer.roles())) != self.holding:
            raise Forbidden(self.refusal)
        return True


# The factories are named like the classes they make: a field reads
# ``permission_classes=[IsAdmin(REFUSAL)]``.
def _role_gate(name: str, roles: Iterable[models.Role], holding: bool, refusal: Text) -> type[RoleGate]:
    class Gate(RoleGate):
        pass

    Gate.roles, Gate.holding, Gate.refusal = frozenset(roles), holding, refusal
    Gate.__name__ = Gate.__qualname__ = f"{name}({', '.join(sorted(Gate.roles))})"
    return Gate


def HasRole(*roles: models.Role, refusal: Text) -> type[RoleGate]:
    """Logged in and holding one of ``roles``: ``permission_classes=[HasRole(TEACHER, refusal=...)]``."""
    return _role_gate("HasRole", roles, True, refusal)


def IsAdmin(refusal: Text) -> type[RoleGate]:
    """A school or district admin (``policy.ADMIN_ROLES``). Which schools they run is the scopes'
    business (``policy.administered_schools``): another school's objects are "not found"."""
    return _role_gate("IsAdmin", policy.ADMIN_ROLES, True, refusal)


def LacksRole(*roles: models.Role, refusal: Text) -> type[RoleGate]:
    """Logged in and holding none of ``roles`` (an account with no role at all passes)."""
    return _role_gate("LacksRole", roles, False, refusal)


class IsPublic(BasePermission):
    """Open to anonymous callers on purpose (logging in). Marks a root field as reviewed."""

    message = ""

    def has_permission(self, source: Any, info: strawberry.Info[Context, None], **kwargs: Any) -> bool:
        return True
