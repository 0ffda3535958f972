"""The family app on ``GET /`` (parents and students; ``web/app``): Preact, urql and graphql-ws
from the npm registry (pinned by ``web/app/package-lock.json``), built by Vite into
``web/app/dist`` by ``make app`` (``make install`` runs it when npm is there). It uses only the
public GraphQL API. The page's Content-Security-Policy lets it load and connect to nothing but
this origin; without the built files ``/`` says how to build them, and the API still serves."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from resolvers.core import _

HERE = Path(__file__).parent / "app"
DIST = HERE / "dist"

# Its scripts, styles and requests (HTTP and WebSocket) from this origin only; no inline script
# or style, no frames, no plugins.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; manifest-src 'self'; worker-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",  # the page names the current build's files
}
IMMUTABLE = "public, max-age=31536000, immutable"  # /assets/: names carry their content's hash

NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ediary</title></head>
<body><h1>The family app is not built</h1>
<p>It comes from the npm registry: run <code>make app</code> (needs Node.js and npm).
The GraphQL API is served at <a href="/graphql">/graphql</a> all the same.</p>
</body></html>
"""


@dataclass(frozen=True)
class Page:
    """The app's page as Vite wrote it (naming its hashed assets), or, unbuilt, a page that says
    how to build it (503); ``stamp`` is when it was written."""

    html: str
    status: int
    stamp: float | None = None

    @classmethod
    def load(cls) -> Page:
        index = DIST / "index.html"
        try:
            stamp = index.stat().st_mtime
            return cls(index.read_text(encoding="utf-8"), 200, stamp)
        except OSError:
            return cls(NOT_BUILT, 503)

    def current(self) -> Page:
        """This page, or the one a new build wrote since (`make app` while the server runs: the
        old build's files are gone). One stat per request of ``/``."""
        try:
            stamp: float | None = (DIST / "index.html").stat().st_mtime
        except OSError:
            stamp = None
        return self if stamp == self.stamp else Page.load()

    def response(self) -> Response:
        return HTMLResponse(self.html, self.status, headers=HEADERS)


class _Assets(StaticFiles):
    """The built scripts and styles, cached for good (a new build has new names), sent gzipped
    (the build's ``.gz`` beside each) to browsers that accept it."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        accepts = Headers(scope=scope).get("accept-encoding", "")
        packed = Path(str(self.directory)) / f"{path}.gz"
        if "gzip" in accepts and not path.endswith(".gz") and "/" not in path and packed.is_file():
            media_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
            response: Response = FileResponse(packed, media_type=media_type, headers={"Content-Encoding": "gzip"})
        else:
            response = await super().get_response(path, scope)
        response.headers["Cache-Control"] = IMMUTABLE
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Vary"] = "Accept-Encoding"
        return response


# The files at the root the page names: the service worker must be served from / to control
# the app's pages, the manifest makes the app installable. Read each time (small; a new build
# shows at once), and never cached for long: they name the current build's files.
ROOT_FILES = {
    "sw.js": "text/javascript; charset=utf-8",
    "manifest.webmanifest": "application/manifest+json",
    "icon.svg": "image/svg+xml",
}


# The default EDIARY_PASSWORD_RECOVERY_URL's path, and the redirect URI to register for a provider.
APP_PATHS = ("/password-recovery", "/login/callback")


def routes() -> list[Route | Mount]:
    """``/`` (the page), its root files (``ROOT_FILES``) and ``/assets/`` (its files;
    ``check_dir=False``: the app starts without them)."""
    page = Page.load()

    async def index(request: Request) -> Response:
        nonlocal page
        page = page.current()
        return page.response()

    async def root_file(request: Request) -> Response:
        name = request.url.path.lstrip("/")
        path = DIST / name
        if not path.is_file():
            return PlainTextResponse(str(_("Not found.")), 404)
        headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
        return Response(path.read_bytes(), media_type=ROOT_FILES[name], headers=headers)

    return [
        Route("/", index, methods=["GET", "HEAD"]),
        # The addresses other sites send people to, answered by the app itself (its src/screens/links.ts):
        # the e-mailed password recovery link and an identity provider's redirect.
        *(Route(path, index, methods=["GET", "HEAD"]) for path in APP_PATHS),
        *(Route(f"/{name}", root_file, methods=["GET", "HEAD"]) for name in ROOT_FILES),
        Mount("/assets", app=_Assets(directory=DIST / "assets", check_dir=False), name="family-assets"),
    ]
