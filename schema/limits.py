"""Abuse limits on GraphQL documents: depth, aliases, tokens and cost (README, "Abuse limits").

Depth, aliases and cost are graphql-core validation rules, so they run once per document and
their verdict is cached with the rest of validation; the token ceiling is enforced by the
parser itself, which stops reading at the limit. Every refusal is a GraphQL error with
``extensions: {code: QUERY_TOO_COMPLEX, rule, limit, actual}``. The rules walk the document
against the schema, so new fields and mutations are covered without being listed here.

Cost: a field costs 1 plus its selections' cost, and a list field multiplies its selections'
cost by its page size: its ``first``/``last``/``limit`` argument (a literal, or the variable's
default), else that of the field just above it (a Relay connection's ``edges``/``nodes``
take the connection's ``first``), else ``default_list_size`` for an unpaginated list. ``__typename`` and introspection
(``__schema``, ``__type``) cost nothing and do not count towards depth: introspection is
switched off in production instead.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, cast

from graphql import (
    ASTValidationRule,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    VariableNode,
)
from graphql.error import GraphQLSyntaxError
from graphql.language import Lexer, Source, TokenKind, parse
from strawberry.extensions import SchemaExtension

CODE = "QUERY_TOO_COMPLEX"
PAGE_ARGUMENTS = ("first", "last", "limit")


@dataclass(frozen=True)
class Limits:
    """Ceilings for one schema; 0 switches a rule off."""

    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 2000
    max_cost: int = 250_000
    default_list_size: int = 10


def too_complex(rule: str, limit: int, actual: int, explanation: str, nodes: Any = None) -> GraphQLError:
    return GraphQLError(
        f"The query is too complex: {explanation} ({actual}, at most {limit}).",
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


class _Walker:
    """Depth and cost of one operation, following fragments (a cycle stops; another rule
    reports it)."""

    def __init__(self, context: ValidationContext, limits: Limits, operation: OperationDefinitionNode) -> None:
        self.context = context
        self.limits = limits
        self.defaults: dict[str, Any] = {
            v.variable.name.value: v.default_value for v in operation.variable_definitions or ()
        }

    def page_size(self, field: FieldNode) -> int | None:
        """The field's ``first``/``last``/``limit`` (a literal, or its variable's default)."""
        for argument in field.arguments or ():
            if argument.name.value not in PAGE_ARGUMENTS:
                continue
            value: Any = argument.value
            if isinstance(value, VariableNode):
                value = self.defaults.get(value.name.value)
            if isinstance(value, IntValueNode):
                return max(0, int(value.value))
        return None

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
                if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)) and name in parent.fields:
                    child_type, is_list = _unwrap(parent.fields[name].type)
                own = self.page_size(selection)
                multiplier = 1
                if is_list:
                    multiplier = own if own is not None else page if page is not None else self.limits.default_list_size
                inner = self.measure(selection.selection_set, child_type, seen, None if is_list else own)
                depth = max(depth, 1 + inner.depth)
                cost += 1 + multiplier * inner.cost
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.context.schema.get_type(condition.name.value) if condition else parent
                inner = self.measure(selection.selection_set, target, seen, page)
                depth, cost = max(depth, inner.depth), cost + inner.cost
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.context.get_fragment(name)
                if fragment is None or name in seen:
                    continue
                target = self.context.schema.get_type(fragment.type_condition.name.value)
                inner = self.measure(fragment.selection_set, target, seen | {name}, page)
                depth, cost = max(depth, inner.depth), cost + inner.cost
        return _Measure(depth, cost)


def _root_type(context: ValidationContext, operation: OperationDefinitionNode) -> Any:
    return context.schema.get_root_type(operation.operation)


def _rules(limits: Limits) -> tuple[type[ASTValidationRule], ...]:
    class OperationLimits(ASTValidationRule):
        """Depth and cost of each operation in the document."""

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            context = self.context
            assert isinstance(context, ValidationContext)
            walker = _Walker(context, limits, node)
            measured = walker.measure(node.selection_set, _root_type(context, node), frozenset())
            if limits.max_depth and measured.depth > limits.max_depth:
                self.report_error(
                    too_complex("depth", limits.max_depth, measured.depth, "fields are nested too deeply", node)
                )
            if limits.max_cost and measured.cost > limits.max_cost:
                explanation = (
                    "its cost is too high; a field costs 1 plus its selections, and a list multiplies its "
                    f"selections by first/last/limit or {limits.default_list_size}"
                )
                self.report_error(too_complex("cost", limits.max_cost, measured.cost, explanation, node))

    class AliasLimit(ASTValidationRule):
        """Aliases in the whole document: each one asks for a field once more."""

        count = 0

        def enter_field(self, node: FieldNode, *_: Any) -> None:
            if node.alias is not None:
                self.count += 1

        def leave_document(self, *_: Any) -> None:
            if limits.max_aliases and self.count > limits.max_aliases:
                self.report_error(too_complex("aliases", limits.max_aliases, self.count, "it uses too many aliases"))

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
                refusal = too_complex("tokens", limit, actual, "it has too many tokens")
                error.message, error.extensions = refusal.message, refusal.extensions
                error.args = (refusal.message,)
