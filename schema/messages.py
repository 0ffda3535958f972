"""Errors in the reader's language.

Result-union errors: a domain exception may carry its message as a ``core.Text`` (``_("...")``
where it is raised, its id and parameters kept), and the error type built from it is written
here, in the operation's locale (``Context.locale``), as it is returned. Plain strings pass
unchanged.

graphql-core's refusals of a document (syntax, validation, variables) get a heading in the
operation's language (``DocumentRefusalsInLanguage``), which also writes our trusted-documents
rule's refusal (PERSISTED_QUERY_REQUIRED over a socket) in it."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError
from strawberry.schema.exception_handlers import ExceptionHandler

from edge import intake
from resolvers import core
from resolvers.codes import ErrorCode
from resolvers.core import _
from schema.errors import WrappedHandler
from schema.gates import RewritesErrors


def localize(error: Any, locale: str) -> Any:
    """``error`` (an ``Error`` type, or None) with its ``message`` and those of its ``fields``
    and ``problems`` rendered in ``locale``."""
    if error is None:
        return None
    for part in [error, *(getattr(error, "fields", None) or []), *(getattr(error, "problems", None) or [])]:
        message = getattr(part, "message", None)
        if isinstance(message, core.Text):
            part.message = message.render(locale)
    return error


class LocalizedHandler(WrappedHandler):
    """An exception handler whose result's messages are rendered in the operation's locale."""

    def after(self, result: Any, info: Any) -> Any:
        return localize(result, info.context.locale)


def localized(handlers: list[ExceptionHandler[Any, Any]]) -> list[ExceptionHandler[Any, Any]]:
    return [LocalizedHandler(h) for h in handlers]


def _refused_document(error: GraphQLError) -> GraphQLError:
    """graphql-core's own refusal of a document (syntax, validation, variables), headed in the
    request's language. The parser's sentence names the document's fields and types and stays
    as it is; in English it is the whole message."""
    # Translators: {detail} is graphql-core's English message; the English text is {detail} alone.
    message = str(_("The GraphQL document was refused: {detail}", detail=error.message))
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error,
        extensions=error.extensions,
    )


# The codes of a document refused before it ran (``schema/gates.py``): graphql-core's words.
DOCUMENT_REFUSALS = frozenset(
    {None, ErrorCode.GRAPHQL_PARSE_FAILED, ErrorCode.GRAPHQL_VALIDATION_FAILED, ErrorCode.BAD_USER_INPUT}
)


class DocumentRefusalsInLanguage(RewritesErrors):
    """Heads graphql-core's refusals of a document (syntax, validation, variables: no ``path``)
    in the operation's language, over HTTP and sockets alike. New errors, not the old ones changed:
    the validation cache keeps those for requests in other languages."""

    @staticmethod
    def matches(error: GraphQLError) -> bool:
        code = (error.extensions or {}).get("code")
        return error.path is None and (code in DOCUMENT_REFUSALS or code == ErrorCode.PERSISTED_QUERY_REQUIRED)

    @staticmethod
    def replaced(error: GraphQLError) -> GraphQLError:
        if (error.extensions or {}).get("code") == ErrorCode.PERSISTED_QUERY_REQUIRED:  # our own rule's refusal
            return GraphQLError(str(intake.REQUIRED), nodes=error.nodes, extensions=error.extensions)
        return _refused_document(error)
