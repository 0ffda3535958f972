"""GraphQL metrics: every operation counted and timed by name, errors counted by code,
running subscriptions by field (``edge.metrics`` holds the metrics themselves)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

from graphql import FieldNode, GraphQLError, OperationDefinitionNode
from strawberry.extensions import SchemaExtension
from strawberry.schema.exception_handlers import ExceptionHandler
from strawberry.types import ExecutionContext

from edge import metrics
from resolvers import parking
from resolvers.codes import ErrorCode
from schema.errors import WrappedHandler

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


def _code(error: GraphQLError) -> object:
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
        subscriber = parking.current()
        try:
            yield
            if subscriber is not None and subscriber.parked:
                # Idle, handed over to the transport (resolvers/parking.py): the operation goes
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

    def _park(self, subscriber: parking.Subscriber) -> None:
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
            subscriber = parking.current()
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
                metrics.record_error(_code(error))

    def on_execute(self) -> Iterator[None]:
        """A subscription counts as active from here until its operation ends (``on_operation``
        spans the whole stream; ``on_execute`` only its start)."""
        operation = _operation(self.execution_context)
        subscriber = parking.current()
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
                metrics.record_error(_code(error))


class CountedHandler(WrappedHandler):
    """An exception handler that counts the code of every result-union error it returns
    (``ValidationError``, ``NotFoundError`` ...), for ``ediary_graphql_errors_total``."""

    def after(self, result: Any, info: Any) -> Any:
        if result is not None:
            metrics.record_error(getattr(result, "code", None))
        return result


def counted(handlers: list[ExceptionHandler[Any, Any]]) -> list[ExceptionHandler[Any, Any]]:
    return [CountedHandler(h) for h in handlers]
