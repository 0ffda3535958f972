"""Messages for people, in Russian and English, from the gettext catalogues under ``locales/``.

A message is written in English as the catalogue's id and wrapped where it is written:
``_("Log in first.")``, ``_("At most {limit} per {seconds} seconds.", limit=5, seconds=60)``,
``ngettext("{n} lesson", "{n} lessons", n)``. Either gives a ``Text``: the id and its
parameters, not yet a string, so that a message made where the language is not known (a module
constant, a domain exception) is rendered where it is shown, in the language of whoever reads
it: ``text.render(locale)``, or ``str(text)`` in the locale of the request or operation being
served (``use``, set at the process edge from ``Accept-Language`` or a socket's
``connection_init`` payload ``locale``; the deployment's ``EDIARY_DEFAULT_LOCALE`` elsewhere).
Parameters are formatted after translation (``str.format``), so a translation may reorder them.

The ``.po`` files are the source (``make messages`` extracts the ids from the code and updates
them); they are compiled in memory with Babel when the app is created (``server.create_app``),
so a fresh clone needs no build step. Russian plurals follow the catalogue's ``Plural-Forms``
(Babel's rule for ``ru``: 1 урок, 2 урока, 5 уроков, 11 уроков, 21 урок).

``current()`` is the request's or operation's locale (a contextvar, set at the process edge:
``LocaleMiddleware`` for HTTP, ``server.SubscriptionView`` for a socket), and the same value
is ``Context.locale`` for resolvers that hold the context."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from gettext import GNUTranslations
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError, negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

LOCALES = ("ru", "en")
DOMAIN = "ediary"
CATALOGUES = Path(__file__).resolve().parent.parent / "locales"

FALLBACK = "en"  # outside any request (a test, a script): the settings' default is the edge's
_current: ContextVar[str | None] = ContextVar("locale", default=None)


@dataclass(frozen=True)
class Text:
    """A message to show a person: its English id (and plural id), its count and parameters,
    rendered in a locale when it is shown."""

    msgid: str
    params: Mapping[str, Any] = field(default_factory=dict)
    plural: str | None = None
    n: int | None = None

    def render(self, locale: str | None = None) -> str:
        translations = catalogue(locale or current())
        if self.plural is None:
            translated = translations.gettext(self.msgid)
        else:
            translated = translations.ngettext(self.msgid, self.plural, self.n or 0)
        params = {**self.params, "n": self.n} if self.n is not None else self.params
        return translated.format(**params) if params else translated

    def __str__(self) -> str:
        return self.render()

    def with_params(self, **params: Any) -> Text:
        """The same message with ``params`` added (one of several ids chosen, then filled in)."""
        return Text(self.msgid, {**self.params, **params}, self.plural, self.n)


def _(msgid: str, **params: Any) -> Text:
    """A message in the catalogues: ``msgid`` is its English text, ``{name}`` its parameters."""
    return Text(msgid, params)


def ngettext(singular: str, plural: str, n: int, **params: Any) -> Text:
    """A message that counts: ``{n}`` is the count, the form is chosen by the locale's rule."""
    return Text(singular, params, plural, n)


def render(message: str | Text, locale: str | None = None) -> str:
    """A message as shown in ``locale`` (default: the current one); a plain string as it is."""
    return message.render(locale) if isinstance(message, Text) else message


def current() -> str:
    """The locale of the request or operation being served (``use``, ``using``)."""
    return _current.get() or FALLBACK


def use(locale: str) -> None:
    """Serve the rest of this task (and the tasks it starts) in ``locale``: a socket, from its
    upgrade request and then its ``connection_init`` on."""
    _current.set(locale)


@contextlib.contextmanager
def using(locale: str) -> Iterator[None]:
    """Serve what runs inside in ``locale`` (an HTTP request), then the locale before."""
    token = _current.set(locale)
    try:
        yield
    finally:
        _current.reset(token)


class LocaleMiddleware:
    """The one place an HTTP request's locale is chosen: ``Accept-Language``, else the
    deployment's default (``EDIARY_DEFAULT_LOCALE``); every response of the request (the
    GraphQL view and its refusals, the journal download, a 500) is written in it. Pure ASGI.
    GraphQL sockets do not pass here (``server.App``): ``server.SubscriptionView`` reads the
    upgrade request's header and the ``connection_init`` payload's ``locale``."""

    def __init__(self, app: ASGIApp, default: str) -> None:
        self.app, self.default = app, default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with using(negotiate(Headers(scope=scope).get("accept-language")) or self.default):
            await self.app(scope, receive, send)


def negotiate(accept_language: str | None) -> str | None:
    """The best of ``LOCALES`` for an ``Accept-Language`` header (q-values honoured, ``ru-RU``
    and ``en-GB`` count as ``ru`` and ``en``), or None when it names none of them."""
    if not accept_language:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        if tag and tag != "*" and q > 0:
            ranked.append((-q, position, tag))
    preferred = [tag.replace("_", "-") for _q, _position, tag in sorted(ranked)]
    chosen = negotiate_locale(preferred, LOCALES, sep="-") if preferred else None
    return chosen.lower() if chosen else None


def locale_named(value: object) -> str | None:
    """One of ``LOCALES`` for a locale a client names (``ru``, ``ru-RU``, ``en_GB``), else None."""
    if not isinstance(value, str) or not value.strip() or len(value) > 35:
        return None
    try:
        language = Locale.parse(value.strip().replace("-", "_")).language
    except (ValueError, TypeError, UnknownLocaleError):
        return None
    return language if language in LOCALES else None


@cache
def catalogue(locale: str) -> GNUTranslations:
    """The compiled catalogue of ``locale``, read from its ``.po`` file once per process."""
    with (CATALOGUES / locale / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as po:
        catalog = read_po(po, locale=locale, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return GNUTranslations(compiled)
