"""Configuration from the environment (see README, "Configuration")."""

from __future__ import annotations

import ipaddress
import os
import secrets
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tortoise.backends.base.config_generator import expand_db_url

from edge import push, storage
from edge.identity_providers import IdentityProvider, ProviderConfigurationError, providers_from_env
from models import MODEL_MODULES, Role
from resolvers import core

DATA_DIR = Path(os.environ.get("EDIARY_DATA_DIR", "data"))
DEFAULT_DATABASE_URL = f"sqlite://{DATA_DIR / 'ediary.sqlite3'}"
PROJECT_ROOT = Path(__file__).resolve().parent.parent

MAX_CACHEABLE_STATEMENT = 64 * 1024  # bytes of SQL text asyncpg keeps prepared (``tortoise_config``)
MIN_SECRET_LENGTH = 32
# A key of a few repeated characters ("xxxx...", "abab...") is a placeholder, not a secret. A
# random one has far more: a hex key of 32 (`openssl rand -hex 16`, 16 possible characters)
# has fewer than 6 different ones about 3 times in 10^13, but fewer than 10 once in 10,000, so
# the bar stays at 6 lest an operator's good random key be refused.
MIN_SECRET_CHARACTERS = 6
# SECRET_KEY values once published with the project, refused in production even after they
# left the repository: the fallback docker-compose.yml had until issue 17.
# The Web Push services of Chrome (FCM), Firefox (autopush), Safari and Edge (WNS).
PUSH_HOSTS = ("fcm.googleapis.com", "updates.push.services.mozilla.com", "*.push.apple.com", "*.notify.windows.com")
PUBLIC_SECRETS = frozenset({"insecure-demo-secret-change-me-before-any-real-use"})
# Not read when looking for a secret written in the project's files: tools' folders, the data
# folder (the development secret), and .env files (where an operator keeps the real one).
_UNREAD_FOLDERS = frozenset({".git", ".venv", "venv", "data", "node_modules", "__pycache__"})


class ConfigurationError(RuntimeError):
    """The environment does not describe a runnable server."""


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str = ""
    env: str = "development"
    cors_origins: tuple[str, ...] = ()
    # Token lifetimes in seconds (``ACCESS_TOKEN_TTL_SECONDS``, ``REFRESH_TOKEN_TTL_SECONDS``).
    access_token_ttl: int = 15 * 60
    refresh_token_ttl: int = 30 * 24 * 3600
    # Failed logins in ``login_window_seconds``: per login from one address, so a stranger
    # cannot lock a parent out from elsewhere; per login from everywhere, to slow a guess spread
    # over many addresses; per address, over every login.
    login_failures_per_login: int = 5
    login_failures_per_login_everywhere: int = 50
    login_failures_per_address: int = 30
    login_window_seconds: int = 15 * 60
    # Two-factor login (README "Two-factor login"): the roles whose holders must enrol a TOTP
    # authenticator before doing anything else (EDIARY_REQUIRE_2FA_FOR), and wrong codes per
    # user from everywhere in ``login_window_seconds`` (per address: login_failures_per_address).
    require_2fa_for: frozenset[str] = frozenset()
    second_factor_failures_per_user: int = 10
    max_diary_days: int = 92
    # Operations running at once on one socket, and sockets open at once per user (across
    # every process sharing REDIS_URL): README "WebSocket sessions"; 0 switches either off.
    max_subscriptions_per_connection: int = 20
    max_sockets_per_user: int = 10
    # Observability (README "Observability"): log lines as JSON or text; GET /metrics, off
    # unless enabled, then only for a bearer `metrics_token` or a client in `metrics_allow`.
    log_format: str = "text"
    metrics_enabled: bool = True
    metrics_token: str = ""
    metrics_allow: tuple[str, ...] = ("127.0.0.1/32", "::1/128")
    # Keep long-lived socket state out of full garbage collections (schema/websocket.py).
    freeze_collector: bool = True
    # Park idle subscriptions (resolvers/outbox.py): about half the memory of an idle socket;
    # an event then wakes its stream for a run of its own (bench/README.md "Parked
    # subscriptions"). Off: every stream waits in a task of its own.
    park_subscriptions: bool = True
    registrations_per_address: int = 5  # new accounts per client address per window
    # accountRegister calls per client address per window, whatever they answer (each one
    # could probe whether a login is taken); counted by the shared limiter.
    registration_attempts_per_address: int = 20
    registration_window_seconds: int = 3600
    smtp_url: str | None = None
    smtp_from: str = "ediary <noreply@localhost>"
    # A forgotten password recovered by its owner (README, "Recovering a forgotten password"):
    # the page of the app a recovery link opens (``?token=`` is added), how long a link or SMS
    # code works, wrong codes before it dies, and requests per account (per login, e-mail or
    # phone asked for, known or not) and per client address in a window, completions included.
    password_recovery_url: str = "http://127.0.0.1:8000/password-recovery"  # noqa: S105 - an address
    password_recovery_ttl_seconds: int = 30 * 60
    password_recovery_code_attempts: int = 5
    password_recoveries_per_account: int = 3
    password_recoveries_per_address: int = 10
    password_recovery_completions_per_address: int = 30
    password_recovery_window_seconds: int = 3600
    # The language of messages for people (resolvers/core.py) when a request asks for none
    # (Accept-Language, a socket's connection_init `locale`), and of notifications.
    default_locale: str = "en"
    # Abuse limits (README, "Abuse limits"); 0 switches a ceiling off.
    max_query_depth: int = 12
    max_query_aliases: int = 30
    max_query_tokens: int = 2000
    max_query_cost: int = 250_000
    default_list_size: int = 10
    max_body_bytes: int = 256 * 1024
    introspection: bool | None = None  # None: on in development, off in production
    # Rate limits per fixed window of rate_window_seconds (README, "Abuse limits"); 0: no limit.
    rate_window_seconds: int = 60
    mutations_per_user: int = 300
    mutations_per_address: int = 1200
    logins_per_address: int = 60
    # Redis key prefix of the shared counters (deployments sharing one Redis keep theirs apart).
    rate_limit_namespace: str = "ediary"
    # A manifest of the only documents that run (edge/intake.py); None: any document.
    trusted_documents: str | None = None
    # OpenID Connect providers (edge/identity_providers.py, README "Signing in with an identity
    # provider"); the clock skew allowed on an id token's times, and how long a started external
    # login (its state, nonce and PKCE verifier) waits for the provider's answer.
    oidc_providers: tuple[IdentityProvider, ...] = ()
    oidc_clock_skew_seconds: int = 60
    oidc_login_ttl_seconds: int = 600
    # Where attached files live (edge/storage.py, README "Files"): file:// a folder, or s3://.
    storage_url: str = field(default_factory=lambda: storage.default_url(DATA_DIR))
    # Push with the app closed (edge/push.py, README "Push notifications"). Web Push: the VAPID
    # private key (PEM, or its raw 32 bytes in base64url; generated under the data folder in
    # development, Web Push off in production without one) and its subject (mailto: or https:);
    # http://127.0.0.1 endpoints accepted only when allowed (the suite's local push service).
    vapid_private_key: str | None = None
    vapid_subject: str = "mailto:noreply@ediary.invalid"
    push_allow_local_http: bool = False
    # The push services a Web Push endpoint may name (a host, or *.suffix for its subdomains):
    # Chrome's, Firefox's, Safari's and Edge's by default (EDIARY_PUSH_HOSTS, comma-separated),
    # so the server posts to no address a user makes up.
    push_hosts: tuple[str, ...] = PUSH_HOSTS
    # FCM HTTP v1: a service account's JSON file (project_id, client_email, private_key, token_uri).
    fcm_service_account_file: str | None = None
    fcm_base_url: str = "https://fcm.googleapis.com"
    # APNs: the .p8 signing key, its key id, the team id and the app's bundle id (apns-topic).
    apns_key_file: str | None = None
    apns_key_id: str = ""
    apns_team_id: str = ""
    apns_topic: str = ""
    apns_base_url: str = "https://api.push.apple.com"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def introspection_enabled(self) -> bool:
        return not self.production if self.introspection is None else self.introspection

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        mode = env.get("EDIARY_ENV", "development")
        if mode not in ("development", "production"):
            raise ConfigurationError(f"EDIARY_ENV must be 'development' or 'production', not {mode!r}")
        secret = env.get("SECRET_KEY", "")
        if not secret:
            if mode == "production":
                raise ConfigurationError("SECRET_KEY is required when EDIARY_ENV=production")
            secret = _development_secret()
        elif len(secret) < MIN_SECRET_LENGTH:
            raise ConfigurationError(f"SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters long")
        if mode == "production":
            problem = public_secret(secret)
            if problem is not None:
                raise ConfigurationError(
                    f"SECRET_KEY {problem}: anyone could sign tokens with it. Set a random one, "
                    'e.g. SECRET_KEY="$(openssl rand -base64 48)"'
                )
        origins = tuple(o.strip() for o in env.get("CORS_ORIGINS", "").split(",") if o.strip())
        try:
            port = int(env.get("PORT", "8000"))
        except ValueError as exc:
            raise ConfigurationError("PORT must be a number") from exc
        log_format = env.get("LOG_FORMAT") or ("json" if mode == "production" else "text")
        if log_format not in ("json", "text"):
            raise ConfigurationError(f"LOG_FORMAT must be 'json' or 'text', not {log_format!r}")
        allow = tuple(a.strip() for a in env.get("METRICS_ALLOW", "127.0.0.1/32,::1/128").split(",") if a.strip())
        for network in allow:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError as exc:
                raise ConfigurationError(f"METRICS_ALLOW: {network!r} is not an address or network") from exc
        numbers = {name: _number(env, variable, default) for name, variable, default in _NUMBERS}
        access_ttl, refresh_ttl = _token_lifetimes(env)
        for name in (
            "password_recovery_ttl_seconds",
            "password_recovery_code_attempts",
            "password_recovery_window_seconds",
        ):
            if numbers[name] <= 0:
                raise ConfigurationError(f"EDIARY_{name.upper()} must be above 0")
        trusted = env.get("EDIARY_TRUSTED_DOCUMENTS", "").strip() or None
        if trusted is not None and not Path(trusted).is_file():
            raise ConfigurationError(f"EDIARY_TRUSTED_DOCUMENTS: no such file {trusted!r}")
        introspection = env.get("EDIARY_INTROSPECTION", "").strip()
        default_locale = env.get("EDIARY_DEFAULT_LOCALE", "").strip() or cls.default_locale
        if default_locale not in core.LOCALES:
            raise ConfigurationError(
                f"EDIARY_DEFAULT_LOCALE must be one of {', '.join(core.LOCALES)}, not {default_locale!r}"
            )
        try:
            oidc_providers = providers_from_env(env)
        except ProviderConfigurationError as exc:
            raise ConfigurationError(str(exc)) from exc
        require_2fa_for = frozenset(
            r.strip().upper() for r in env.get("EDIARY_REQUIRE_2FA_FOR", "").split(",") if r.strip()
        )
        roles = [r.value for r in Role]
        unknown = sorted(require_2fa_for - set(roles))
        if unknown:
            raise ConfigurationError(
                f"EDIARY_REQUIRE_2FA_FOR: {', '.join(unknown)} is not a role (one of {', '.join(roles)})"
            )
        return cls(
            oidc_providers=oidc_providers,
            introspection=None if not introspection else introspection.lower() in ("1", "true", "yes", "on"),
            **numbers,  # type: ignore[arg-type]
            database_url=normalize_database_url(env.get("DATABASE_URL") or DEFAULT_DATABASE_URL),
            redis_url=env.get("REDIS_URL") or None,
            host=env.get("HOST", "127.0.0.1"),
            port=port,
            secret_key=secret,
            env=mode,
            cors_origins=origins,
            access_token_ttl=access_ttl,
            refresh_token_ttl=refresh_ttl,
            freeze_collector=env.get("EDIARY_FREEZE_COLLECTOR", "1") != "0",
            park_subscriptions=env.get("EDIARY_PARK_SUBSCRIPTIONS", "1") != "0",
            log_format=log_format,
            metrics_enabled=env.get("METRICS_ENABLED", "0" if mode == "production" else "1") == "1",
            metrics_token=env.get("METRICS_TOKEN", ""),
            metrics_allow=allow,
            smtp_url=_smtp_url(env.get("SMTP_URL") or None),
            smtp_from=env.get("SMTP_FROM") or cls.smtp_from,
            password_recovery_url=_recovery_url(env.get("EDIARY_PASSWORD_RECOVERY_URL") or cls.password_recovery_url),
            rate_limit_namespace=env.get("EDIARY_RATE_LIMIT_NAMESPACE", "").strip() or "ediary",
            trusted_documents=trusted,
            default_locale=default_locale,
            require_2fa_for=require_2fa_for,
            storage_url=_storage_url(env.get("STORAGE_URL", "").strip()),
            vapid_private_key=_vapid_key(env.get("VAPID_PRIVATE_KEY", "").strip(), mode),
            vapid_subject=_vapid_subject(env.get("VAPID_SUBJECT", "").strip() or cls.vapid_subject),
            push_allow_local_http=env.get("EDIARY_PUSH_ALLOW_LOCAL_HTTP", "0") == "1",
            push_hosts=_push_hosts(env.get("EDIARY_PUSH_HOSTS", "")),
            fcm_service_account_file=_readable(env, "FCM_SERVICE_ACCOUNT_FILE"),
            fcm_base_url=env.get("FCM_BASE_URL", "").strip() or cls.fcm_base_url,
            apns_key_file=_readable(env, "APNS_KEY_FILE"),
            apns_key_id=env.get("APNS_KEY_ID", "").strip(),
            apns_team_id=env.get("APNS_TEAM_ID", "").strip(),
            apns_topic=env.get("APNS_TOPIC", "").strip(),
            apns_base_url=env.get("APNS_BASE_URL", "").strip() or cls.apns_base_url,
        )


def public_secret(secret: str, root: Path = PROJECT_ROOT) -> str | None:
    """Why ``secret`` cannot be a production SECRET_KEY, or None: too few distinct characters,
    published with the project (``PUBLIC_SECRETS``), or written in one of its files."""
    if len(set(secret)) < MIN_SECRET_CHARACTERS:
        return f"has fewer than {MIN_SECRET_CHARACTERS} different characters"
    if secret in PUBLIC_SECRETS:
        return "is the public fallback docker-compose.yml once had"
    needle = secret.encode()
    for path in project_files(root):
        try:
            if needle in path.read_bytes():
                return f"is written in {path.relative_to(root)}"
        except OSError:
            continue
    return None


def project_files(root: Path) -> list[Path]:
    """The project's files: those git tracks in a checkout, else (an image, an unpacked
    archive) every file under ``root`` outside ``_UNREAD_FOLDERS`` and .env files."""
    if (root / ".git").exists():
        try:
            listed = subprocess.run(  # noqa: S603 - a fixed command
                ["git", "-C", str(root), "ls-files", "-z"],  # noqa: S607 - git from PATH
                capture_output=True,
                check=True,
                timeout=30,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            pass
        else:
            return [root / name for name in listed.decode(errors="replace").split("\0") if name]
    found: list[Path] = []
    for folder, folders, files in os.walk(root):
        folders[:] = [f for f in folders if f not in _UNREAD_FOLDERS and not f.endswith("_cache")]
        found.extend(Path(folder) / name for name in files if not name.startswith(".env"))
    return found


def _storage_url(url: str) -> str:
    if not url:
        return storage.default_url(DATA_DIR)
    try:
        return storage.check_url(url)
    except storage.StorageError as exc:
        raise ConfigurationError(str(exc)) from exc


def _vapid_key(text: str, mode: str) -> str | None:
    """The VAPID private key: the one set, checked; in development without one, the key kept
    under the data folder (made on first run, like the development secret); in production
    without one, None (Web Push off: a key that changed with every start would drop every
    subscription)."""
    if not text:
        if mode == "production":
            return None
        path = DATA_DIR / "vapid_private_key.pem"
        text = path.read_text() if path.exists() else push.generate_vapid_key(path)
    try:
        push.load_vapid_key(text)
    except ValueError as exc:
        raise ConfigurationError(f"VAPID_PRIVATE_KEY: {exc} (PEM, or the raw key in base64url)") from exc
    return text


def _vapid_subject(subject: str) -> str:
    if not subject.startswith(("mailto:", "https://")):
        raise ConfigurationError("VAPID_SUBJECT must be a mailto: or https:// address")
    return subject


def _push_hosts(text: str) -> tuple[str, ...]:
    hosts = tuple(h.strip().lower() for h in text.split(",") if h.strip())
    for host in hosts:
        name = host.removeprefix("*.")
        if not name or "*" in name or "/" in name or ":" in name:
            raise ConfigurationError(f"EDIARY_PUSH_HOSTS: {host!r} is not a host name or *.suffix")
    return hosts or PUSH_HOSTS


def push_host_allowed(host: str, allowed: tuple[str, ...]) -> bool:
    """Whether ``host`` is one of ``allowed`` or under one of its ``*.suffix`` entries."""
    host = host.lower().rstrip(".")
    return any(host == a or (a.startswith("*.") and host.endswith(a[1:])) for a in allowed)


def _readable(env: dict[str, str], variable: str) -> str | None:
    path = env.get(variable, "").strip()
    if path and not Path(path).is_file():
        raise ConfigurationError(f"{variable}: no such file {path!r}")
    return path or None


def _smtp_url(url: str | None) -> str | None:
    if url is not None and not url.startswith(("smtp://", "smtps://")):
        raise ConfigurationError("SMTP_URL must look like smtp://user:pass@host:port or smtps://user:pass@host:port")
    return url


def _recovery_url(url: str) -> str:
    if not url.startswith(("https://", "http://")) or "#" in url:
        raise ConfigurationError("EDIARY_PASSWORD_RECOVERY_URL must be an http(s) address without a #fragment")
    return url


# (Settings field, environment variable, default) of every numeric ceiling.
_NUMBERS: tuple[tuple[str, str, int], ...] = (
    ("max_query_depth", "EDIARY_MAX_QUERY_DEPTH", Settings.max_query_depth),
    ("max_query_aliases", "EDIARY_MAX_QUERY_ALIASES", Settings.max_query_aliases),
    ("max_query_tokens", "EDIARY_MAX_QUERY_TOKENS", Settings.max_query_tokens),
    ("max_query_cost", "EDIARY_MAX_QUERY_COST", Settings.max_query_cost),
    ("default_list_size", "EDIARY_DEFAULT_LIST_SIZE", Settings.default_list_size),
    ("max_body_bytes", "EDIARY_MAX_BODY_BYTES", Settings.max_body_bytes),
    ("rate_window_seconds", "EDIARY_RATE_WINDOW_SECONDS", Settings.rate_window_seconds),
    ("mutations_per_user", "EDIARY_MUTATIONS_PER_USER", Settings.mutations_per_user),
    ("mutations_per_address", "EDIARY_MUTATIONS_PER_ADDRESS", Settings.mutations_per_address),
    ("logins_per_address", "EDIARY_LOGINS_PER_ADDRESS", Settings.logins_per_address),
    (
        "second_factor_failures_per_user",
        "EDIARY_SECOND_FACTOR_FAILURES_PER_USER",
        Settings.second_factor_failures_per_user,
    ),
    (
        "registration_attempts_per_address",
        "EDIARY_REGISTRATION_ATTEMPTS_PER_ADDRESS",
        Settings.registration_attempts_per_address,
    ),
    (
        "max_subscriptions_per_connection",
        "EDIARY_MAX_SUBSCRIPTIONS_PER_CONNECTION",
        Settings.max_subscriptions_per_connection,
    ),
    ("max_sockets_per_user", "EDIARY_MAX_SOCKETS_PER_USER", Settings.max_sockets_per_user),
    ("oidc_clock_skew_seconds", "OIDC_CLOCK_SKEW_SECONDS", Settings.oidc_clock_skew_seconds),
    ("oidc_login_ttl_seconds", "OIDC_LOGIN_TTL_SECONDS", Settings.oidc_login_ttl_seconds),
    (
        "password_recovery_ttl_seconds",
        "EDIARY_PASSWORD_RECOVERY_TTL_SECONDS",
        Settings.password_recovery_ttl_seconds,
    ),
    (
        "password_recovery_code_attempts",
        "EDIARY_PASSWORD_RECOVERY_CODE_ATTEMPTS",
        Settings.password_recovery_code_attempts,
    ),
    (
        "password_recoveries_per_account",
        "EDIARY_PASSWORD_RECOVERIES_PER_ACCOUNT",
        Settings.password_recoveries_per_account,
    ),
    (
        "password_recoveries_per_address",
        "EDIARY_PASSWORD_RECOVERIES_PER_ADDRESS",
        Settings.password_recoveries_per_address,
    ),
    (
        "password_recovery_completions_per_address",
        "EDIARY_PASSWORD_RECOVERY_COMPLETIONS_PER_ADDRESS",
        Settings.password_recovery_completions_per_address,
    ),
    (
        "password_recovery_window_seconds",
        "EDIARY_PASSWORD_RECOVERY_WINDOW_SECONDS",
        Settings.password_recovery_window_seconds,
    ),
)


def _number(env: dict[str, str], variable: str, default: int) -> int:
    raw = env.get(variable, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{variable} must be a whole number") from exc
    if value < 0:
        raise ConfigurationError(f"{variable} must not be negative")
    return value


def _token_lifetimes(env: dict[str, str]) -> tuple[int, int]:
    """The access and refresh token lifetimes. Unlike a ceiling, 0 cannot mean "off"; and an
    access token outliving the refresh token issued with it would outlive its session's
    expiry (``viewer.sessions`` judges a session by its refresh tokens)."""
    access = _number(env, "ACCESS_TOKEN_TTL_SECONDS", Settings.access_token_ttl)
    refresh = _number(env, "REFRESH_TOKEN_TTL_SECONDS", Settings.refresh_token_ttl)
    for variable, value in (("ACCESS_TOKEN_TTL_SECONDS", access), ("REFRESH_TOKEN_TTL_SECONDS", refresh)):
        if value <= 0:
            raise ConfigurationError(f"{variable} must be a positive number of seconds")
    if access > refresh:
        raise ConfigurationError(
            f"ACCESS_TOKEN_TTL_SECONDS ({access}) must not exceed REFRESH_TOKEN_TTL_SECONDS ({refresh})"
        )
    return access, refresh


def _development_secret() -> str:
    """A development secret generated once and kept under ``data/`` so tokens survive restarts."""
    path = DATA_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.write_text(secret)
    path.chmod(0o600)
    return secret


def normalize_database_url(url: str) -> str:
    """Accept the common spellings of a PostgreSQL URL; Tortoise wants ``postgres://``.

    SQLite URLs are Tortoise's: ``sqlite://`` + a path (``sqlite:///tmp/x.db`` is absolute)."""
    for prefix in ("postgresql+asyncpg://", "postgresql://"):
        if url.startswith(prefix):
            return "postgres://" + url[len(prefix) :]
    return url


def tortoise_config(database_url: str) -> dict[str, Any]:
    """The Tortoise configuration: one app, ``models``, with its committed migrations."""
    url = normalize_database_url(database_url)
    if url.startswith("sqlite://"):
        path = Path(url[len("sqlite://") :])
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
    connection: str | dict[str, Any] = url
    if url.startswith("postgres://"):
        connection = expand_db_url(url)
        connection["credentials"]["reset"] = core.keep_session
        # asyncpg prepares a statement once per connection and reuses it, but only below 15 KB by
        # default: the batched read of 16 subscribers (``resolvers/core.py``) is about 50 KB, and
        # preparing it again for every event cost more than the 16 reads it replaces.
        connection["credentials"]["max_cacheable_statement_size"] = MAX_CACHEABLE_STATEMENT
        # No JIT compilation: PostgreSQL compiles a statement whose estimated cost passes
        # jit_above_cost, and at 100,000 students a parent's scoped reads passed it, paying 1.4 s
        # of compilation each for statements that run in milliseconds (bench/README.md, "A
        # district's real day"). An application's statements are short: JIT never pays here.
        settings = connection["credentials"].setdefault("server_settings", {})
        settings.setdefault("jit", "off")
    return {
        "connections": {"default": connection},
        "apps": {
            "models": {
                "models": list(MODEL_MODULES),
                "migrations": "models.migrations",
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


# For the ``tortoise`` command line (makemigrations): ``TORTOISE_ORM=edge.settings.TORTOISE_ORM``.
TORTOISE_ORM = tortoise_config(normalize_database_url(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL))
