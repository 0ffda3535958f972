"""Composition root: settings, app factory, lifespan, the GraphQL view, routes, commands.

python server.py run       migrate, seed the demo district if the database is empty, serve
python server.py serve     serve only
python server.py migrate   apply the committed migrations
python server.py seed [--reset]
python server.py export-schema [PATH]
python server.py rollups-check [--repair]   roll-ups vs a full recomputation (exit 1 on a difference)
python server.py trusted-manifest FOLDER   the manifest for EDIARY_TRUSTED_DOCUMENTS
python server.py schema-check   schema.graphql vs the released schema (exit 1: a breaking change CHANGELOG.md lacks)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import os
import secrets
import socket
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import strawberry
import uvicorn
from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.types.graphql import OperationType
from tortoise import Tortoise, connections
from tortoise.migrations.api.migrate import migrate as run_migrations
from tortoise.transactions import in_transaction

from demo.seed import reset_database, seed_demo
from edge import intake, metrics, storage
from edge.channels import Mailer, RecordingSmsGateway, SmsGateway, make_mailer
from edge.intake import Limiter, make_limiter
from edge.logs import configure_logging
from edge.push import Senders, make_senders
from edge.settings import ConfigurationError, Settings, tortoise_config
from edge.socket_counts import make_socket_counts
from pubsub.broker import Broker, MemoryBroker, RedisBroker
from resolvers import (
    catchup,
    core,
    delivery,
    files,
    grades,
    housekeeping,
    journal,
    pages,
    policy,
    push,
    recovery,
    sessions,
)
from resolvers.codes import ErrorCode
from resolvers.core import Text, _
from resolvers.loaders import Loaders
from resolvers.notifier import run_notifier
from resolvers.outbox import MARKER_TASK, run_relay, settle
from resolvers.sessions import Context, Viewer
from schema import FrameEncoder, build_schema, changes, websocket
from schema.gates import Limits
from schema.websocket import (
    SESSION_ENDED,
    SESSION_ENDED_REASON,
    LegacyGraphQLWSHandler,
    SocketRefused,
    Sockets,
    SocketSessions,
    TransportWSHandler,
    WebSocketProtocol,
    decode_frame,
)
from web import family, graphiql

log = logging.getLogger("ediary")

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
# The process's background tasks (the lifespan's, and the outbox's marker, which ``publish``
# starts): their names in task listings and logs, and what tests/test_grade_path.py leaves out of
# one grade's path (they run beside it, not on it).
RELAY_TASK = "outbox-relay"
CATCHUP_TASK = "catch-up"
NOTIFIER_TASK = "notifier"
HOUSEKEEPING_TASK = "housekeeping"
COLLECTOR_TASK = "collector"
BACKGROUND_TASKS = frozenset(
    {RELAY_TASK, CATCHUP_TASK, NOTIFIER_TASK, HOUSEKEEPING_TASK, COLLECTOR_TASK, MARKER_TASK, websocket.TASK_NAME}
)


def query_limits(settings: Settings) -> Limits:
    return Limits(
        max_depth=settings.max_query_depth,
        max_aliases=settings.max_query_aliases,
        max_tokens=settings.max_query_tokens,
        max_cost=settings.max_query_cost,
        default_list_size=settings.default_list_size,
    )


def make_broker(settings: Settings) -> Broker:
    """The in-memory broker, or Redis when ``REDIS_URL`` is set. Redis connections are named
    ``ediary:<host>:<pid>:<app>`` so that ``CLIENT LIST`` tells which process holds which."""
    if not settings.redis_url:
        return MemoryBroker()
    return RedisBroker(settings.redis_url, name=f"ediary:{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}")


def bearer_token(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


async def viewer_from_token(settings: Settings, token: str | None, address: str, children: bool = False) -> Viewer:
    """An anonymous viewer for no token, a bad or expired one, or one of an ended session
    (``resolvers/sessions.py``): public fields still work, others say UNAUTHENTICATED (a socket
    is closed instead: ``SubscriptionView.on_ws_connect``). The session is read with the
    account, in one statement; with ``children``, the viewer's own children too (the policy's
    ``children_ids``), for the request's ``viewer.children``."""
    if token is None:
        return Viewer(None, address)
    try:
        claims = sessions.read_access_token(settings, token)
    except sessions.InvalidToken:
        return Viewer(None, address)
    viewer = Viewer(claims.user_id, address, session_id=claims.session_id)
    return await sessions.admit(viewer, policy.children_ids if children else None)


def _client_address(request: Request | WebSocket) -> str:
    return request.client.host if request.client else ""


def _negotiate(accept: str) -> str | None:
    """The response media type for an Accept header, or None for 406."""
    if not accept.strip():
        return JSON
    best: tuple[float, int, str] | None = None
    for position, part in enumerate(accept.split(",")):
        media, *params = [p.strip() for p in part.split(";")]
        q = 1.0
        for param in params:
            if param.startswith("q="):
                with contextlib.suppress(ValueError):
                    q = float(param[2:])
        media = media.lower()
        if media in (GRAPHQL_RESPONSE, JSON, "application/*", "*/*") and q > 0:
            chosen = GRAPHQL_RESPONSE if media == GRAPHQL_RESPONSE else JSON
            rank = (q, -position, chosen)
            if best is None or rank[:2] > best[:2]:
                best = rank
    return best[2] if best else None


class GraphQLView:
    """GraphQL over HTTP (the GraphQL-over-HTTP spec): POST with JSON for anything, GET for
    queries only, ``application/graphql-response+json`` when accepted (4xx for requests that
    never executed), ``application/json`` otherwise (200 for any well-formed request)."""

    def __init__(
        self,
        schema: strawberry.Schema,
        settings: Settings,
        broker: Broker,
        limiter: Limiter,
        documents: intake.PersistedQueries,
    ) -> None:
        self.schema = schema
        self.settings = settings
        self.broker = broker
        self.limiter = limiter
        self.documents = documents
        self.graphiql = None if settings.production else graphiql.Page.load()

    def context(self, request: Request | WebSocket, viewer: Viewer) -> Context:
        return Context(
            request=request,
            viewer=viewer,
            loaders=Loaders.of_request(viewer),
            broker=self.broker,
            settings=self.settings,
            limiter=self.limiter,
            locale=core.current(),  # chosen by core.LocaleMiddleware, or for a socket by SubscriptionView
        )

    async def __call__(self, request: Request) -> Response:
        if request.method not in ("GET", "POST"):
            return _problem(405, _("GraphQL accepts GET and POST."), headers={"Allow": "GET, POST"})
        accept = request.headers.get("accept", "")
        if request.method == "GET" and "text/html" in accept and "query" not in request.query_params:
            if self.graphiql is None:
                return _problem(404, _("Not found."))
            return self.graphiql.response()
        media = _negotiate(accept)
        if media is None:
            return _problem(406, _("Accept {graphql} or {json}.", graphql=GRAPHQL_RESPONSE, json=JSON))
        try:
            params = await self._params(request)
            query = await self.documents.document(params)
        except _RequestError as exc:
            return _problem(exc.status, exc.message, media=media, headers=exc.headers, code=exc.code)
        except intake.PersistedQueryError as exc:
            # Apollo's link retries with the full query on this 200; anything else is a bad request.
            status = 200 if exc.code == ErrorCode.PERSISTED_QUERY_NOT_FOUND else 400
            return _problem(status, exc.message, media=media, code=exc.code)
        viewer = await viewer_from_token(
            self.settings,
            bearer_token(request.headers.get("authorization")),
            _client_address(request),
            # A document that names ``children`` (a family's diary, progress...: ``Viewer.children``)
            # has them read with the session; a field can only be asked for by its name, so no
            # document that asks is missed, and one that only mentions the word reads a few rows more.
            children="children" in query,
        )
        allowed = {OperationType.QUERY} if request.method == "GET" else {OperationType.QUERY, OperationType.MUTATION}
        try:
            result = await self.schema.execute(
                query,
                variable_values=params.get("variables"),
                operation_name=params.get("operationName"),
                context_value=self.context(request, viewer),
                allowed_operation_types=allowed,
            )
        except CannotGetOperationTypeError:
            name = params.get("operationName")
            return _problem(
                400,
                _("The document has no operation named `{name}`.", name=name) if name else _("No operation to run."),
                media=media,
            )
        except InvalidOperationTypeError:
            if request.method == "GET":
                return _problem(
                    405,
                    _("Only queries are allowed over GET; send mutations with POST."),
                    media=media,
                    headers={"Allow": "POST"},
                )
            return _problem(400, _("Subscriptions are served over WebSocket only."), media=media)
        body: dict[str, Any] = {}
        executed = result.data is not None or any(e.path for e in result.errors or [])
        if executed:
            body["data"] = result.data
        if result.errors:
            body["errors"] = [self._format_error(e) for e in result.errors]
        if result.extensions:
            body["extensions"] = result.extensions  # the cost (schema/gates.py: QueryCost)
        status = 200 if executed or media == JSON else 400
        retry = _retry_after(result.errors) if not executed else None
        if retry is not None:
            return _json(body, 429, media, headers={"Retry-After": str(retry)})
        return _json(body, status, media)

    def _format_error(self, error: GraphQLError) -> dict[str, Any]:
        formatted: dict[str, Any] = dict(error.formatted)
        extensions = dict(formatted.get("extensions") or {})
        # Without a path the request never executed: syntax and validation errors carry their
        # codes (schema/gates.py), variable values refused by coercion are BAD_USER_INPUT.
        code = extensions.pop("code", None) or (
            ErrorCode.INTERNAL_SERVER_ERROR if error.path else ErrorCode.BAD_USER_INPUT
        )
        formatted["extensions"] = intake.error_extensions(code, **extensions)
        return formatted

    async def _params(self, request: Request) -> dict[str, Any]:
        if request.method == "GET":
            intake.check_query_string(request, self.settings.max_body_bytes)
            q = request.query_params
            data: dict[str, Any] = {k: q[k] for k in ("query", "operationName", "variables", "extensions") if k in q}
            for key in ("variables", "extensions"):
                if key in data:
                    try:
                        data[key] = intake.read_json(data[key])
                    except intake.PayloadRefused as exc:
                        message = (
                            _("`{key}` must be JSON.", key=key)
                            if exc.syntax
                            else _("`{key}`: {problem}", key=key, problem=exc.message)
                        )
                        raise _RequestError(400, message) from None
        else:
            intake.check_post_media(request)
            body = await intake.read_body(request, self.settings.max_body_bytes)
            try:
                data = intake.read_json(body)
            except intake.PayloadRefused as exc:
                raise _RequestError(400, _("The body is not valid JSON.") if exc.syntax else exc.message) from None
            if isinstance(data, list):
                raise _RequestError(400, _("Batched requests are not supported; send one operation per request."))
            if not isinstance(data, dict):
                raise _RequestError(400, _("The body must be a JSON object."))
        for key in ("variables", "extensions"):
            if data.get(key) is not None and not isinstance(data[key], dict):
                raise _RequestError(400, _("`{key}` must be an object.", key=key))
        if data.get("operationName") is not None and not isinstance(data["operationName"], str):
            raise _RequestError(400, _("`operationName` must be a string."))
        return data


_RequestError = intake.RequestRefused


def _retry_after(errors: list[GraphQLError] | None) -> int | None:
    """A request refused by a rate limit (schema/gates.py) is a 429."""
    for error in errors or []:
        extensions = error.extensions or {}
        if extensions.get("code") == ErrorCode.RATE_LIMITED and "retryAfterSeconds" in extensions:
            return int(extensions["retryAfterSeconds"])
    return None


def _problem(
    status: int,
    message: str | Text,
    media: str = JSON,
    headers: dict[str, str] | None = None,
    code: ErrorCode | None = None,
) -> Response:
    code = code or (ErrorCode.BAD_REQUEST if status < 500 else ErrorCode.INTERNAL_SERVER_ERROR)
    body = {"errors": [{"message": core.render(message), "extensions": intake.error_extensions(code)}]}
    return _json(body, status, media, headers)


def _json(body: object, status: int, media: str, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":")), status, headers=headers, media_type=f"{media}; charset=utf-8"
    )


class SubscriptionView(GraphQL[Context, None]):
    """WebSocket subscriptions (graphql-transport-ws and legacy graphql-ws)."""

    graphql_ws_handler_class = LegacyGraphQLWSHandler
    graphql_transport_ws_handler_class = TransportWSHandler

    def __init__(self, schema: strawberry.Schema, view: GraphQLView, sessions: SocketSessions) -> None:
        super().__init__(
            schema,
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL],
            graphql_ide=None,
            connection_init_wait_timeout=timedelta(seconds=10),
            max_subscriptions_per_connection=view.settings.max_subscriptions_per_connection or None,
        )
        self.view = view
        self.frames = FrameEncoder()
        self.sockets = Sockets()
        self.sessions = sessions
        self.park_subscriptions = view.settings.park_subscriptions

    def decode_json(self, data: str | bytes) -> object:
        """Every WebSocket frame the client sends, read by ``intake.read_json``."""
        return decode_frame(data)

    def encode_json(self, data: object) -> str:
        """Every WebSocket frame: a payload already encoded for another subscriber is reused."""
        return self.frames.encode(data)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        """Called once per socket, after the handshake: the upgrade request's headers are read
        here for the last time, so the socket does not keep them for hours."""
        headers = Headers(scope=request.scope)
        intake.bind_request_id(headers.get(intake.REQUEST_ID_HEADER))
        # The upgrade request's Accept-Language (a browser sends it), until connection_init names one.
        core.use(core.negotiate(headers.get("accept-language")) or self.view.settings.default_locale)
        request.scope["headers"] = []
        request.__dict__.pop("_headers", None)  # Starlette's parsed copy (the origin check made it)
        return self.view.context(request, Viewer(None, _client_address(request)))

    async def on_ws_connect(self, context: Context) -> dict[str, object] | None:
        """Authenticate from the ``connection_init`` payload and bind the socket to the token's
        session (``schema/websocket.py``). A bad or expired token closes the socket with
        4403, one of an ended session with 4401, one more socket than the user's cap with 4429;
        no token leaves an anonymous connection."""
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        raw = params.get("Authorization") or params.get("authorization") or params.get("authToken")
        context.connection_params = None  # read: the socket need not keep the token for hours
        chosen = core.locale_named(params.get("locale"))
        if chosen is not None:  # the language of this socket's messages from now on (API.md)
            core.use(chosen)
            context.locale = chosen
        if context.binding is not None:  # a legacy client may send `connection_init` again
            await self.sessions.unbind(context.binding)
            context.binding, context.viewer = None, Viewer(None, context.viewer.address)
        if not isinstance(raw, str) or not raw.strip():
            return None
        token = bearer_token(raw) if " " in raw.strip() else raw.strip()
        try:
            claims = sessions.read_access_token(self.view.settings, token or "")
        except sessions.InvalidToken:
            raise ConnectionRejectionError({"message": str(_("Invalid or expired token."))}) from None
        viewer = await sessions.admit(Viewer(claims.user_id, context.viewer.address, session_id=claims.session_id))
        if not viewer.authenticated:
            extensions = {"code": ErrorCode.UNAUTHENTICATED, "reason": viewer.ended or "SESSION_ENDED"}
            message = str(_("Your session has ended: log in again."))
            payload: dict[str, object] = {"message": message, "extensions": extensions}
            raise SocketRefused(SESSION_ENDED, str(SESSION_ENDED_REASON), payload)
        viewer.forget()  # the account read with the session: a socket keeps nothing it need not
        context.binding = await self.sessions.bind(context.request, claims)
        context.viewer = viewer
        context.loaders = Loaders.of_request(viewer)
        return None


class App(Starlette):
    """Starlette, with GraphQL sockets handed straight to the subscription view (the router has
    HTTP routes only).

    A socket lives for hours and every ASGI layer it passes through keeps a coroutine frame
    for all that time: the middleware (CORS and error pages are HTTP-only anyway) and the
    router cost about 3 KB per idle socket, which 10,000 sockets pay 10,000 times."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and scope["path"] == "/graphql":
            scope["app"] = self
            await self.state.subscriptions(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


async def deliver(mailer: Mailer, sms: SmsGateway, senders: Senders, locale: str) -> None:
    """The notifier's delivery round: due e-mail and SMS, then due pushes."""
    await delivery.deliver_due(mailer, sms, locale=locale)
    await push.deliver_due(senders, locale=locale)


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    pages.use_secret(settings.secret_key)  # the process's cursors (``resolvers/pages.py``)
    for locale in core.LOCALES:  # the message catalogues, read now: a broken one stops the start
        core.catalogue(locale)
    trusted = intake.load_manifest(settings.trusted_documents) if settings.trusted_documents else None
    schema = build_schema(
        production=settings.production,
        tracing=True,
        limits=query_limits(settings),
        introspection=settings.introspection_enabled,
        trusted=frozenset(trusted) if trusted is not None else None,
    )
    broker = make_broker(settings)
    redis = broker.client if isinstance(broker, RedisBroker) else None  # one command client per process
    limiter = make_limiter(redis, settings.rate_limit_namespace)
    store = intake.make_store(redis, settings.rate_limit_namespace)
    documents = intake.PersistedQueries(store, trusted)
    view = GraphQLView(schema, settings, broker, limiter, documents)
    counts = make_socket_counts(redis, settings.rate_limit_namespace)
    subscriptions = SubscriptionView(schema, view, SocketSessions(counts, settings.max_sockets_per_user))
    metrics.watch_sockets(subscriptions.sockets)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # The lifespan runs in its own task; requests must see the ORM from theirs.
        await Tortoise.init(config=tortoise_config(settings.database_url), _enable_global_fallback=True)
        mailer, sms = app.state.mailer, app.state.sms
        tasks = [
            asyncio.create_task(run_relay(broker), name=RELAY_TASK),
            asyncio.create_task(catchup.run(broker), name=CATCHUP_TASK),
            asyncio.create_task(
                run_notifier(broker, lambda: deliver(mailer, sms, app.state.push, settings.default_locale)),
                name=NOTIFIER_TASK,
            ),
            asyncio.create_task(subscriptions.sessions.run(broker), name=websocket.TASK_NAME),
            asyncio.create_task(housekeeping.run(settings), name=HOUSEKEEPING_TASK),
        ]
        if settings.freeze_collector:
            gc.collect()
            gc.freeze()  # what start-up made lives as long as the process
            subscriptions.sockets.watch()
            tasks.append(asyncio.create_task(subscriptions.sockets.run(), name=COLLECTOR_TASK))
        try:
            yield
        finally:
            subscriptions.sockets.unwatch()
            await recovery.sending_done()  # password recovery messages being handed over
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await settle()  # what this process published, marked (else the relays send it again)
            await broker.close()
            await limiter.close()
            await documents.store.close()
            await Tortoise.close_connections()

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    sdl = schema.as_str() + "\n"  # as `make schema` writes schema.graphql

    async def schema_sdl(request: Request) -> Response:
        """``GET /schema.graphql``: the running schema's SDL, wherever introspection is allowed."""
        if not settings.introspection_enabled:
            return PlainTextResponse(str(_("Not found.")), 404)
        return PlainTextResponse(sdl)

    async def journal_csv(request: Request) -> Response:
        """``GET /export/journal.csv?classId=&subjectId=&termId=``: the journal a teacher downloads."""
        viewer = await viewer_from_token(
            settings, bearer_token(request.headers.get("authorization")), _client_address(request)
        )
        if not viewer.authenticated or not await policy.in_good_standing(viewer):
            # A deactivated account, or one that must replace its one-time password first.
            return PlainTextResponse(str(_("Log in first.")), 401, headers={"WWW-Authenticate": "Bearer"})
        q = request.query_params
        export = await journal.export_journal(viewer, q.get("classId", ""), q.get("subjectId", ""), q.get("termId"))
        if export is None:
            return PlainTextResponse(str(_("Not found.")), 404)
        headers = {"Content-Disposition": export.content_disposition}
        return Response(export.text, media_type="text/csv; charset=utf-8", headers=headers)

    async def file_upload(request: Request) -> Response:
        """``PUT /files/upload/<token>``: the bytes of a file started by ``fileUploadStart`` (the
        signed token is the permission: README "Files"). 204 when stored."""
        try:
            row = await files.upload_target(settings, request.path_params["token"])
            body = await intake.read_body(request, files.MAX_BYTES)
            await files.receive(settings, row, body)
        except files.UploadRefused as exc:
            return _problem(exc.status, exc.message, code=exc.code)
        except intake.RequestRefused as exc:
            code = ErrorCode.FILE_TOO_LARGE if exc.status == 413 else exc.code
            return _problem(exc.status, exc.message, code=code)
        return Response(status_code=204)

    async def file_download(request: Request) -> Response:
        """``GET /files/<token>``: an attached file, for a token ``File.url`` signed, while the
        session it was signed for is live and the file still its user's to read (asked now,
        ``files.download``); any other token (unknown, forged, expired, another file's, an
        upload's, one whose access ended) is the same 404. Not cached: access can end."""
        found = await files.download(settings, request.path_params["token"])
        if found is None:
            return PlainTextResponse(str(_("Not found.")), 404)
        row, data = found
        headers = {
            "Content-Disposition": storage.content_disposition(row.name),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "Cache-Control": "private, no-store",
        }
        return Response(data, media_type=row.content_type or files.TEXT, headers=headers)

    async def metrics_endpoint(request: Request) -> Response:
        """Prometheus metrics of this process (README "Observability")."""
        if not settings.metrics_enabled:
            return PlainTextResponse(str(_("Not found.")), 404)
        if not metrics.may_scrape(settings, _client_address(request), request.headers.get("authorization")):
            return PlainTextResponse(str(_("Forbidden.")), 403)
        body, media_type = metrics.exposition()
        return Response(body, media_type=media_type)

    async def readyz(request: Request) -> Response:
        checks = {"database": await _database_ok(), "broker": await broker.ping()}
        status = 200 if all(checks.values()) else 503
        return JSONResponse({name: "ok" if ok else "unavailable" for name, ok in checks.items()}, status)

    intake.install_log_records()
    # The locale first: a 500 written by the request id middleware is in the request's language too.
    middleware = [
        Middleware(core.LocaleMiddleware, default=settings.default_locale),
        Middleware(intake.RequestIdMiddleware),
    ]
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST", "PUT"],  # PUT: file uploads
                allow_headers=list(intake.CORS_REQUEST_HEADERS),
                expose_headers=list(intake.CORS_EXPOSED_HEADERS),
                max_age=600,
            )
        )
    routes: list[BaseRoute] = [
        Route("/graphql", view.__call__, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        Route("/schema.graphql", schema_sdl),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/export/journal.csv", journal_csv),
        Route("/metrics", metrics_endpoint),
        Route("/files/upload/{token}", file_upload, methods=["PUT"]),
        Route("/files/{token}", file_download, methods=["GET"]),
        *family.routes(),  # /: the family app (web/app), built or not
    ]
    if not settings.production:
        routes.append(graphiql.assets())  # /graphiql/: the GraphiQL page's scripts and styles
    app = App(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.broker = broker
    app.state.limiter = limiter
    app.state.documents = documents
    app.state.schema = schema
    app.state.subscriptions = subscriptions
    app.state.mailer = make_mailer(settings.smtp_url, settings.smtp_from)
    app.state.sms = RecordingSmsGateway()  # the development gateway; a real one plugs in here
    app.state.push = make_senders(settings)  # Web Push, FCM, APNs: those the settings configure
    return app


async def _database_ok() -> bool:
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        return False
    return True


async def migrate(settings: Settings) -> None:
    await run_migrations(config=tortoise_config(settings.database_url))
    await Tortoise.close_connections()


async def seed(settings: Settings, reset: bool) -> bool:
    await Tortoise.init(config=tortoise_config(settings.database_url))
    try:
        if reset:
            await reset_database()
        created: bool = await seed_demo()
        return created
    finally:
        await Tortoise.close_connections()


async def rollups_check(settings: Settings, repair: bool) -> bool:
    """Compare every roll-up with its full recomputation (and rebuild them all with
    ``repair``). Returns whether they matched before any repair."""
    await Tortoise.init(config=tortoise_config(settings.database_url))
    try:
        found = await grades.check()
        for table, (extra, missing) in found.items():
            print(f"{table}: {extra} stored rows not in the recomputation, {missing} recomputed rows not stored")
        matched = all(v == (0, 0) for v in found.values())
        if repair and not matched:
            async with in_transaction():
                await grades.rebuild()
            print("rebuilt every roll-up from a full scan")
        return matched
    finally:
        await Tortoise.close_connections()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="server.py", description="ediary server")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="migrate, seed an empty database, serve")
    sub.add_parser("serve", help="serve")
    sub.add_parser("migrate", help="apply migrations")
    seed_cmd = sub.add_parser("seed", help="create the demo district")
    seed_cmd.add_argument("--reset", action="store_true", help="delete all data first")
    check_cmd = sub.add_parser("rollups-check", help="compare the roll-ups with a full recomputation")
    check_cmd.add_argument("--repair", action="store_true", help="rebuild them when they differ")
    export = sub.add_parser("export-schema", help="write the SDL")
    export.add_argument("path", nargs="?", default="schema.graphql")
    manifest = sub.add_parser("trusted-manifest", help="print the trusted-documents manifest of a folder")
    manifest.add_argument("folder", help="the .graphql files the clients ship")
    changes_cmd = sub.add_parser(
        "schema-check", help="fail on a breaking change to schema.graphql that CHANGELOG.md does not record"
    )
    changes_cmd.add_argument("--baseline", type=Path, default=changes.BASELINE, help="the last released schema")
    changes_cmd.add_argument("--schema", type=Path, default=changes.SCHEMA, help="the schema to check")
    changes_cmd.add_argument("--changelog", type=Path, default=changes.CHANGELOG)
    args = parser.parse_args(argv)
    intake.install_log_records()
    configure_logging("text")

    if args.command == "trusted-manifest":
        print(json.dumps(intake.build_manifest(args.folder), indent=2, sort_keys=True))
        return 0
    if args.command == "schema-check":
        ok, lines = changes.run(Path(__file__).resolve().parent, args.baseline, args.schema, args.changelog)
        print("\n".join(lines))
        return 0 if ok else 1
    if args.command == "export-schema":
        with open(args.path, "w") as fh:
            fh.write(build_schema().as_str() + "\n")
        return 0
    try:
        settings = Settings.from_env()
    except ConfigurationError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_format)
    if args.command == "rollups-check":
        matched = asyncio.run(rollups_check(settings, repair=args.repair))
        return 0 if matched or args.repair else 1
    if args.command in ("run", "migrate"):
        asyncio.run(migrate(settings))
    if args.command == "run" or args.command == "seed":
        created = asyncio.run(seed(settings, reset=getattr(args, "reset", False)))
        log.info("demo district %s", "created" if created else "already present")
    if args.command in ("run", "serve"):
        uvicorn.run(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            proxy_headers=True,
            ws=WebSocketProtocol,
            ws_per_message_deflate=False,
            log_level="info",
            log_config=None,  # uvicorn's loggers go through configure_logging's handler
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
