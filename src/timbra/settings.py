"""One environment-driven settings module for every run mode.

Embedded (default): SQLite in WAL mode under TIMBRA_HOME, Huey on a separate SQLite
file, file email outbox, sandbox PAC. Scaled out: DATABASE_URL (PostgreSQL),
TIMBRA_QUEUE_URL (postgres:// or redis://), TIMBRA_EMAIL_URL (smtp://).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlparse

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
TIMBRA_HOME = Path(os.environ.get("TIMBRA_HOME", Path.cwd() / ".timbra")).resolve()
TIMBRA_HOME.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    if key := os.environ.get("TIMBRA_SECRET_KEY"):
        return key
    path = TIMBRA_HOME / "secret_key"
    if not path.exists():
        import secrets

        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("TIMBRA_DEBUG", False)
ALLOWED_HOSTS = [h for h in os.environ.get("TIMBRA_ALLOWED_HOSTS", "*").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("TIMBRA_CSRF_TRUSTED_ORIGINS", "").split(",") if o]
CSRF_FAILURE_VIEW = "timbra.api.errors.csrf_failure"  # JSON under /api/v1/, Django's page elsewhere
TIMBRA_BASE_URL = os.environ.get("TIMBRA_BASE_URL", f"http://127.0.0.1:{os.environ.get('PORT', '8000')}")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # its templates and static files: the API docs load Swagger UI from here, never a CDN
    "django_htmx",
    "axes",  # login throttling and lockout (issue 13 §3)
    "django_otp",  # second factor: TOTP, optional for everyone, required for owners (issue 13 §3)
    "django_otp.plugins.otp_totp",
    "huey.contrib.djhuey",
    "timbra.orgs",
    "timbra.customers",
    "timbra.catalog",
    "timbra.invoicing",
    "timbra.delivery",
    "timbra.sandbox",
    "timbra.payments",
    "timbra.schedules",
    "timbra.receivables",
    "timbra.notices",
    "timbra.portal",
    "timbra.globalinvoice",
    "timbra.dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files (Swagger UI, htmx, the favicon) from the app itself: `timbra serve` runs gunicorn
    # with no static server and the dashboard and API docs must work with no internet (issue 13).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): this session passed the code
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last: it turns a lockout into the Spanish lockout page
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "timbra.urls"
WSGI_APPLICATION = "timbra.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{TIMBRA_HOME / 'timbra.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Persistent connections: closing the last connection to a WAL database checkpoints
    # and fsyncs it (~12 ms measured), which a worker closing after every job pays each time.
    DATABASES["default"]["CONN_MAX_AGE"] = None
    DATABASES["default"]["ENGINE"] = "timbra.sqlite"  # writers queue on a kernel lock (timbra/sqlite)
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE: a write transaction takes the lock at BEGIN, so two workers queue on
        # the busy timeout instead of failing with "database is locked" on upgrade.
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- queue (Huey; only timbra.jobs imports huey) ---------------------------------------
TIMBRA_QUEUE_URL = os.environ.get("TIMBRA_QUEUE_URL", "")
TIMBRA_QUEUE_IMMEDIATE = _env_bool("TIMBRA_QUEUE_IMMEDIATE", False)


def _huey_settings() -> dict[str, object]:
    common: dict[str, object] = {
        "name": os.environ.get("TIMBRA_QUEUE_NAME", "timbra"),
        "immediate": TIMBRA_QUEUE_IMMEDIATE,
        "utc": True,
        "consumer": {"workers": int(os.environ.get("TIMBRA_WORKERS", "4")), "worker_type": "thread"},
    }
    url = TIMBRA_QUEUE_URL
    if url.startswith("redis://"):
        return {**common, "huey_class": "huey.RedisHuey", "url": url}
    if url.startswith(("postgres://", "postgresql://")):
        return {**common, "huey_class": "huey.PostgresHuey", "dsn": url.replace("postgres://", "postgresql://", 1)}
    filename = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else str(TIMBRA_HOME / "queue.sqlite3")
    return {**common, "huey_class": "timbra.jobs.sqlite_queue.GatedSqliteHuey", "filename": filename}


HUEY = _huey_settings()

# --- email ------------------------------------------------------------------------------
TIMBRA_EMAIL_URL = os.environ.get("TIMBRA_EMAIL_URL", "")
DEFAULT_FROM_EMAIL = os.environ.get("TIMBRA_FROM_EMAIL", "Timbra <facturas@timbra.local>")
if TIMBRA_EMAIL_URL.startswith(("smtp://", "smtps://")):
    _mail = urlparse(TIMBRA_EMAIL_URL)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _mail.hostname or "localhost"
    EMAIL_PORT = _mail.port or (465 if _mail.scheme == "smtps" else 25)
    EMAIL_HOST_USER = unquote(_mail.username or "")
    EMAIL_HOST_PASSWORD = unquote(_mail.password or "")
    EMAIL_USE_SSL = _mail.scheme == "smtps"
    EMAIL_USE_TLS = "starttls" in (_mail.query or "")
    EMAIL_TIMEOUT = 20
else:
    EMAIL_BACKEND = "timbra.delivery.eml_backend.EmlFileBackend"
    EMAIL_FILE_PATH = str(TIMBRA_HOME / "outbox")

# --- files -------------------------------------------------------------------------------
TIMBRA_FILES_DIR = TIMBRA_HOME / "files"
# SAT's public test material (test CSD, XSD/XSLT) used by the demo issuer and the tests.
TIMBRA_SAT_DIR = Path(os.environ.get("TIMBRA_SAT_DIR", BASE_DIR.parents[2] / "shared" / "sat"))
# Which PAC stamps live invoices: "sandbox" (built in, not fiscally valid: live invoices wait) until
# a real one is configured: "finkok", "sw" or "diverza" (README, "PAC configuration").
TIMBRA_PAC = os.environ.get("TIMBRA_PAC", "sandbox")
_PAC_CREDENTIAL_KEYS = ("username", "password", "token", "rfc", "id", "api_url")


def _pac_credentials(prefix: str) -> dict[str, str]:
    return {key: os.environ[f"{prefix}_{key.upper()}"] for key in _PAC_CREDENTIAL_KEYS
            if os.environ.get(f"{prefix}_{key.upper()}")}


TIMBRA_PAC_CREDENTIALS = _pac_credentials("TIMBRA_PAC")
TIMBRA_PAC_URL = os.environ.get("TIMBRA_PAC_URL", "")  # empty: the PAC's own host for TIMBRA_PAC_ENV
TIMBRA_PAC_ENV = os.environ.get("TIMBRA_PAC_ENV", "test")  # "test" (the PAC's demo) or "production"
# Optional second PAC, used only when the first refuses the connection (never after a timeout).
TIMBRA_PAC_FAILOVER = os.environ.get("TIMBRA_PAC_FAILOVER", "")
TIMBRA_PAC_FAILOVER_CREDENTIALS = _pac_credentials("TIMBRA_PAC_FAILOVER")
TIMBRA_PAC_FAILOVER_URL = os.environ.get("TIMBRA_PAC_FAILOVER_URL", "")
TIMBRA_PAC_FAILOVER_ENV = os.environ.get("TIMBRA_PAC_FAILOVER_ENV", "test")
# Seconds to open a connection to the PAC, and to wait for its answer (then the outcome is unknown
# and the invoice is recovered with the same bytes).
TIMBRA_PAC_CONNECT_TIMEOUT = float(os.environ.get("TIMBRA_PAC_CONNECT_TIMEOUT", "5"))
TIMBRA_PAC_READ_TIMEOUT = float(os.environ.get("TIMBRA_PAC_READ_TIMEOUT", "30"))

# Cancellation (issue 11). The SAT status service that says whether a live CFDI is cancelled.
TIMBRA_SAT_STATUS_URL = os.environ.get(
    "TIMBRA_SAT_STATUS_URL", "https://consultaqr.facturaelectronica.sat.gob.mx/ConsultaCFDIService.svc"
)
# How the sandbox's simulated receptor answers a cancellation that needs its acceptance:
# "acepta", "rechaza" or "silencio" (the SAT then cancels by «plazo vencido» after 3 business days).
TIMBRA_SANDBOX_RECEPTOR = os.environ.get("TIMBRA_SANDBOX_RECEPTOR", "acepta")

# --- i18n ----------------------------------------------------------------------------------
LANGUAGE_CODE = "es-mx"
LANGUAGES = [("es-mx", "Español (México)")]
TIME_ZONE = "America/Mexico_City"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = TIMBRA_HOME / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing
# Serve straight from the installed apps' static/ folders: no `collectstatic` step to forget.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
LOGIN_URL = "/login/"
# Sign-up (issue 11) and `timbra createuser`: Django's validators, messages in es-MX.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_REDIRECT_URL = "/"
# Login throttling (django-axes): 5 failed attempts for one username from one address lock that
# pair for 15 minutes; a success resets the count. Axes' backend must come first.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = int(os.environ.get("TIMBRA_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("TIMBRA_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "dashboard/auth/locked_out.html"
AXES_VERBOSE = False
# An owner's login must carry a second factor (TOTP): until they set one up, the dashboard only
# shows the setup page. Off only for a throw-away installation.
TIMBRA_OWNER_2FA = _env_bool("TIMBRA_OWNER_2FA", True)
OTP_TOTP_ISSUER = "Timbra"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("TIMBRA_LOG_LEVEL", "INFO")},
    "loggers": {"huey": {"level": "WARNING"}},
}
# Every log line, in every process that loads these settings, without webhook tokens or keys.
from timbra.logredact import install as _install_log_redaction  # noqa: E402

_install_log_redaction()
