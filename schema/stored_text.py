"""Text the database cannot hold: PostgreSQL's ``text`` refuses NUL (even as a parameter of a
WHERE clause), SQLSTATE 22021, and characters its encoding lacks, 22P05. Text people write for
others is checked before it gets there (``resolvers/text.py``: INVALID_CHARACTERS); any other
string argument holding such a character (a login, a search, a filter) is BAD_USER_INPUT here,
never an INTERNAL_SERVER_ERROR. The statement failed, so nothing it would have written was
written (every write runs in its transaction)."""

from __future__ import annotations

from graphql import GraphQLError

from resolvers.core import _
from resolvers.errors import BadUserInput
from schema.gates import RewritesErrors

_SQLSTATES = frozenset({"22021", "22P05"})
MESSAGE = _("The text holds a character that cannot be stored or searched (NUL): remove it.")


def unstorable_text(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or what it was raised from) is the database refusing a character."""
    seen = 0
    while exc is not None and seen < 10:
        if getattr(exc, "sqlstate", None) in _SQLSTATES:
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


class UnstorableText(RewritesErrors):
    @staticmethod
    def matches(error: GraphQLError) -> bool:
        return unstorable_text(error.original_error)

    @staticmethod
    def replaced(error: GraphQLError) -> GraphQLError:
        refusal = BadUserInput(MESSAGE)
        return GraphQLError(
            refusal.message, nodes=error.nodes, path=error.path, original_error=refusal, extensions=refusal.extensions
        )
