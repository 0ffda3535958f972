"""GraphiQL on ``GET /graphql`` for browsers, in development only, with no CDN: its assets are
built from the npm registry (versions pinned by ``web/graphiql/package-lock.json``) into
``web/graphiql/dist`` by ``make graphiql`` (``make install`` runs it when npm is there) and
served by the app at ``/graphiql/``. The page's Content-Security-Policy lets it load nothing
from anywhere but this origin."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

HERE = Path(__file__).parent / "graphiql"
DIST = HERE / "dist"
ASSETS = ("graphiql.js", "graphiql.css")

# Scripts and styles from this origin only (inline styles: CodeMirror positions with them;
# fonts and icons are data: URLs in the CSS), requests (HTTP and WebSocket) to it only.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "font-src 'self' data:; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Vary": "Accept",  # /graphql answers JSON to the same URL
}

NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ediary · GraphiQL</title></head>
<body><h1>GraphiQL is not built</h1>
<p>Its assets come from the npm registry: run <code>make graphiql</code> (needs Node.js and npm).</p>
</body></html>
"""


def _version(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


@dataclass(frozen=True)
class Page:
    """The GraphiQL page, its asset URLs versioned by their content; without the built assets, a
    page that says how to build them (503). Made once per app."""

    html: str
    status: int

    @classmethod
    def load(cls) -> Page:
        if not all((DIST / name).is_file() for name in ASSETS):
            return cls(NOT_BUILT, 503)
        html = (HERE / "index.html").read_text(encoding="utf-8")
        html = html.replace("{js_version}", _version(DIST / "graphiql.js"))
        return cls(html.replace("{css_version}", _version(DIST / "graphiql.css")), 200)

    def response(self) -> Response:
        return HTMLResponse(self.html, self.status, headers=HEADERS)


def assets() -> Mount:
    """``/graphiql/``: the built files (``check_dir=False``: the app starts without them)."""
    return Mount("/graphiql", app=StaticFiles(directory=DIST, check_dir=False), name="graphiql")
