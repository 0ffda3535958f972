"""Subscription payloads computed once and encoded once, however many sockets receive them.

An event reaches every subscriber of its topics in this process. Subscribers whose share key
is equal (the same event seen with the same visibility: see ``resolvers.outbox``) and who
subscribed with the same document, and the same values of the variables its payloads read
(``payload_variables``: not a device's own ``after``), would all get the same payload, so the
first one to get there executes it and the others await that result (``SharedEventExecution``),
and the JSON of that payload is encoded once and reused for every frame (``FrameEncoder``).
Anything without a share key (queries, mutations) runs as usual."""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import Awaitable, Hashable
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    Visitor,
    visit,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from resolvers import outbox

# Enough for every subscriber of a burst of events to find the shared result; results of
# older events are recomputed if someone still asks (a replay), never served stale.
SHARED_RESULTS = 512
ENCODED_FRAMES = 512


class _Lru(OrderedDict[Hashable, Any]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key: Hashable, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


class SharedEventExecution(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, with subscription events executed once per share key,
    document, operation and variables in this process."""

    results: _Lru = _Lru(SHARED_RESULTS)
    executions = 0  # how many event payloads were actually executed (for tests and benchmarks)
    # The variables a subscription's payloads read (``payload_variables``) as a share key, made
    # once when its executor is built (its events' executors are copies of it).
    shared_variables: str | None = None

    @classmethod
    def build(cls, *args: Any, **kwargs: Any) -> Any:
        """graphql-core's, and a subscription's executor is kept (``Resumable``) by the parked
        operation it runs for, so that its later runs need not build it again."""
        executor = super().build(*args, **kwargs)
        if isinstance(executor, cls) and executor.operation.operation is OperationType.SUBSCRIPTION:
            read = payload_variables(executor.operation, executor.fragment_definitions)
            # Their values, and each one's input as sent (Undefined: the document's default).
            # Not their signatures: made anew at every build, their defaults print with an address.
            values = executor.variable_values
            executor.shared_variables = variables_key(
                [
                    {k: v for k, v in values.coerced.items() if k in read},
                    {k: source.value for k, source in values.sources.items() if k in read},
                ]
            )
            subscriber = outbox.current()
            if subscriber is not None:
                subscriber.resumable = Resumable(executor)
        return executor

    def execute_operation(self, serially: bool | None = None) -> Any:
        share = getattr(self.root_value, "share_key", None)
        if share is None:
            return super().execute_operation(serially)
        loc = self.operation.loc
        document = loc.source.body if loc is not None else id(self.operation)
        variables = self.shared_variables or variables_key(self.variable_values)
        name = self.operation.name.value if self.operation.name else None
        key = (share, document, name, variables)
        pending = self.results.get(key)
        if pending is not None:
            return asyncio.shield(pending)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.results.put(key, future)
        return self._run(key, future, super().execute_operation(serially))

    async def _run(self, key: Hashable, future: asyncio.Future[Any], result: Any) -> ExecutionResult:
        type(self).executions += 1
        try:
            if isinstance(result, Awaitable):
                result = await result
        except BaseException as exc:
            # Cancelled or failed for this subscriber: the others must not inherit that.
            self.results.pop(key, None)
            if not future.done():
                future.set_exception(exc)
                future.exception()  # retrieved: no "never retrieved" warning if nobody waits
            raise
        future.set_result(result)
        return result  # type: ignore[no-any-return]


def payload_variables(
    operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
) -> frozenset[str]:
    """The variables a subscription's event payloads can read: all of the operation's but those
    only its root fields' arguments use. Those choose the stream (``after``: each device resumes
    from its own cursor; ``studentId``), not the payload: an event's root field resolves to the
    event itself, whatever its arguments (Strawberry's subscription fields). So devices that
    resume from different cursors still share one execution of the same event."""
    found: set[str] = set()
    spreads: list[str] = []

    class Reads(Visitor):
        def enter_variable(self, node: VariableNode, *_: Any) -> None:
            found.add(node.name.value)

        def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
            spreads.append(node.name.value)

    reads = Reads()
    for selection in operation.selection_set.selections:
        if isinstance(selection, FieldNode):  # its arguments left out, its directives and selections read
            for directive in selection.directives or ():
                visit(directive, reads)
            if selection.selection_set is not None:
                visit(selection.selection_set, reads)
        else:
            visit(selection, reads)
    seen: set[str] = set()
    while spreads:
        name = spreads.pop()
        if name not in seen and name in fragments:
            seen.add(name)
            visit(fragments[name], reads)
    return frozenset(found)


class Resumable:
    """What a subscription's executor was built from (the operation found in its document, its
    variables coerced, its cost measured: ``schema/limits.py``), kept by its parked operation
    (``outbox.Subscriber``): a resumed run (``schema.DiarySchema.resume``) builds its executor
    from this at once. Only what the build worked out is kept, not the first run's context,
    middleware or state."""

    __slots__ = ("_common", "_own")

    def __init__(self, executor: SharedEventExecution) -> None:
        e = executor
        # What every subscription of this schema has alike, kept once (a parked subscription
        # keeps this for hours: ``bench/README.md``, memory per socket), and its own.
        common = (
            type(e),
            e.schema,
            e.root_value,
            e.field_resolver,
            e.type_resolver,
            e.subscribe_field_resolver,
            e.hide_suggestions,
            e.hooks,
            e.operation_extensions,
        )
        try:
            self._common = _COMMON.setdefault(common, common) if len(_COMMON) < _COMMON_KEPT else common
        except TypeError:  # a part that cannot be a key (operation extensions a client sent): its own
            self._common = common
        self._own = (
            e.fragment_definitions or _NONE,
            e.fragments or _NONE,
            e.operation,
            e.variable_values,
            e.shared_variables,
        )

    def executor(self, context: Any, middleware: Any) -> SharedEventExecution:
        """A new executor for one run of the operation, with this run's context and middleware."""
        kind, schema, root, field, kind_of, subscribe, hide, hooks, extensions = self._common
        definitions, fragments, operation, variables, shared = self._own
        executor: SharedEventExecution = kind(
            schema,
            definitions,
            fragments,
            root,
            context,
            operation,
            variables,
            field,
            kind_of,
            subscribe,
            middleware_manager=middleware,
            hide_suggestions=hide,
            hooks=hooks,
            operation_extensions=extensions,
        )
        executor.shared_variables = shared
        return executor


# The parts of ``Resumable`` that all subscriptions share (a handful: one per schema), and the
# empty fragments of a document without any (never written to: execution only reads them).
_COMMON: dict[tuple[Any, ...], tuple[Any, ...]] = {}
_COMMON_KEPT = 16
_NONE: dict[str, Any] = {}


class FrameEncoder:
    """JSON for WebSocket frames, reusing the encoding of a payload already sent to another
    subscriber (the shared result is the same object, so its identity is the key; the
    cache keeps it alive, so the identity cannot be reused while cached)."""

    def __init__(self, size: int = ENCODED_FRAMES) -> None:
        self._encoded = _Lru(size)
        self.hits = 0

    def encode(self, message: object) -> str:
        payload = message.get("payload") if isinstance(message, dict) else None
        if (
            isinstance(message, dict)
            and message.get("type") in ("next", "data")
            and isinstance(payload, dict)
            and set(payload) == {"data"}
            and isinstance(payload["data"], dict)
        ):
            data = payload["data"]
            cached = self._encoded.get(id(data))
            if cached is not None and cached[0] is data:
                self.hits += 1
                body = cached[1]
            else:
                body = _dumps(data)
                self._encoded.put(id(data), (data, body))
            return f'{{"id":{_dumps(message.get("id"))},"type":{_dumps(message["type"])},"payload":{{"data":{body}}}}}'
        return _dumps(message)


def shared_execution() -> type[SharedEventExecution]:
    """A fresh executor class with its own cache, for one schema (one app)."""
    return type("SharedEventExecution", (SharedEventExecution,), {"results": _Lru(SHARED_RESULTS), "executions": 0})


# ``json.dumps`` with these arguments, without making an encoder at every call (every event,
# every frame). ``variables_key``: an operation's variables as a key (here and in the cost
# cache, ``schema/limits.py``).
variables_key = json.JSONEncoder(sort_keys=True, default=str).encode
_dumps = json.JSONEncoder(separators=(",", ":")).encode
