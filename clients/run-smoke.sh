#!/usr/bin/env bash
# The client checks (clients/smoke/, clients/relay/). First Relay's static ones, no server
# needed: every connection field of schema.graphql has a fixture with @connection
# (check-connections.mjs), relay-compiler compiles the fixture with no error, and graphql-eslint's
# Relay rules pass on schema.graphql. Then a fresh ediary on a free port with its own temporary
# SQLite database and the demo district, `npm ci`, GraphQL Code Generator against the running
# server's GET /schema.graphql (Apollo's possibleTypes), the smoke script (Apollo Client, urql,
# graphql-ws), and relay-runtime running the compiled operations (paging connections both ways).
# Exits non-zero on any mismatch; stops the server either way. `make clients` runs it (`make relay`
# only the static Relay checks); it needs Node.js 20+ with npm and `make install` done. The
# checkout's data/ is not touched. EDIARY_NOW (the clock; README "Configuration") passes through.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export HOST=127.0.0.1 PORT EDIARY_ENV=development
export DATABASE_URL="sqlite://$WORK/ediary.sqlite3"
export SECRET_KEY=$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(48))')
unset REDIS_URL EDIARY_TRUSTED_DOCUMENTS
URL="http://127.0.0.1:$PORT"

echo "--- Relay (clients/relay): npm ci, a fixture for every connection, relay-compiler, graphql-eslint"
(cd clients/relay && npm ci --no-audit --no-fund --loglevel=error && npm run --silent check)

echo "--- the demo district in $DATABASE_URL"
"$PYTHON" server.py migrate >"$WORK/server.log" 2>&1
"$PYTHON" server.py seed >>"$WORK/server.log" 2>&1
echo "--- server.py serve on $URL"
"$PYTHON" server.py serve >>"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 60); do
  curl -sf "$URL/readyz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log"; echo "the server did not start" >&2; exit 1; }
  sleep 0.5
done
curl -sf "$URL/readyz" >/dev/null || { cat "$WORK/server.log"; echo "the server is not ready" >&2; exit 1; }

server_log() { echo "--- server log"; tail -n 40 "$WORK/server.log"; }
cd clients/smoke
echo "--- npm ci"
npm ci --no-audit --no-fund --loglevel=error
echo "--- GraphQL Code Generator: possibleTypes from $URL/schema.graphql"
EDIARY_URL=$URL npm run --silent codegen
echo "--- the smoke script"
EDIARY_URL=$URL npm run --silent smoke || { server_log; exit 1; }
cd ../relay
echo "--- Relay: the compiled operations against the server (relay-runtime)"
EDIARY_URL=$URL npm run --silent pagination || { server_log; exit 1; }
