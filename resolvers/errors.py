"""Domain exceptions. The schema maps each to a typed union member (see ``schema/errors.py``)
or, for coarse gates, to a GraphQL error with ``extensions.code``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from graphql import GraphQLError
from tortoise.models import Model
from tortoise.queryset import QuerySet

from resolvers.codes import ErrorCode
from resolvers.core import Text, _, ngettext, pk_of

M = TypeVar("M", bound=Model)


class CodedError(GraphQLError):
    """A GraphQL error (not data) with a stable ``extensions.code``."""

    code: ErrorCode = ErrorCode.INTERNAL_SERVER_ERROR

    def __init__(self, message: str | Text, **extensions: Any) -> None:
        # A ``Text`` is written in the language of the request or operation (``resolvers/core.py``).
        super().__init__(str(message), extensions={"code": self.code, **extensions})


class Unauthenticated(CodedError):
    code = ErrorCode.UNAUTHENTICATED


class Forbidden(CodedError):
    code = ErrorCode.FORBIDDEN


class BadUserInput(CodedError):
    code = ErrorCode.BAD_USER_INPUT


class StreamInterrupted(CodedError):
    """A live stream lost its broker (or fell behind): the client resubscribes with the last
    cursor and misses nothing, since events are replayed from the outbox."""

    code = ErrorCode.INTERNAL_SERVER_ERROR

    def __init__(self) -> None:
        super().__init__(
            _("Live updates were interrupted. Subscribe again with `after` set to the last cursor you received."),
            retryable=True,
        )


class ServiceUnavailable(CodedError):
    """The database could not be reached, or dropped the connection in the middle of the
    request (``resolvers/unavailable.py``): its transaction was rolled back, so nothing was
    saved and the same request may be sent again. The code stays within API.md's list
    (``INTERNAL_SERVER_ERROR``); ``reason`` and ``retryable`` tell a client what to do."""

    code = ErrorCode.INTERNAL_SERVER_ERROR
    reason = "DATABASE_UNAVAILABLE"

    def __init__(self) -> None:
        super().__init__(
            _("The database is unavailable right now; nothing was saved. Send the request again in a moment."),
            reason=self.reason,
            retryable=True,
        )


@dataclass
class DomainError(Exception):
    """A refusal that a mutation reports as data: a member of its result union."""

    message: Text
    code: ErrorCode

    def __str__(self) -> str:
        return self.message.render()


@dataclass
class FieldProblem:
    """One refused input field: ``field`` is its path in the input (``grades[2].value``)."""

    field: str
    message: Text
    code: ErrorCode | None = None


@dataclass
class ValidationFailed(DomainError):
    problems: list[FieldProblem] = field(default_factory=list)


Problem = tuple[str, ErrorCode, Text]  # (input field, code, message): a FieldProblem written inline


MAX_REASON = 500


def stated_reason(reason: str, ask: Text, problems: list[Problem]) -> str:
    """An admin's reason for an act (a deactivation, a revoked guardianship), its whitespace
    collapsed; REASON_EMPTY (``ask`` says what to state) or REASON_TOO_LONG added to ``problems``."""
    text = " ".join(reason.split())
    if not text:
        problems.append(("reason", ErrorCode.REASON_EMPTY, ask))
    elif len(text) > MAX_REASON:
        problems.append(
            (
                "reason",
                ErrorCode.REASON_TOO_LONG,
                ngettext("A reason has at most {n} character.", "A reason has at most {n} characters.", MAX_REASON),
            )
        )
    return text


def comment_length(text: str | None, limit: int, problems: list[Problem], path: str = "comment") -> None:
    """COMMENT_TOO_LONG added to ``problems`` when a comment (a meeting answer's, a returned
    hand-in's) is longer than ``limit``."""
    if text is not None and len(text) > limit:
        problems.append(
            (
                path,
                ErrorCode.COMMENT_TOO_LONG,
                ngettext("A comment has at most {n} character.", "A comment has at most {n} characters.", limit),
            )
        )


def refuse(problems: Sequence[FieldProblem | Problem]) -> ValidationFailed:
    """The refusal of a whole input: every problem listed, the first one as the headline."""
    listed = [p if isinstance(p, FieldProblem) else FieldProblem(p[0], p[2], p[1]) for p in problems]
    first = listed[0]
    return ValidationFailed(first.message, first.code or ErrorCode.INVALID_INPUT, listed)


@dataclass
class NotFound(DomainError):
    """Not there, or not yours: the two are indistinguishable on purpose."""


async def found_in(scope: QuerySet[M], global_id: str, type_name: str, missing: Text, code: ErrorCode) -> M:
    """The row of ``scope`` that ``global_id`` names (an id of ``type_name``), or
    ``NotFound(missing, code)``.

    The privacy rule it holds: an id of another type (or no id at all), a row that does not exist
    and a row outside the viewer's ``scope`` are refused alike, with the same message and code;
    not yours looks exactly like not there. ``scope`` is what the viewer may reach (a policy
    queryset, or a model filtered to the viewer's schools); a caller that passes a wider one
    (the whole table) checks the rest itself and refuses with this same NotFound."""
    pk = pk_of(global_id, type_name)
    row = await scope.filter(id=pk).first() if pk else None
    if row is None:
        raise NotFound(missing, code)
    return row


@dataclass
class InvalidCredentials(DomainError):
    pass


@dataclass
class ExternalLoginFailed(DomainError):
    """An external login (OpenID Connect) did not prove who is asking: the provider refused or
    is down, the state or id token failed a check, or the identity leads to no account."""


@dataclass
class RateLimited(DomainError):
    retry_after_seconds: int = 0


@dataclass
class RowProblem:
    """One problem of an uploaded file: its line (1 is the header), column and code."""

    line: int
    column: str | None
    code: ErrorCode
    message: Text


@dataclass
class FileRefused(DomainError):
    """A file was refused as a whole (nothing written): every problem, line by line."""

    problems: list[RowProblem] = field(default_factory=list)

    @classmethod
    def of(cls, problems: list[RowProblem], columns: Sequence[str]) -> FileRefused:
        """Every problem of a file, by line and then in the order of the file's ``columns``,
        the first one told in the message."""
        problems.sort(key=lambda p: (p.line, columns.index(p.column) if p.column in columns else -1))
        first = problems[0]
        message = ngettext(
            "{n} problem; nothing was imported. Line {line}: {message}",
            "{n} problems; nothing was imported. Line {line}: {message}",
            len(problems),
            line=first.line,
            message=first.message,
        )
        return cls(message, first.code, problems)
