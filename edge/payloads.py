"""The one reader of JSON that clients send: HTTP bodies, GET parameters and WebSocket frames.

``read_json`` is ``json.loads`` with two more refusals, so that no frame or body reaches
GraphQL in a shape that makes it fail: nesting deeper than ``MAX_DEPTH`` arrays and objects
(a 2 KB body of 1,000 nested arrays would otherwise exhaust the recursion of whatever walks
it), and strings holding a lone UTF-16 surrogate (``"\\ud800"``: no valid Unicode text has
one, and such a string cannot be encoded to UTF-8 when it is logged, stored or sent back).
Every refusal is a ``PayloadRefused`` (a ``ValueError``) with a message for the client."""

from __future__ import annotations

import json
import re
from typing import Any

from resolvers.i18n import Text, _

MAX_DEPTH = 32

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class PayloadRefused(ValueError):
    """The JSON cannot be read (``syntax``), is nested too deeply, or holds invalid Unicode."""

    def __init__(self, message: str | Text, *, syntax: bool = False) -> None:
        super().__init__(str(message))  # in the language of the request or socket (resolvers/i18n.py)
        self.message, self.syntax = str(message), syntax


def read_json(data: str | bytes) -> Any:
    """The value of the JSON text ``data``, or ``PayloadRefused``."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise PayloadRefused(_("The JSON is not valid UTF-8."), syntax=True) from None
    if _too_deep(data):
        raise PayloadRefused(_("The JSON is nested more than {depth} levels deep.", depth=MAX_DEPTH))
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        raise PayloadRefused(_("The JSON cannot be read."), syntax=True) from None
    if _holds_surrogate(value):
        raise PayloadRefused(_("The JSON holds a lone UTF-16 surrogate, which is not valid Unicode text."))
    return value


def _too_deep(text: str) -> bool:
    """Whether the brackets outside strings nest deeper than MAX_DEPTH (checked before parsing:
    the parser itself recurses once a level). Brackets of invalid JSON may be miscounted; the
    parser refuses such text anyway."""
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub("", text) if '"' in text else text):
        if match.group() in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        else:
            depth -= 1
    return False


def _holds_surrogate(value: Any) -> bool:
    """Whether a string anywhere in ``value`` (at most MAX_DEPTH levels) has a lone surrogate
    (escaped as ``\\udXXX`` in the text)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
