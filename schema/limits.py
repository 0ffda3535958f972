"""Abuse limits on GraphQL documents: depth, aliases, tokens and cost (README, "Abuse limits").

Depth and aliases are graphql-core validation rules, so they run once per document and their
verdict is cached with the rest of validation; the token ceiling is enforced by the parser
itself, which stops reading at the limit. Cost depends on the variables, so it is measured
for each operation that runs, by the executor (``limited_execution``) once it has coerced the
request's variables: the same step for queries, mutations and subscriptions, over HTTP and
WebSocket. Every refusal is a GraphQL error with
``extensions: {code: QUERY_TOO_COMPLEX, rule, limit, actual}``. The rules walk the document
against the schema, so new fields and mutations are covered without being listed here.

Cost: a field costs 1 plus its selections' cost, and a list field multiplies its selections'
cost by its page size: its ``first``/``last``/``limit`` argument as execution will see it (at
most ``MAX_PAGE``, as connections serve larger sizes; a literal, the variable's value, the
variable's default, the argument's default), else that of the field just above it (a Relay
connection's ``edges``/``nodes`` take the connection's ``first``), else ``default_list_size``
for an unpaginated list. ``__typename`` and introspection (``__schema``, ``__type``) cost
nothing and do not count towards depth: introspection is switched off in production instead.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, TypeVar, cast

from graphql import (
    ASTValidationRule,
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
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType as StrawberryOperationType

from resolvers import pages
from resolvers.codes import ErrorCode
from resolvers.core import Text, _
from schema import variables_key

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
    not carry it: their payloads are shared by every subscriber (``schema/shared_execution.py``), and the
    subscription's cost was judged when it started."""

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
