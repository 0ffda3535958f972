"""The schema extensions every operation passes through, in the order ``build_schema`` lists them:

1. ``DocumentErrorCodes``: a document that never ran gets ``GRAPHQL_PARSE_FAILED`` (not GraphQL)
   or ``GRAPHQL_VALIDATION_FAILED``, on the errors themselves, so HTTP and both socket protocols
   answer alike; a coded error keeps its code (``QUERY_TOO_COMPLEX``). A value a scalar refuses
   is ``BAD_USER_INPUT``, as a variable (``server.GraphQLView``) or as a literal in the document.
2. ``OperationMetrics``: every operation counted and timed by name, errors counted by code,
   running subscriptions by field (``edge/metrics.py`` holds the metrics themselves; the errors
   the exception handlers return are counted by ``schema.errors.counted``).
3. ``MutationRateLimit``: each root field of a mutation counts one hit (aliases cannot batch
   past the limit) in the viewer's bucket and in the client address's (``edge/intake.py``).
   Over either, nothing runs and the response is a GraphQL error ``extensions: {code:
   RATE_LIMITED, limit, retryAfterSeconds}``; the HTTP view answers it with 429 and
   ``Retry-After``. ``login`` also limits attempts per address (its ``RateLimitedError``).
4. ``DatabaseUnavailable``: a request that lost its database gets ``DATABASE_UNAVAILABLE``, a
   retryable error (``resolvers/unavailable.py`` decides), unmasked in production. Its base
   ``RewritesErrors`` also serves ``schema/stored_text.py`` and ``schema/messages.py``.

The others are beside what they enforce: ``schema/limits.py``, ``schema/faces.py``,
``schema/persisted.py``, ``schema/tracing.py``."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from graphql import ExecutionResult, FieldNode, GraphQLError, OperationDefinitionNode, SelectionSetNode
from graphql.language import FragmentDefinitionNode, FragmentSpreadNode, InlineFragmentNode, OperationType
from graphql.utilities import get_operation_ast
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from edge import intake, metrics
from resolvers import outbox
from resolvers.codes import ErrorCode
from resolvers.core import _, ngettext
from resolvers.errors import ServiceUnavailable
from resolvers.sessions import Context
from resolvers.unavailable import database_unreachable

log = logging.getLogger("ediary.errors")

# 1. The codes of a document that never ran.


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


# 2. Metrics.

SUBSCRIPTION = "subscription"


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
            name = metrics.operation_label(operation.name.value if operation.name else None, True)
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
            name = metrics.operation_label(operation.name.value if operation.name else None, outcome != "invalid")
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


# 3. Rate limits on mutations.


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


# 4. Errors rewritten: a lost database.


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
