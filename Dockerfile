# ediary API image. Standalone:
#   docker build -t ediary . && docker run --rm -p 8000:8000 ediary
# (development mode, SQLite + the in-memory broker under /app/data; mount a volume there to
# keep it). For PostgreSQL + Redis and several processes, see docker-compose.yml.

# GraphiQL's assets (web/graphiql), from the npm registry as its package-lock.json pins them.
FROM node:20-slim AS graphiql
WORKDIR /graphiql
COPY web/graphiql/package.json web/graphiql/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/graphiql/ ./
RUN npm run build

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    HOST=0.0.0.0 \
    PORT=8000 \
    EDIARY_DATA_DIR=/app/data

RUN groupadd --system --gid 10001 ediary \
    && useradd --system --uid 10001 --gid ediary --home-dir /app --no-create-home --shell /usr/sbin/nologin ediary

WORKDIR /app

# Dependencies first, so that a source change does not reinstall them. Every pin has wheels
# for linux x86_64 and aarch64; --only-binary fails fast rather than try to compile (the slim
# image has no compiler).
COPY requirements.lock ./
RUN pip install --require-hashes --no-deps --only-binary=:all: -r requirements.lock

# The source stays root-owned (read-only for the server); only data/ is writable, for the
# SQLite file and the development secret when no DATABASE_URL / SECRET_KEY is given.
COPY . .
COPY --from=graphiql /graphiql/dist web/graphiql/dist
RUN python -m compileall -q . \
    && mkdir -p "$EDIARY_DATA_DIR" \
    && chown ediary:ediary "$EDIARY_DATA_DIR"

USER ediary

EXPOSE 8000

# Liveness only (the process answers); readiness (database + broker) is /readyz.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; u.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4)"]

CMD ["sh", "-c", "python server.py migrate && exec python server.py serve"]
