"""Settings for every environment: the same file, different environment variables.

Defaults are safe for a laptop; production sets DATABASE_URL, SECRET_KEY,
ALLOWED_HOSTS and leaves DEBUG off. README.md lists every variable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from interchange.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "development-only-key-never-used-with-debug-off"  # noqa: S105

if DEBUG:
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
else:
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "axes",
    # The API docs page then serves Swagger UI from our own static files, not a CDN.
    "ninja",
    "interchange.core",
    "interchange.catalogue",
    "interchange.suppliers",
    "interchange.accounts",
    "interchange.servicedesk",
    "interchange.notifications",
    "interchange.frontdoor",
    "interchange.exchange",
    "interchange.workspace",
    "interchange.web",
    "interchange.demo",
]
AUTH_USER_MODEL = "accounts.User"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "interchange.accounts.middleware.SessionTimeoutMiddleware",
    # Last, as django-axes asks: it turns a lockout into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "interchange.urls"
WSGI_APPLICATION = "interchange.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "interchange.web.context_processors.service",
            ],
        },
    },
]

FORM_RENDERER = "interchange.web.forms.GovukFormRenderer"

# --- Database ---------------------------------------------------------------
# SQLite is the embedded default: WAL lets the web server read while the worker
# writes, the busy timeout waits for a lock instead of failing, and IMMEDIATE
# transactions take the write lock up front so two writers never deadlock.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "interchange.sqlite3"),
            "OPTIONS": {
                "timeout": env_int("SQLITE_BUSY_TIMEOUT_S", 20),
                "transaction_mode": "IMMEDIATE",
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=20000;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: shared by every process (rate limits, lockouts) -----------------
REDIS_URL = env_str("REDIS_URL")
CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "interchange",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "interchange_cache",
            "KEY_PREFIX": "interchange",
            # Culling at the default 300 entries would drop live lockout and rate counters.
            "OPTIONS": {"MAX_ENTRIES": 200_000, "CULL_FREQUENCY": 10},
        }
    }

# --- Passwords, sign-in and sessions -----------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTHENTICATION_BACKENDS = [
    # django-axes first, so a locked-out person is refused before their password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_LOCKOUT_TEMPLATE = "web/staff/locked_out.html"
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = 1 if env_bool("BEHIND_TLS_PROXY", False) else 0
# Signed-in sessions end after this long without use, and after this long whatever.
SESSION_IDLE_TIMEOUT_S = env_int("SESSION_IDLE_TIMEOUT_MINUTES", 30) * 60
SESSION_ABSOLUTE_TIMEOUT_S = env_int("SESSION_ABSOLUTE_TIMEOUT_HOURS", 10) * 3600
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT_S
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web:sign-in"
LOGIN_REDIRECT_URL = "web:staff-home"
LOGOUT_REDIRECT_URL = "web:sign-in"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Security headers (on everywhere outside debug) -------------------------
SECURE_COOKIES = env_bool("SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers probe these over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = 0 if DEBUG else env_int("SECURE_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Service desk -----------------------------------------------------------
# A closed ticket may be reopened within this many days of closing.
TICKET_REOPEN_WINDOW_DAYS = env_int("TICKET_REOPEN_WINDOW_DAYS", 14)
# Largest upload accepted on a ticket (photos are re-encoded, which only shrinks them).
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_MB", 10) * 1024 * 1024

# --- Worker -----------------------------------------------------------------
# `manage.py worker` runs durable jobs and periodic scans (core/worker.py).
# How long an idle worker sleeps between looks for due jobs.
WORKER_POLL_SECONDS = env_int("WORKER_POLL_SECONDS", 1)
# A claimed job belongs to its worker this long; a killed worker's jobs run again after it.
# It need not cover a slow job: a running job's row stays locked, so no one else takes it.
WORKER_LEASE_SECONDS = env_int("WORKER_LEASE_SECONDS", 60)
# How many due jobs one worker claims at a time.
WORKER_BATCH = env_int("WORKER_BATCH", 10)
# A worker not seen for this long counts as down (/readyz, the admin's queue summary).
HEARTBEAT_STALE_SECONDS = env_int("HEARTBEAT_STALE_SECONDS", 60)
# Off by default: a stopped worker delays background work but the web can still serve, so
# taking every web process out of the load balancer for it would turn a delay into an outage.
REQUIRE_WORKER_HEARTBEAT = env_bool("REQUIRE_WORKER_HEARTBEAT", False)
# Finished jobs are kept this long for administrators to look at, then deleted.
JOB_RETENTION_DAYS = env_int("JOB_RETENTION_DAYS", 30)

# --- Supplier exchange (outbound webhooks) ----------------------------------
# Deliver to loopback, private, link-local and other non-public addresses. Off: the address
# a webhook URL resolves to is checked at every delivery and such targets are refused (so a
# supplier cannot point the platform at the council's own network). Tests, the benchmark and
# the demo turn it on to reach a receiver on the same machine. Not tied to DEBUG on purpose.
EXCHANGE_ALLOW_PRIVATE_TARGETS = env_bool("EXCHANGE_ALLOW_PRIVATE_TARGETS", False)
# Accept http:// endpoint URLs. Off: https only, so events and signatures travel encrypted;
# tests and the demo turn it on for a local receiver without a certificate.
EXCHANGE_ALLOW_HTTP = env_bool("EXCHANGE_ALLOW_HTTP", False)
# Webhook signing secrets are derived from this key and a random salt per secret, so the
# database alone reveals none (they cannot be hashed: signing needs them). Changing it
# invalidates every endpoint's secret; by default it is SECRET_KEY, and setting it of its own
# lets SECRET_KEY be rotated without re-keying every supplier.
EXCHANGE_SECRETS_KEY = env_str("EXCHANGE_SECRETS_KEY") or SECRET_KEY
# Seconds to wait for a supplier's receiver to accept the connection, then to answer.
EXCHANGE_CONNECT_TIMEOUT_S = env_int("EXCHANGE_CONNECT_TIMEOUT_S", 5)
EXCHANGE_READ_TIMEOUT_S = env_int("EXCHANGE_READ_TIMEOUT_S", 15)
# A claimed delivery is its worker's this long (a killed worker's deliveries go out again
# after it); keep it well above the two timeouts.
EXCHANGE_LEASE_SECONDS = env_int("EXCHANGE_LEASE_SECONDS", 60)
# The worker looks for new timeline events and due deliveries at least this often (ms), even
# when WORKER_POLL_SECONDS is longer, so a change reaches suppliers within about this time.
EXCHANGE_POLL_MS = env_int("EXCHANGE_POLL_MS", 200)

# --- Workspace ----------------------------------------------------------------
# The "breaching soon" queue: open tickets with a running SLA clock whose deadline falls within
# this many wall-clock hours from now.
WORKSPACE_BREACHING_SOON_HOURS = env_int("WORKSPACE_BREACHING_SOON_HOURS", 4)

# --- Email ------------------------------------------------------------------
# Notifications are sent by the worker as durable jobs, so a slow or failing mail server
# delays them and loses nothing. Development prints them on the console; tests get Django's
# in-memory outbox without asking.
if DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Without a timeout a mail server that stops answering would hold a worker past its lease.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT_S", 30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Interchange <interchange@localhost>")
# Where links in messages point: the site's address as people reach it, without a final slash.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# An SLA breach warning is raised once a clock has used this share of its target.
SLA_WARNING_SHARE = float(env_str("SLA_WARNING_SHARE", "0.75"))
if not 0 < SLA_WARNING_SHARE < 1:
    raise ImproperlyConfigured(f"SLA_WARNING_SHARE={SLA_WARNING_SHARE} must be between 0 and 1.")

# --- Maps -------------------------------------------------------------------
# Pages draw their own map markers and text; tiles are decoration, so no page
# depends on them loading.
MAP_TILE_URL = env_str("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = env_str("MAP_TILE_ATTRIBUTION", "&copy; OpenStreetMap contributors")
_tile_origin = urlsplit(MAP_TILE_URL.replace("{s}", "a"))
MAP_TILE_ORIGIN = f"{_tile_origin.scheme}://{_tile_origin.netloc}" if _tile_origin.netloc else ""

# --- Content Security Policy (django-csp) -----------------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:", *([MAP_TILE_ORIGIN] if MAP_TILE_ORIGIN else [])],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", _("English")), ("cy", _("Welsh"))]
LOCALE_PATHS = [BASE_DIR / "interchange" / "locale"]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "media")},
    },
    "staticfiles": {
        # Hashed, compressed files outside debug (run collectstatic); plain files
        # where nothing has been collected (development, tests).
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        ),
    },
}

# --- The council and the service --------------------------------------------
COUNCIL_NAME = env_str("COUNCIL_NAME", "Harbourside City Council")
SERVICE_NAME = env_str("SERVICE_NAME", "Report and track a problem")
STAFF_SERVICE_NAME = env_str("STAFF_SERVICE_NAME", "Interchange")
SERVICE_PHASE = env_str("SERVICE_PHASE", "beta")
FEEDBACK_URL = env_str("FEEDBACK_URL", "")

# --- Logging: JSON lines outside debug, readable text in development ---------
LOG_FORMAT = env_str("LOG_FORMAT", "text" if DEBUG else "json")
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r} must be 'text' or 'json'.")
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)-7s %(name)s: %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"level": "WARNING" if not DEBUG else "INFO"},
    },
}

# --- Open311 (the residents' front door for client applications) -----------
OPEN311_JURISDICTION_ID = env_str("OPEN311_JURISDICTION_ID", "harbourside.gov.uk")
OPEN311_CONTACT = env_str(
    "OPEN311_CONTACT", "Email digital@harbourside.gov.uk for help with this API."
)
OPEN311_KEY_SERVICE = env_str(
    "OPEN311_KEY_SERVICE", "Email digital@harbourside.gov.uk to ask for an API key."
)
# FixMyStreet sends no Idempotency-Key and retries a report after a timeout: the same key
# with the same body within this many seconds gets the first response, not a second ticket.
# `make demo` only: the Open311 demo key takes this value, so scripts can post to a fresh demo.
OPEN311_DEMO_API_KEY = env_str("OPEN311_DEMO_API_KEY")
OPEN311_RETRY_WINDOW_SECONDS = env_int("OPEN311_RETRY_WINDOW_SECONDS", 600)
# Requests a minute from one client address without an API key (each key has its own limit).
OPEN311_ANONYMOUS_RATE_PER_MINUTE = env_int("OPEN311_ANONYMOUS_RATE_PER_MINUTE", 60)
if OPEN311_RETRY_WINDOW_SECONDS < 1 or OPEN311_ANONYMOUS_RATE_PER_MINUTE < 1:
    raise ImproperlyConfigured(
        "OPEN311_RETRY_WINDOW_SECONDS and OPEN311_ANONYMOUS_RATE_PER_MINUTE must be at least 1."
    )

# --- Front door (web) ---------------------------------------------------------
# Before sending a report, residents see open reports of the same kind within this many
# metres, reported in the last this many days, and may follow one instead.
FRONTDOOR_DUPLICATE_DISTANCE_M = env_int("FRONTDOOR_DUPLICATE_DISTANCE_M", 50)
FRONTDOOR_DUPLICATE_MAX_AGE_DAYS = env_int("FRONTDOOR_DUPLICATE_MAX_AGE_DAYS", 30)
# Photos a resident may add to one report; each within ATTACHMENT_MAX_MB. They wait in
# storage between the steps of the form and are deleted when sent or after this many hours.
FRONTDOOR_MAX_PHOTOS = env_int("FRONTDOOR_MAX_PHOTOS", 3)
FRONTDOOR_DRAFT_UPLOAD_HOURS = env_int("FRONTDOOR_DRAFT_UPLOAD_HOURS", 24)
# Where the "say where" map opens before a place is chosen: "latitude,longitude" and a zoom.
_map_centre = env_str("FRONTDOOR_MAP_CENTRE", "51.4545,-2.5879")
try:
    FRONTDOOR_MAP_CENTRE = tuple(float(part) for part in _map_centre.split(","))
except ValueError:
    FRONTDOOR_MAP_CENTRE = ()
if len(FRONTDOOR_MAP_CENTRE) != 2 or not (
    -90 <= FRONTDOOR_MAP_CENTRE[0] <= 90 and -180 <= FRONTDOOR_MAP_CENTRE[1] <= 180
):
    raise ImproperlyConfigured(
        f"FRONTDOOR_MAP_CENTRE={_map_centre!r} must be 'latitude,longitude', like 51.4545,-2.5879."
    )
FRONTDOOR_MAP_ZOOM = env_int("FRONTDOOR_MAP_ZOOM", 13)
