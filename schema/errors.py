"""Error types of mutation result unions, and the handlers mapping domain exceptions to them
(each error they return counted by its code: ``counted``)."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable
from typing import Any, cast

import strawberry
from strawberry.schema.exception_handlers import ExceptionHandler, get_error_type, get_exception_types

from edge import metrics
from resolvers import errors
from resolvers.codes import ErrorCode
from resolvers.core import Text
from schema.enums import describe

describe(
    ErrorCode,
    name="ErrorCode",
    description=(
        "The one catalogue of error codes: every `Error.code` (and `FieldError.code`, `FileProblem.code`) and every "
        "`extensions.code` of a GraphQL error is one of these. Codes are stable and never change with the language."
    ),
    values={code: code.meaning for code in ErrorCode},
)


@strawberry.interface(description="A refusal reported as data. Select `... on Error { code message }` on any result.")
class Error:
    message: str = strawberry.field(description="Human-readable explanation, safe to show to the user.")
    code: ErrorCode = strawberry.field(description="Stable code for programs; each error type says which it uses.")


@strawberry.type(description="One refused input field.")
class FieldError:
    field: str = strawberry.field(
        description="The input field's path, in camelCase: `value`, or `grades[2].value` for a row of a list."
    )
    message: str = strawberry.field(description="What is wrong with it.")
    code: ErrorCode | None = strawberry.field(description="This problem's code (see the mutation's description).")


@strawberry.type(
    description=(
        "The input was refused; nothing was written. `code` is the first problem's; `fields` lists every "
        "problem with its own code. Each mutation's description lists the codes it can return."
    )
)
class ValidationError(Error):
    fields: list[FieldError] = strawberry.field(description="Every refused field, not only the first.")


@strawberry.type(
    description=(
        "The object does not exist or is not yours: the two are indistinguishable. "
        "Codes: `<TYPE>_NOT_FOUND` (STUDENT_NOT_FOUND, LESSON_NOT_FOUND, GRADE_NOT_FOUND, SESSION_NOT_FOUND, ...)."
    )
)
class NotFoundError(Error):
    pass


@strawberry.type(
    description="Wrong login or password (code INVALID_CREDENTIALS), the right password of a deactivated "
    "account (code ACCOUNT_DEACTIVATED), or a bad refresh token (code INVALID_REFRESH_TOKEN)."
)
class InvalidCredentialsError(Error):
    pass


@strawberry.type(
    description="An external login (an identity provider) proved nothing, and nothing was written: "
    "EXTERNAL_LOGIN_INVALID (unknown, used or expired `state`), IDENTITY_PROVIDER_ERROR (the provider refused or "
    "is down), ID_TOKEN_INVALID (its id token failed a check), IDENTITY_NOT_LINKED (no account has this identity), "
    "IDENTITY_TAKEN (another account has it), ACCOUNT_DEACTIVATED."
)
class ExternalLoginError(Error):
    pass


@strawberry.type(description="Too many attempts (code RATE_LIMITED). Wait `retryAfterSeconds` and try again.")
class RateLimitedError(Error):
    retry_after_seconds: int = strawberry.field(description="Seconds until the next attempt is accepted.")


@strawberry.type(description="One problem of an uploaded file.")
class FileProblem:
    line: int = strawberry.field(description="The line of the file, 1 being the header.")
    column: str | None = strawberry.field(description="The column (as documented, e.g. `birth_date`); null: the row.")
    code: ErrorCode = strawberry.field(description="This problem's code (see the mutation's description).")
    message: str = strawberry.field(description="What is wrong, safe to show to the user.")


@strawberry.type(
    description="An uploaded file was refused as a whole; nothing was written. `problems` lists every problem by "
    "line, `code` is the first one's."
)
class FileRefusedError(Error):
    problems: list[FileProblem] = strawberry.field(description="Every problem, in file order.")


def _shown(message: Text) -> str:
    """``message`` as the error type holds it until ``schema/messages.py`` renders it in the
    operation's language (``LocalizedHandler``): the ``Text`` itself, typed as the field's ``str``."""
    return cast(str, message)


class ValidationHandler(strawberry.ExceptionHandler[errors.ValidationFailed, ValidationError]):
    def handle(self, exception: errors.ValidationFailed, *, field: Any, info: Any) -> ValidationError:
        return ValidationError(
            message=_shown(exception.message),
            code=exception.code,
            fields=[FieldError(field=p.field, message=_shown(p.message), code=p.code) for p in exception.problems],
        )


class NotFoundHandler(strawberry.ExceptionHandler[errors.NotFound, NotFoundError]):
    def handle(self, exception: errors.NotFound, *, field: Any, info: Any) -> NotFoundError:
        return NotFoundError(message=_shown(exception.message), code=exception.code)


class CredentialsHandler(strawberry.ExceptionHandler[errors.InvalidCredentials, InvalidCredentialsError]):
    def handle(self, exception: errors.InvalidCredentials, *, field: Any, info: Any) -> InvalidCredentialsError:
        return InvalidCredentialsError(message=_shown(exception.message), code=exception.code)


class RateLimitHandler(strawberry.ExceptionHandler[errors.RateLimited, RateLimitedError]):
    def handle(self, exception: errors.RateLimited, *, field: Any, info: Any) -> RateLimitedError:
        return RateLimitedError(
            message=_shown(exception.message), code=exception.code, retry_after_seconds=exception.retry_after_seconds
        )


class ExternalLoginHandler(strawberry.ExceptionHandler[errors.ExternalLoginFailed, ExternalLoginError]):
    def handle(self, exception: errors.ExternalLoginFailed, *, field: Any, info: Any) -> ExternalLoginError:
        return ExternalLoginError(message=_shown(exception.message), code=exception.code)


class FileRefusedHandler(strawberry.ExceptionHandler[errors.FileRefused, FileRefusedError]):
    def handle(self, exception: errors.FileRefused, *, field: Any, info: Any) -> FileRefusedError:
        return FileRefusedError(
            message=_shown(exception.message),
            code=exception.code,
            problems=[
                FileProblem(line=p.line, column=p.column, code=p.code, message=_shown(p.message))
                for p in exception.problems
            ],
        )


EXCEPTION_HANDLERS: list[strawberry.ExceptionHandler[Any, Any]] = [
    ValidationHandler(),
    NotFoundHandler(),
    CredentialsHandler(),
    RateLimitHandler(),
    FileRefusedHandler(),
    ExternalLoginHandler(),
]


class WrappedHandler:
    """An exception handler around another, doing ``after`` to each error it returns (a result,
    or None when it declines), whether the handler answers at once or awaits."""

    def __init__(self, handler: ExceptionHandler[Any, Any]) -> None:
        self.handler = handler
        self.exception_type = get_exception_types(handler)
        self.error_type = get_error_type(handler)

    def after(self, result: Any, info: Any) -> Any:
        raise NotImplementedError

    def handle(self, exception: Exception, *, field: Any, info: Any) -> Any:
        result = self.handler.handle(exception, field=field, info=info)
        if inspect.isawaitable(result):
            return self._after(result, info)
        return self.after(result, info)

    async def _after(self, pending: Awaitable[Any], info: Any) -> Any:
        return self.after(await pending, info)


class CountedHandler(WrappedHandler):
    """An exception handler that counts the code of every result-union error it returns
    (``ValidationError``, ``NotFoundError`` ...), for ``ediary_graphql_errors_total``."""

    def after(self, result: Any, info: Any) -> Any:
        if result is not None:
            metrics.record_error(getattr(result, "code", None))
        return result


def counted(handlers: list[ExceptionHandler[Any, Any]]) -> list[ExceptionHandler[Any, Any]]:
    return [CountedHandler(h) for h in handlers]
