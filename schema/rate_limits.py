"""Rate limits on mutations, for every mutation the schema has (edge/ratelimit.py counts).

Each root field of a mutation operation counts one hit (aliases cannot batch past the limit)
in the viewer's bucket and in the client address's bucket. Over either, nothing runs and the
response is a GraphQL error ``extensions: {code: RATE_LIMITED, limit, retryAfterSeconds}``;
the HTTP view answers it with 429 and ``Retry-After``. ``login`` additionally limits attempts
per address and reports that as its ``RateLimitedError`` union member.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from graphql import ExecutionResult, FieldNode, GraphQLError, OperationDefinitionNode, SelectionSetNode
from graphql.language import FragmentDefinitionNode, FragmentSpreadNode, InlineFragmentNode, OperationType
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension

from edge import ratelimit
from resolvers.codes import ErrorCode
from resolvers.context import Context
from resolvers.i18n import _, ngettext

CODE = ErrorCode.RATE_LIMITED


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
                refused = await _check(context, cost)
                if refused is not None:
                    ctx.result = ExecutionResult(data=None, errors=[refused])
        yield


async def _check(context: Context, cost: int) -> GraphQLError | None:
    assert context.limiter is not None
    settings = context.settings
    viewer = context.viewer
    buckets = [(f"mutation:address:{viewer.address}", settings.mutations_per_address)]
    if viewer.user_id is not None:
        buckets.insert(0, (f"mutation:user:{viewer.user_id}", settings.mutations_per_user))
    refused = await ratelimit.check(context.limiter, buckets, settings.rate_window_seconds, cost)
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
        extensions={"code": CODE, "limit": refused.limit, "retryAfterSeconds": refused.retry_after},
    )
