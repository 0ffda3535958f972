"""The conventional codes of a document that never ran: ``GRAPHQL_PARSE_FAILED`` when it is not
GraphQL, ``GRAPHQL_VALIDATION_FAILED`` when it does not validate against the schema. Set on the
errors themselves, so HTTP and both WebSocket protocols answer alike. An error that already
has a code keeps it (``QUERY_TOO_COMPLEX`` from the limits, ``PERSISTED_QUERY_REQUIRED``).

A value a scalar refuses is ``BAD_USER_INPUT`` wherever it is written: as a variable (refused
before execution, ``server.GraphQLView``) or as a literal in the document (a date out of range,
a DateTime without an offset), which graphql-core reports while validating with the scalar's
own error (or the exception it raised as ``original_error``)."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.extensions import SchemaExtension

from resolvers.codes import ErrorCode


def _code(errors: list[GraphQLError] | None, code: ErrorCode) -> None:
    for error in errors or ():
        if not (error.extensions or {}).get("code"):
            refused_value = isinstance(error, StrawberryInputCoercionError) or error.original_error is not None
            error.extensions = {
                **(error.extensions or {}),
                "code": ErrorCode.BAD_USER_INPUT if refused_value else code,
            }


class DocumentErrorCodes(SchemaExtension):
    """Listed first, so that its code is set after every other extension's hook has run."""

    def on_parse(self) -> Iterator[None]:
        yield
        _code(self.execution_context.pre_execution_errors, ErrorCode.GRAPHQL_PARSE_FAILED)

    def on_validate(self) -> Iterator[None]:
        yield
        _code(self.execution_context.pre_execution_errors, ErrorCode.GRAPHQL_VALIDATION_FAILED)
