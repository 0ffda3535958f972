"""The GraphQL schema: ``schema.build_schema()``."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncGenerator, Callable, Iterator
from typing import Any

import strawberry
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError, NoSchemaIntrospectionCustomRule, OperationDefinitionNode
from graphql.execution import create_source_event_stream
from strawberry.extensions import AddValidationRules, MaskErrors, SchemaExtension, ValidationCache
from strawberry.types import ExecutionContext
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType
from strawberry.utils.aio import aclosing

from resolvers import outbox
from resolvers.codes import ErrorCode
from resolvers.core import _
from resolvers.errors import CodedError
from resolvers.unavailable import database_unreachable
from schema import (
    CachedHooksRunner,
    SharedEventExecution,
    announcements,
    chats,
    deliveries,
    direct_resolvers,
    grades,
    guardianships,
    meetings,
    notifications,
    remarks,
    scalars,
    shared_execution,
)
from schema.calendar import Term
from schema.completion import leaf_lists
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
            allowed_operation_types=(OperationType.SUBSCRIPTION,),
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
    are refused (schema/limits.py); with ``trusted`` hashes only those documents run
    (schema/persisted.py), their cost measured with each request's variables as it runs;
    production masks unexpected errors. Every operation is measured
    (``schema.extensions``); ``tracing`` adds OpenTelemetry spans when it is configured
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
        [lambda: MaskErrors(should_mask_error=_should_mask, error_message=str(_("Internal server error")))]
        if production
        else []
    )
    extensions.extend(masking)
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
        execution_context_class=limited_execution(leaf_lists(shared_execution()), limits),
    )
    direct_resolvers(schema)  # before guard_faces, which wraps what it finds
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
