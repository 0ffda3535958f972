"""Strawberry's extension hooks for a parked subscription's runs, without working them out again.

Strawberry's runner inspects every extension for every hook each time a hook runs (is it a
generator, an async generator, a plain function?) and wraps the bound method anew
(``contextlib.contextmanager`` on a ``MethodType``, ``functools.update_wrapper`` each time). A
parked subscription runs its hooks once per event it wakes for (``DiarySchema.resume``), so
that work was a few per cent of the server's CPU per delivery (issue 15). Here the answer is
worked out once per extension class and hook, and each run binds it to its extension: the
same hooks, called in the same order, with the same context-manager semantics."""

from __future__ import annotations

import contextlib
import functools
import inspect
from asyncio import iscoroutinefunction
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import (
    ExecutingContextManager,
    ExtensionContextManagerBase,
    OperationContextManager,
    ParsingContextManager,
    StreamResultContextManager,
    ValidationContextManager,
    WrappedHook,
)
from strawberry.extensions.runner import SchemaExtensionsRunner

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


class _Cached(ExtensionContextManagerBase):
    def get_hook(self, extension: SchemaExtension) -> WrappedHook | None:
        found = _factory(type(extension), self.HOOK_NAME)
        if found is None:
            return None
        factory, is_async = found
        return WrappedHook(extension=extension, hook=functools.partial(factory, extension), is_async=is_async)


class _Operation(_Cached, OperationContextManager):
    pass


class _Parsing(_Cached, ParsingContextManager):
    pass


class _Validation(_Cached, ValidationContextManager):
    pass


class _Executing(_Cached, ExecutingContextManager):
    pass


class _StreamResult(_Cached, StreamResultContextManager):
    pass


class CachedHooksRunner(SchemaExtensionsRunner):
    """Strawberry's runner for the hooks a resumed subscription runs (operation, parsing and
    validation of a document already parsed and validated, execution, each result), with each
    extension class's hooks worked out once."""

    def operation(self) -> OperationContextManager:
        return _Operation(self.extensions)

    def parsing(self) -> ParsingContextManager:
        return _Parsing(self.extensions)

    def validation(self) -> ValidationContextManager:
        return _Validation(self.extensions)

    def executing(self) -> ExecutingContextManager:
        return _Executing(self.extensions)

    def on_stream_result(self, result: Any) -> StreamResultContextManager:
        return _StreamResult(self.extensions, result)
