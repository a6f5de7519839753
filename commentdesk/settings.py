"""Django settings for commentdesk: the only module that reads the environment.

Every setting that an operator may change is listed in ``SETTINGS_DOC`` below
with its default and meaning (``commentdesk/tests/test_docs.py`` fails when one
is missing from the README).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

from commentdesk.lib.errors import SettingError

BASE_DIR = Path(__file__).resolve().parent
# The checkout's var/ (beside pyproject.toml) when running from one, whatever the
# working directory (cron starts in $HOME); else ./var of an installed package's user.
_CHECKOUT = BASE_DIR.parent if (BASE_DIR.parent / "pyproject.toml").is_file() else Path.cwd()
VAR_DIR = Path(os.environ.get("COMMENTDESK_VAR_DIR", _CHECKOUT / "var")).resolve()


def env_bool(name: str, default: bool = False) -> bool:
    """Read a boolean variable: ``1/true/yes/on`` are true, anything else false."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int, low: int | None = None, high: int | None = None) -> int:
    """Read an integer variable, ``low`` ≤ value ≤ ``high`` when given; raises
    :class:`SettingError` naming it when malformed or out of range."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise SettingError(f"{name} must be an integer, got {value!r}") from exc
    if (low is not None and number < low) or (high is not None and number > high):
        raise SettingError(f"{name} must be from {low} to {high}, got {number}")
    return number


def env_secret(name: str) -> str | None:
    """Read a secret from ``NAME`` or from the file named by ``NAME_FILE``."""
    value = os.environ.get(name)
    if value:
        return value
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return None


def stored_secret(filename: str) -> str:
    """Return a random secret kept in ``VAR_DIR/filename``, creating it once (mode 0600)."""
    path = VAR_DIR / filename
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(50)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value


SECRET_KEY = env_secret("COMMENTDESK_SECRET_KEY") or stored_secret("secret_key")
# A second key, used only to hash readers' IP addresses (HMAC-SHA256), so the raw
# address is never stored and rotating it unlinks old hashes from new ones.
IP_HASH_KEY = env_secret("COMMENTDESK_IP_HASH_KEY") or SECRET_KEY
DEBUG = env_bool("COMMENTDESK_DEBUG", False)
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("COMMENTDESK_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",") if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("COMMENTDESK_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks_db",
    "commentdesk.sites",
    "commentdesk.comments",
    "commentdesk.moderation",
    "commentdesk.publishing",
    "commentdesk.importers",
    "commentdesk.notifications",
    "commentdesk.embed",
    "commentdesk.triage",
    "commentdesk.privacy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # CORS first, so that even a 413 or 400 from the size check reaches the widget readable.
    "commentdesk.lib.http.ReaderCorsMiddleware",
    "commentdesk.lib.http.RequestSizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "commentdesk.urls"
WSGI_APPLICATION = "commentdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'commentdesk.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers go on while a moderator's decision is written; a busy
    # timeout (seconds) rides out short write locks instead of failing. A
    # checkpoint (writing the WAL back, two fsyncs) runs in whichever commit
    # crosses wal_autocheckpoint pages: at SQLite's default of 1,000 that was
    # one submission in 90, waiting about 6 ms; at 4,000 (a WAL of some 16 MB
    # between checkpoints; one large transaction, such as storing a classifier,
    # leaves it larger) one in 350 waits about 14 ms, and fsyncs are a quarter
    # as many (bench/triage.py: in-request p99 6.0 → 1.4 ms).
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=4000;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    if DATABASES["default"]["NAME"] != ":memory:":
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Tests use a file, not Django's shared in-memory database: the browser tests' live
    # server thread then has a connection of its own instead of sharing the test's.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-commentdesk.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHE_URL = os.environ.get("COMMENTDESK_CACHE_URL", "")
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": os.environ.get("COMMENTDESK_CACHE_PREFIX", "commentdesk"),
            "TIMEOUT": None,
        }
    }
else:
    # A table of the database (publishing.CacheEntry): the server, the task worker
    # and every command share it, so what one of them changes (an erasure, an
    # import, triage's automatic decisions) reaches readers at once.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "commentdesk_cache",
            "TIMEOUT": None,
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }

TASKS = {
    "default": {
        "BACKEND": os.environ.get("COMMENTDESK_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "desk:login"
LOGIN_REDIRECT_URL = "desk:home"
LOGOUT_REDIRECT_URL = "desk:login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ko", "Korean")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Static files are served from the apps by WhiteNoise; set a root only for collectstatic.
STATIC_ROOT = os.environ.get("COMMENTDESK_STATIC_ROOT") or None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# The request size limit of the API (bytes): API.md answers 413 above it.
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
# Form fields in one request: a desk decision on the most comments at once
# (moderation.decisions.MAX_BULK, 500) sends two per comment (its id and the
# version seen) and a few more; Django's default of 1000 refused it.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1100

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

from django.utils.csp import CSP  # noqa: E402

# Nothing from a third party: every script, style and request stays on this host.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.NONE],
}

MAILERS = {
    "default": {
        "BACKEND": os.environ.get("COMMENTDESK_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"),
    }
}

DEFAULT_FROM_EMAIL = os.environ.get("COMMENTDESK_FROM_EMAIL", "commentdesk <noreply@localhost>")

# --- commentdesk's own settings -------------------------------------------------
# The public address of this server, for links in e-mails.
COMMENTDESK_BASE_URL = os.environ.get("COMMENTDESK_BASE_URL", "http://127.0.0.1:8000")
# Reader API: seconds a client or CDN may keep a thread answer before revalidating.
COMMENTS_CACHE_MAX_AGE = env_int("COMMENTS_CACHE_MAX_AGE", 10)
# Basic rate limit of submissions: at most N comments per IP hash and site per window.
COMMENTS_RATE_LIMIT = env_int("COMMENTS_RATE_LIMIT", 10)
COMMENTS_RATE_WINDOW = env_int("COMMENTS_RATE_WINDOW", 60)
# How long (seconds) an Idempotency-Key's first answer is replayed.
COMMENTS_IDEMPOTENCY_TTL = 24 * 3600
# Trust X-Forwarded-For's last hop for the reader's address (behind a proxy only).
COMMENTS_TRUST_X_FORWARDED_FOR = env_bool("COMMENTS_TRUST_X_FORWARDED_FOR", False)

# Triage: the scorers run over every new comment, in order (dotted path + options,
# like AUTH_PASSWORD_VALIDATORS; see commentdesk/triage/pipeline.py). "request"
# scorers run before the reader's answer, "background" ones in a task.
TRIAGE_SCORERS = [
    {"NAME": "commentdesk.triage.scorers.language.LanguageScorer", "OPTIONS": {"fallback": ""}},
    {"NAME": "commentdesk.triage.scorers.wordlists.WordListScorer"},
    {"NAME": "commentdesk.triage.scorers.links.LinkScorer", "OPTIONS": {"weight": 0.8}},
    {"NAME": "commentdesk.triage.scorers.classifier.ClassifierScorer", "OPTIONS": {"stage": "background"}},
    {"NAME": "commentdesk.triage.scorers.campaigns.CampaignScorer", "OPTIONS": {"stage": "background"}},
]
# Labelled comment data (one folder per dataset with train.csv) that seeds each
# site's classifier; default ../shared/data/comments beside the repository.
TRIAGE_DATA_DIR = Path(os.environ.get("TRIAGE_DATA_DIR") or BASE_DIR.parent.parent / "shared" / "data" / "comments")
# Days triage keeps comments' MinHash fingerprints (near-duplicate search); older ones
# are deleted by `commentdesk housekeeping` (commentdesk/triage/retention.py).
# (At most 100 years: the cut-off date must exist.)
TRIAGE_FINGERPRINT_DAYS = env_int("TRIAGE_FINGERPRINT_DAYS", 90, low=1, high=36_500)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("COMMENTDESK_LOG_LEVEL", "WARNING")},
}

# Operator-facing settings, their defaults and meaning (README lists each).
SETTINGS_DOC = {
    "DATABASE_URL": "database; default the SQLite file var/commentdesk.sqlite3",
    "COMMENTDESK_SECRET_KEY": "Django secret key; generated into var/secret_key when absent",
    "COMMENTDESK_IP_HASH_KEY": "key of the HMAC that replaces readers' IP addresses; default the secret key",
    "COMMENTDESK_DEBUG": "Django debug mode; default off",
    "COMMENTDESK_VAR_DIR": "where the SQLite file and secrets live; default var/ of the checkout, whatever the working directory",
    "COMMENTDESK_ALLOWED_HOSTS": "host names served; default 127.0.0.1,localhost,[::1]",
    "COMMENTDESK_CSRF_TRUSTED_ORIGINS": "origins trusted for the desk's forms behind a proxy",
    "COMMENTDESK_STATIC_ROOT": "target of `commentdesk collectstatic` (for a CDN or nginx); default unset",
    "COMMENTDESK_CACHE_URL": "redis://… for a faster shared cache; default a table of the database",
    "COMMENTDESK_CACHE_PREFIX": "key prefix in a shared cache; default commentdesk",
    "COMMENTDESK_TASKS_BACKEND": "Django tasks backend; default the database backend",
    "COMMENTDESK_EMAIL_BACKEND": "Django e-mail backend; default console",
    "COMMENTDESK_FROM_EMAIL": "sender of e-mails; default commentdesk <noreply@localhost>",
    "COMMENTDESK_BASE_URL": "public address of this server, for links in e-mails; default http://127.0.0.1:8000",
    "COMMENTDESK_LOG_LEVEL": "log level; default WARNING",
    "COMMENTS_CACHE_MAX_AGE": "seconds in Cache-Control of reader answers; default 10",
    "COMMENTS_RATE_LIMIT": "comments per IP hash, site and window; default 10",
    "COMMENTS_RATE_WINDOW": "rate-limit window in seconds; default 60",
    "COMMENTS_TRUST_X_FORWARDED_FOR": "take the reader's address from X-Forwarded-For; default off",
    "TRIAGE_SCORERS": "(settings.py, not the environment) the triage scorers, in order, with options",
    "TRIAGE_DATA_DIR": "labelled data seeding the classifier; default ../shared/data/comments beside the repository",
    "TRIAGE_FINGERPRINT_DAYS": "days near-duplicate fingerprints are kept (housekeeping deletes older ones), 1 to 36500; default 90",
}
