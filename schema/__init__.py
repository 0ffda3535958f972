"""The GraphQL schema: ``schema.build_schema()``."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import GraphQLError, NoSchemaIntrospectionCustomRule, OperationDefinitionNode
from strawberry.extensions import AddValidationRules, SchemaExtension, ValidationCache
from strawberry.types import ExecutionContext

from resolvers.codes import ErrorCode
from resolvers.errors import CodedError
from resolvers.unavailable import database_unreachable
from schema import (
    announcements,
    chats,
    deliveries,
    diary,
    guardianships,
    meetings,
    notifications,
    remarks,
    scalars,
    types,
)
from schema.error_codes import DocumentErrorCodes
from schema.errors import EXCEPTION_HANDLERS
from schema.faces import FaceFields
from schema.limits import LimitedParser, Limits, limited_execution, validation_rules
from schema.live import shared_execution
from schema.metrics import OperationMetrics, counted
from schema.mutation import Mutation
from schema.persisted import trusted_documents_rule
from schema.query import Query
from schema.rate_limits import MutationRateLimit
from schema.stored_text import UnstorableText, unstorable_text
from schema.subscription import Subscription
from schema.tracing import tracing_extensions
from schema.unavailable import DatabaseUnavailable

log = logging.getLogger("ediary.errors")

MASKED_MESSAGE = "Internal server error"


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
                    GraphQLError("The document has several operations: say which one in `operationName`.")
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
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """Log only what nobody expected: refusals carry a code and are answers, not faults;
        syntax and validation errors are the client's. Never log variables (passwords)."""
        for error in errors:
            if error.path is not None and error.original_error is not None and not (error.extensions or {}).get("code"):
                log.error("unexpected error at %s", ".".join(map(str, error.path)), exc_info=error.original_error)


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
    (``schema.metrics``); ``tracing`` adds OpenTelemetry spans when it is configured
    (``schema.tracing``)."""
    from strawberry.extensions import MaskErrors

    limits = limits or Limits()
    rules = list(validation_rules(limits))
    if not introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
        extensions_first: list[Any] = [HideSuggestions]
    else:
        extensions_first = []
    if trusted is not None:
        rules.append(trusted_documents_rule(trusted))
    extensions: list[Any] = [
        DocumentErrorCodes,
        *extensions_first,
        OperationMetrics,
        *(tracing_extensions() if tracing else []),
        lambda: LimitedParser(limits, maxsize=256),
        lambda: AddValidationRules(rules),
        lambda: ValidationCache(maxsize=256),
        RequireOperationName,
        FaceFields,
        MutationRateLimit,
        DatabaseUnavailable,
        UnstorableText,
    ]
    if production:
        extensions.append(lambda: MaskErrors(should_mask_error=_should_mask, error_message=MASKED_MESSAGE))
    return DiarySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[
            types.User,
            types.School,
            types.Subject,
            types.SchoolClass,
            types.Student,
            types.Lesson,
            types.Homework,
            diary.Grade,
            types.Term,
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
        exception_handlers=counted(EXCEPTION_HANDLERS),
        execution_context_class=limited_execution(shared_execution(), limits),
    )


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
