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
        unavailable = ServiceUnavailable()
        return GraphQLError(
            unavailable.message,
            nodes=error.nodes,
            path=error.path,
            original_error=unavailable,
            extensions=unavailable.extensions,
        )
