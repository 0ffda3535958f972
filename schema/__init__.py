"""The GraphQL schema (``schema.build_schema()``) and how it executes, resumes and shares its
executions.

1. **The schema**: ``build_schema`` composes the domain modules' types, the query, mutation and
   subscription roots and the extensions every operation passes (``schema/gates.py``: limits,
   error codes, metrics, rate limits, a lost database; here the two that guard the document
   itself, ``RequireOperationName`` and ``HideSuggestions``); production masks unexpected
   errors (``_should_mask``). ``DiarySchema.resume`` is the short way back into a parked
   subscription.
2. **Fields called directly**: Strawberry resolves every field that has a resolver through the
   same path (an ``Info`` built, the arguments converted, the field extensions chained, the
   result awaited again for an async resolver): about a tenth of a large diary's CPU for fields
   like ``Lesson.period``. ``direct_resolvers`` gives such a field, once, when the schema is
   built, a graphql-core resolver that calls the method itself.
3. **Executions shared**: subscribers whose share key is equal (the same event seen with the
   same visibility: see ``resolvers.outbox``) and who subscribed with the same document and the
   same values of the variables its payloads read (``payload_variables``: not a device's own
   ``after``) would all get the same payload, so the first one to get there executes it and the
   others await that result (``SharedEventExecution``), and the JSON of that payload is encoded
   once and reused for every frame (``FrameEncoder``). Anything without a share key (queries,
   mutations) runs as usual. A subscription's executor is kept (``Resumable``) for its later
   runs.
4. **A parked subscription's hooks**: Strawberry's runner inspects every extension for every
   hook each time a hook runs and wraps the bound method anew; a parked subscription runs its
   hooks once per event it wakes for (``DiarySchema.resume``), so that work was a few per cent
   of the server's CPU per delivery (issue 15). ``CachedHooksRunner`` works the answer out once
   per extension class and hook: the same hooks, called in the same order, with the same
   context-manager semantics."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import re
from asyncio import iscoroutinefunction
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Generator, Hashable, Iterator
from functools import partial
from typing import Any, cast

import strawberry
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLResolveInfo,
    NoSchemaIntrospectionCustomRule,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    Visitor,
    visit,
)
from graphql.execution import create_source_event_stream
from strawberry.extensions import AddValidationRules, MaskErrors, SchemaExtension, ValidationCache
from strawberry.extensions.context import (
    ExecutingContextManager,
    OperationContextManager,
    ParsingContextManager,
    StreamResultContextManager,
    ValidationContextManager,
)
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types import ExecutionContext
from strawberry.types.execution import PreExecutionError
from strawberry.types.field import StrawberryField
from strawberry.types.graphql import OperationType as StrawberryOperationType
from strawberry.utils.aio import aclosing

from resolvers import outbox
from resolvers.codes import ErrorCode
from resolvers.core import _
from resolvers.errors import CodedError
from resolvers.unavailable import database_unreachable
from schema import (
    announcements,
    chats,
    deliveries,
    grades,
    guardianships,
    meetings,
    notifications,
    remarks,
    scalars,
)
from schema.calendar import Term
from schema.completion import PlainReads, leaf_lists
from schema.errors import EXCEPTION_HANDLERS, counted
from schema.faces import guard_faces
from schema.gates import (
    DatabaseUnavailable,
    DocumentErrorCodes,
    LimitedParser,
    Limits,
    MutationRateLimit,
    OperationMetrics,
    QueryCost,
    limited_execution,
    validation_rules,
    variables_key,
)
from schema.homework import Homework
from schema.lessons import Lesson
from schema.messages import DocumentRefusalsInLanguage, localized
from schema.mutation import Mutation
from schema.org import SchoolClass, Subject
from schema.persisted import trusted_documents_rule
from schema.query import Query
from schema.schools import School
from schema.stored_text import UnstorableText, unstorable_text
from schema.students import Student
from schema.subscription import Subscription
from schema.tracing import tracing_extensions
from schema.users import User

log = logging.getLogger("ediary.errors")

# 1. The schema.


class RequireOperationName(SchemaExtension):
    """A document with several operations needs ``operationName`` (GraphQL spec, GetOperation);
    without this Strawberry would run the first one."""

    def on_validate(self) -> Iterator[None]:
        # Runs after ValidationCache (listed before it) has validated, and before Strawberry
        # checks the errors; a document that is already invalid keeps its own errors.
        ctx = self.execution_context
        document = ctx.graphql_document
        if not ctx.pre_execution_errors and ctx._provided_operation_name is None and document is not None:
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            if len(operations) > 1:
                ctx.pre_execution_errors = [
                    GraphQLError(str(_("The document has several operations: say which one in `operationName`.")))
                ]
        yield


_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


class HideSuggestions(SchemaExtension):
    """Without introspection, errors do not suggest names ("Did you mean 'node'?"): they would
    let anyone read the schema a guess at a time. Validation and variable errors alike (names
    never hold a question mark, so a suggestion ends at the first one)."""

    def on_operation(self) -> Iterator[None]:
        yield
        ctx = self.execution_context
        for error in [*(ctx.pre_execution_errors or []), *((ctx.result.errors if ctx.result else None) or [])]:
            if "Did you mean" in error.message:
                error.message = _SUGGESTION.sub("", error.message)


class DiarySchema(strawberry.Schema):
    """The schema, with a short way back into a parked subscription (``resume``)."""

    # The extensions a resumed subscription runs with (``build_schema``): those that act on
    # its results and its fields. Parsing, validation and the operation's refusals were done
    # by its first run, on the same document, and their extensions have nothing to do again.
    resume_extensions: tuple[Any, ...] = ()

    def resume(
        self, subscriber: outbox.Subscriber, variables: dict[str, Any] | None, operation_name: str | None, context: Any
    ) -> AsyncGenerator[Any, None]:
        """A parked subscription's run again (``schema/websocket.py``), from what its first run
        worked out: the document it parsed and validated (``Subscriber.document``) and the
        executor it built (``Subscriber.resumable``: the operation, the coerced variables, the
        cost measured). An event wakes a parked subscription, so this runs once per delivery
        (issue 15): it runs only ``resume_extensions`` (the others' hooks cost about a tenth of
        the server's CPU per event), and, where its executor is kept, goes straight to the
        source stream and the payloads (``_resumed``), not through graphql-core's ``subscribe``
        and Strawberry's stream again."""
        execution_context = self._create_execution_context(
            query=None,
            allowed_operation_types=(StrawberryOperationType.SUBSCRIPTION,),
            variable_values=variables,
            context_value=context,
            operation_name=operation_name,
        )
        execution_context.graphql_document = subscriber.document
        execution_context.pre_execution_errors = []  # validated by the first run
        extensions = [extension() for extension in self.resume_extensions]
        for extension in extensions:
            extension.execution_context = execution_context
        runner = CachedHooksRunner(execution_context, extensions)
        middleware = self._get_middleware_manager(extensions)
        if subscriber.resumable is None:
            return self._stream(
                execution_context,
                extensions_runner=runner,
                middleware_manager=middleware,
                execution_context_class=self.execution_context_class,
            )
        # A viewer let in when the stream started: its resolver is called again at once. One whose
        # token or session ended meanwhile goes through the permission classes, which refuse.
        source = subscriber.source if context.viewer.authenticated else None
        return self._resumed(execution_context, runner, subscriber.resumable.executor(context, middleware), source)

    async def _resumed(
        self,
        execution_context: ExecutionContext,
        runner: CachedHooksRunner,
        executor: SharedEventExecution,
        again: Callable[[], Any] | None,
    ) -> AsyncGenerator[Any, None]:
        """Strawberry's stream of a subscription (``Schema._stream``) from its executor on: the
        same hooks around the same steps (the operation, its execution, each result), and each
        event executed as graphql-core executes it, with this run's middleware. The root field's
        resolver is called ``again`` as the first run left it (``schema.subscription.resumable``),
        or, without that, resolved as graphql-core resolves it (arguments, permission classes).
        Left out: parsing, validation and building the executor, which the first run did on the
        same document and variables."""
        async with runner.operation():
            try:
                async with runner.executing():
                    created = again() if again is not None else create_source_event_stream(executor)
                    source: Any = await created if executor.is_awaitable(created) else created
                    if isinstance(source, GraphQLExecutionResult):
                        refused = await self._handle_execution_result(
                            execution_context, PreExecutionError(data=None, errors=source.errors), runner
                        )
                        async with runner.on_stream_result(refused):
                            yield refused
                        return
                    try:
                        async with aclosing(source):
                            async for payload in source:
                                executed = executor.build_per_event_executor(payload).execute_operation(False)
                                result: Any = await executed if executor.is_awaitable(executed) else executed
                                handled = await self._handle_execution_result(execution_context, result, runner)
                                async with runner.on_stream_result(handled):
                                    yield handled
                    except Exception as exc:  # noqa: BLE001 - as Strawberry's stream: the error is the result
                        failed = await self._handle_execution_result(
                            execution_context, GraphQLExecutionResult(data=None, errors=[_as_error(exc)]), runner
                        )
                        async with runner.on_stream_result(failed):
                            yield failed
            except Exception as exc:  # noqa: BLE001 - raised by an ``on_execute`` hook, as Strawberry's
                failed = await self._handle_execution_result(
                    execution_context, GraphQLExecutionResult(data=None, errors=[_as_error(exc)]), runner
                )
                async with runner.on_stream_result(failed):
                    yield failed

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """Log only what nobody expected: refusals carry a code and are answers, not faults;
        syntax and validation errors are the client's, and so is text the database cannot hold
        (``UnstorableText`` makes it BAD_USER_INPUT after this runs). Never log variables
        (passwords)."""
        for error in errors:
            original = error.original_error
            if error.path is None or original is None or (error.extensions or {}).get("code"):
                continue
            if not unstorable_text(original):
                log.error("unexpected error at %s", ".".join(map(str, error.path)), exc_info=original)


def build_schema(
    *,
    production: bool = False,
    tracing: bool = False,
    limits: Limits | None = None,
    introspection: bool = True,
    trusted: frozenset[str] | None = None,
) -> strawberry.Schema:
    """Parse and validation results are cached per document; documents over the ``limits``
    are refused (schema/gates.py); with ``trusted`` hashes only those documents run
    (schema/persisted.py), their cost measured with each request's variables as it runs;
    production masks unexpected errors. Every operation is measured
    (``schema.gates``); ``tracing`` adds OpenTelemetry spans when it is configured
    (``schema.tracing``)."""
    limits = limits or Limits()
    rules = list(validation_rules(limits))
    if not introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
        extensions_first: list[Any] = [HideSuggestions]
    else:
        extensions_first = []
    if trusted is not None:
        rules.append(trusted_documents_rule(trusted))
    traced = tracing_extensions() if tracing else []
    extensions: list[Any] = [
        DocumentErrorCodes,
        *extensions_first,
        OperationMetrics,
        *traced,
        lambda: LimitedParser(limits, maxsize=256),
        lambda: QueryCost(limits),
        lambda: AddValidationRules(rules),
        lambda: ValidationCache(maxsize=256),
        RequireOperationName,
        MutationRateLimit,
        DatabaseUnavailable,
        UnstorableText,
        DocumentRefusalsInLanguage,
    ]
    # Made for each operation: the message in its language (resolvers/core.py).
    masking = (
        [lambda: Masking(should_mask_error=_should_mask, error_message=str(_("Internal server error")))]
        if production
        else []
    )
    extensions.extend(masking)
    reads = PlainReads()  # filled once the schema is built (schema/completion.py)
    schema = DiarySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[
            User,
            School,
            Subject,
            SchoolClass,
            Student,
            Lesson,
            Homework,
            grades.Grade,
            Term,
            remarks.Remark,
            announcements.Announcement,
            meetings.Meeting,
            notifications.Notification,
            deliveries.NotificationDelivery,
            chats.Chat,
            chats.ChatMessage,
            guardianships.Guardianship,
        ],
        extensions=extensions,
        scalar_overrides=scalars.OVERRIDES,
        exception_handlers=localized(counted(EXCEPTION_HANDLERS)),
        execution_context_class=limited_execution(leaf_lists(shared_execution(), reads), limits),
    )
    direct: set[Callable[..., Any]] = set()
    direct_resolvers(schema, direct)  # before guard_faces, which wraps what it finds
    reads.found(schema, direct)  # the plain reads, before guard_faces wraps some of them
    guard_faces(schema)
    schema.resume_extensions = (
        OperationMetrics,
        *traced,
        DatabaseUnavailable,
        UnstorableText,
        *masking,
    )
    return schema


def _as_error(error: Exception) -> GraphQLError:
    """An exception a stream raised, as the error of its result (as Strawberry's stream makes it)."""
    return error if isinstance(error, GraphQLError) else GraphQLError(str(error), original_error=error)


class Masking(MaskErrors):
    """Strawberry's ``MaskErrors``, without its ``isinstance`` against a runtime-checkable
    protocol for every result: in Python 3.11 that check lists the protocol's attributes anew
    each time, some 2-3% of the server's CPU per live delivery (every event's result, and
    every HTTP response, passes it). The same test: a result with an ``errors`` attribute
    that is not empty has its errors masked."""

    def _process_result(self, result: object) -> None:
        errors = getattr(result, "errors", None)
        if errors:
            cast(Any, result).errors = self._process_errors(errors)


def _should_mask(error: object) -> bool:
    """Hide only what nobody wrote for a client: our coded errors and graphql-core's own
    (syntax, validation) are safe to show."""
    if not isinstance(error, GraphQLError):
        return True
    original = error.original_error
    if original is None or isinstance(original, CodedError) or database_unreachable(original):
        return False  # database_unreachable: DatabaseUnavailable gives it a code and a safe message
    if unstorable_text(original):
        return False  # UnstorableText makes it BAD_USER_INPUT
    return (error.extensions or {}).get("code") in (None, ErrorCode.INTERNAL_SERVER_ERROR)


# 2. Fields called directly: a graphql-core resolver for what needs nothing of Strawberry's
# per-field work (no argument, no field extension, no exception handler for its type, no
# subscription), with the same ``Info`` when it asks for one.


def direct(field: StrawberryField, schema: strawberry.Schema) -> Callable[..., Any] | None:
    """A graphql-core resolver for ``field`` calling its method as Strawberry would, or None
    when Strawberry's path has something to do for it."""
    resolver = field.base_resolver
    if resolver is None or field.extensions or field.arguments or not resolver.self_parameter:
        return None
    if resolver.parent_parameter or resolver.root_parameter or inspect.isasyncgenfunction(resolver.wrapped_func):
        return None
    if not inspect.isfunction(resolver.wrapped_func):  # a staticmethod or classmethod
        return None
    if schema.schema_converter._get_field_exception_handlers(field):
        return None
    method = resolver.wrapped_func
    info_parameter = resolver.info_parameter
    deferred = inspect.iscoroutinefunction(method)  # called when awaited: see ``Deferred``
    if info_parameter is None:

        def resolve(source: Any, _info: GraphQLResolveInfo[Any]) -> Any:
            return Deferred(partial(method, source)) if deferred else method(source)

        return resolve
    info_class, name = schema.config.info_class, info_parameter.name

    def resolve_with_info(source: Any, info: GraphQLResolveInfo[Any]) -> Any:
        arguments = {name: info_class(_raw_info=info, _field=field)}
        return Deferred(partial(method, source, **arguments)) if deferred else method(source, **arguments)

    return resolve_with_info


def _reads_itself(field: StrawberryField) -> bool:
    """A field ``direct`` calls as a sync method of the object alone (no ``Info``)."""
    resolver = field.base_resolver
    return (
        resolver is not None
        and resolver.info_parameter is None
        and not inspect.iscoroutinefunction(resolver.wrapped_func)
    )


class Deferred:
    """An async resolver's call, made when graphql-core awaits the field. When a sibling's error
    ends the parent object first, graphql-core drops the fields it has not awaited: a coroutine
    made in advance would then be garbage that warns "never awaited" whenever it is collected
    (in a later request or test); a call never made leaves nothing behind."""

    __slots__ = ("_call",)

    def __init__(self, call: Callable[[], Awaitable[Any]]) -> None:
        self._call = call

    def __await__(self) -> Generator[Any, None, Any]:
        return self._call().__await__()


def direct_resolvers(schema: strawberry.Schema, plain: set[Callable[..., Any]] | None = None) -> int:
    """Every field of the query and mutation types that ``direct`` can call, called so (how
    many): the subscription root keeps its event-stream resolvers. ``plain`` gets those that
    call a sync method without an ``Info`` (``schema.completion.PlainReads``)."""
    subscription = schema._schema.subscription_type
    count = 0
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type is subscription:
            continue
        for graphql_field in graphql_type.fields.values():
            field = (graphql_field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if not isinstance(field, StrawberryField) or graphql_field.subscribe is not None:
                continue
            resolve = direct(field, schema)
            if resolve is not None:
                graphql_field.resolve = resolve
                count += 1
                if plain is not None and _reads_itself(field):
                    plain.add(resolve)
    return count


# 3. Executions shared: subscription payloads computed once and encoded once, however many
# sockets receive them.

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

    async def _run(self, key: Hashable, future: asyncio.Future[Any], result: Any) -> GraphQLExecutionResult:
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
    variables coerced, its cost measured: ``schema/gates.py``), kept by its parked operation
    (``outbox.Subscriber``): a resumed run (``DiarySchema.resume``) builds its executor
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
# every frame). An operation's variables as a key: ``schema.gates.variables_key``.
_dumps = json.JSONEncoder(separators=(",", ":")).encode


# 4. A parked subscription's hooks, without working them out again: Strawberry's runner
# checks each hook's kind (generator, async generator, plain function) and wraps the bound method
# (``contextlib.contextmanager`` on a ``MethodType``, ``functools.update_wrapper``) every time.

# A hook function (as its class has it now) -> (a context-manager factory taking the extension
# first, whether it is async).
_HOOKS: dict[Callable[..., Any], tuple[Callable[..., Any], bool]] = {}


def _plain(func: Callable[..., Any]) -> tuple[Callable[..., Any], bool]:
    """A hook that is a plain (or coroutine) function, as Strawberry's ``from_callable`` runs it:
    called on entry, nothing on exit."""
    if iscoroutinefunction(func):

        @contextlib.asynccontextmanager
        async def run_async(extension: SchemaExtension, *args: Any) -> AsyncIterator[None]:
            await func(extension, *args)
            yield

        return run_async, True

    @contextlib.contextmanager
    def run(extension: SchemaExtension, *args: Any) -> Iterator[None]:
        func(extension, *args)
        yield

    return run, False


def _factory(kind: type[SchemaExtension], name: str) -> tuple[Callable[..., Any], bool] | None:
    """How to run hook ``name`` of extension class ``kind``; None where it keeps the default
    (nothing to run). Looked up on the class each time, worked out once per hook function."""
    hook = getattr(kind, name)
    if hook is getattr(SchemaExtension, name):
        return None
    found = _HOOKS.get(hook)
    if found is not None:
        return found
    if inspect.isgeneratorfunction(hook):
        found = contextlib.contextmanager(hook), False
    elif inspect.isasyncgenfunction(hook):
        found = contextlib.asynccontextmanager(hook), True
    elif callable(hook):
        found = _plain(hook)
    else:
        raise ValueError(f"Hook {name} on {kind} must be callable, received {hook!r}")
    _HOOKS[hook] = found
    return found


class _Stage:
    """One stage's hooks (``on_operation``, ``on_execute``, ``on_stream_result``...) for one run:
    entered in the extensions' order and left in reverse, as Strawberry's exit stack does, an
    exception passed to each (a hook may suppress it; one a hook raises replaces it for the
    hooks left before it). Used as ``async with``; without the exit stack and the wrapped hooks
    Strawberry makes for every stage of every run. A hook that fails while the stage is entered
    leaves the hooks entered before it, which Strawberry's stack does not."""

    __slots__ = ("_entered", "_hooks")

    def __init__(self, hooks: list[tuple[Any, bool]]) -> None:
        self._hooks = hooks  # (context manager, whether it is async)
        self._entered: list[tuple[Any, bool]] = []

    async def __aenter__(self) -> None:
        for hook, is_async in self._hooks:
            try:
                await hook.__aenter__() if is_async else hook.__enter__()
            except BaseException as exc:
                await self.__aexit__(type(exc), exc, exc.__traceback__)
                raise
            self._entered.append((hook, is_async))

    async def __aexit__(self, kind: Any, error: BaseException | None, traceback: Any) -> bool:
        pending = error
        while self._entered:
            hook, is_async = self._entered.pop()
            details = (None, None, None) if pending is None else (type(pending), pending, pending.__traceback__)
            try:
                done = await hook.__aexit__(*details) if is_async else hook.__exit__(*details)
            except BaseException as exc:  # noqa: BLE001 - as an exit stack: it replaces the pending one
                pending = exc
                continue
            if done and pending is not None:
                pending = None
        if pending is not None and pending is not error:
            raise pending
        return error is not None and pending is None


def _stage(extensions: list[SchemaExtension], name: str, *args: Any) -> Any:
    hooks = []
    for extension in extensions:
        found = _factory(type(extension), name)
        if found is not None:
            factory, is_async = found
            hooks.append((factory(extension, *args), is_async))
    return _Stage(hooks)


class CachedHooksRunner(SchemaExtensionsRunner):
    """Strawberry's runner for the hooks a resumed subscription runs (its operation, its
    execution, each result; parsing and validation where it goes through Strawberry's stream),
    with each extension class's hooks worked out once and each stage entered without an exit
    stack (``_Stage``)."""

    def operation(self) -> OperationContextManager:
        return cast("OperationContextManager", _stage(self.extensions, "on_operation"))

    def parsing(self) -> ParsingContextManager:
        return cast("ParsingContextManager", _stage(self.extensions, "on_parse"))

    def validation(self) -> ValidationContextManager:
        return cast("ValidationContextManager", _stage(self.extensions, "on_validate"))

    def executing(self) -> ExecutingContextManager:
        return cast("ExecutingContextManager", _stage(self.extensions, "on_execute"))

    def on_stream_result(self, result: Any) -> StreamResultContextManager:
        return cast("StreamResultContextManager", _stage(self.extensions, "on_stream_result", result))
