"""Strawberry's extension hooks for a parked subscription's runs, without working them out again.

Strawberry's runner inspects every extension for every hook each time a hook runs (is it a
generator, an async generator, a plain function?) and wraps the bound method anew
(``contextlib.contextmanager`` on a ``MethodType``, ``functools.update_wrapper`` each time). A
parked subscription runs its hooks once per event it wakes for (``DiarySchema.resume``), so
that work was a few per cent of the server's CPU per delivery (issue 15), and its exit stacks
a few more. Here the answer is worked out once per extension class and hook, and each run binds
it to its extension: the same hooks, called in the same order, with the same context-manager
semantics."""

from __future__ import annotations

import contextlib
import inspect
from asyncio import iscoroutinefunction
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, cast

from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import (
    ExecutingContextManager,
    OperationContextManager,
    ParsingContextManager,
    StreamResultContextManager,
    ValidationContextManager,
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


class _Stage:
    """One stage's hooks (``on_operation``, ``on_execute``, ``on_stream_result``...) for one run:
    entered in the extensions' order and left in reverse, as Strawberry's exit stack does, an
    exception passed to each (a hook may suppress it; one a hook raises replaces it for the
    hooks left before it). Used as ``async with``; without the exit stack and the wrapped hooks
    Strawberry makes for every stage of every run. A hook that fails while the stage is entered
    leaves the hooks entered before it, which Strawberry's stack does not."""

    __slots__ = ("_entered", "_hooks")

    def __init__(self, hooks: list[tuple[Any, bool]]) -> None:
        self._hooks = hooks  # (context manager, whether it is async)
        self._entered: list[tuple[Any, bool]] = []

    async def __aenter__(self) -> None:
        for hook, is_async in self._hooks:
            try:
                await hook.__aenter__() if is_async else hook.__enter__()
            except BaseException as exc:
                await self.__aexit__(type(exc), exc, exc.__traceback__)
                raise
            self._entered.append((hook, is_async))

    async def __aexit__(self, kind: Any, error: BaseException | None, traceback: Any) -> bool:
        pending = error
        while self._entered:
            hook, is_async = self._entered.pop()
            details = (None, None, None) if pending is None else (type(pending), pending, pending.__traceback__)
            try:
                done = await hook.__aexit__(*details) if is_async else hook.__exit__(*details)
            except BaseException as exc:  # noqa: BLE001 - as an exit stack: it replaces the pending one
                pending = exc
                continue
            if done and pending is not None:
                pending = None
        if pending is not None and pending is not error:
            raise pending
        return error is not None and pending is None


def _stage(extensions: list[SchemaExtension], name: str, *args: Any) -> Any:
    hooks = []
    for extension in extensions:
        found = _factory(type(extension), name)
        if found is not None:
            factory, is_async = found
            hooks.append((factory(extension, *args), is_async))
    return _Stage(hooks)


class CachedHooksRunner(SchemaExtensionsRunner):
    """Strawberry's runner for the hooks a resumed subscription runs (its operation, its
    execution, each result; parsing and validation where it goes through Strawberry's stream),
    with each extension class's hooks worked out once and each stage entered without an exit
    stack (``_Stage``)."""

    def operation(self) -> OperationContextManager:
        return cast("OperationContextManager", _stage(self.extensions, "on_operation"))

    def parsing(self) -> ParsingContextManager:
        return cast("ParsingContextManager", _stage(self.extensions, "on_parse"))

    def validation(self) -> ValidationContextManager:
        return cast("ValidationContextManager", _stage(self.extensions, "on_validate"))

    def executing(self) -> ExecutingContextManager:
        return cast("ExecutingContextManager", _stage(self.extensions, "on_execute"))

    def on_stream_result(self, result: Any) -> StreamResultContextManager:
        return cast("StreamResultContextManager", _stage(self.extensions, "on_stream_result", result))
