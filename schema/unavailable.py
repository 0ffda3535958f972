"""``DATABASE_UNAVAILABLE``: a request that lost its database gets a clear, retryable error
(``resolvers/unavailable.py`` decides what counts), in development and production alike;
production's masking leaves these alone (``schema._should_mask``)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from resolvers.errors import ServiceUnavailable
from resolvers.unavailable import database_unreachable

log = logging.getLogger("ediary.errors")


def _replaced(errors: list[GraphQLError]) -> list[GraphQLError]:
    out = []
    for error in errors:
        if database_unreachable(error.original_error):
            log.warning(
                "database unavailable at %s", ".".join(map(str, error.path or [])), exc_info=error.original_error
            )
            unavailable = ServiceUnavailable()
            error = GraphQLError(
                unavailable.message,
                nodes=error.nodes,
                path=error.path,
                original_error=unavailable,
                extensions=unavailable.extensions,
            )
        out.append(error)
    return out


def _process(result: Any) -> None:
    errors = getattr(result, "errors", None)
    if errors and any(database_unreachable(e.original_error) for e in errors):
        result.errors = _replaced(errors)


class DatabaseUnavailable(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        _process(getattr(result, "initial_result", result))

    def on_stream_result(self, result: Any) -> Iterator[None]:
        """Each event of a subscription."""
        _process(result)
        yield
