"""Django settings, built once from `env.Env`."""

from __future__ import annotations

from typing import Any

import dj_database_url

from smartduty.env import BASE_DIR, INSECURE_FIELD_KEY, INSECURE_SECRET, Env

ENV = Env()
ENV.check_production()
ENV.var_dir.mkdir(parents=True, exist_ok=True)

# outside prod an unset key is generated once per install into var/ (never the public default)
SECRET_KEY = ENV.install_secret("secret_key", ENV.secret_key, INSECURE_SECRET)
SECRET_KEY_FALLBACKS = [key.get_secret_value() for key in ENV.secret_key_fallbacks]
FIELD_ENCRYPTION_KEY = ENV.install_secret("field_key", ENV.field_key, INSECURE_FIELD_KEY)
FIELD_ENCRYPTION_KEY_FALLBACKS = [key.get_secret_value() for key in ENV.field_key_fallbacks]
if ENV.mode != "prod" and ENV.field_key.get_secret_value() == INSECURE_FIELD_KEY:
    # data a development install encrypted under the old public default stays readable
    # (read-only; `manage.py rotate_field_key` re-encrypts it under the install's own key)
    FIELD_ENCRYPTION_KEY_FALLBACKS.append(INSECURE_FIELD_KEY)
DEBUG = ENV.debug
ALLOWED_HOSTS = ENV.allowed_hosts
CSRF_TRUSTED_ORIGINS = ENV.csrf_trusted_origins
SMARTDUTY_MODE = ENV.mode
PUBLIC_BASE_URL = ENV.public_base_url
VAR_DIR = ENV.var_dir

AUTHENTICATION_BACKENDS = ["smartduty.org.backends.OneQueryModelBackend"]

INSTALLED_APPS = [
    "smartduty.kernel",
    "smartduty.org",
    "smartduty.policy",
    "smartduty.evidence",
    "smartduty.vehicles",
    "smartduty.notifications",
    "smartduty.recognition",
    "smartduty.grids",
    "smartduty.cases",
    "smartduty.parking",
    "smartduty.stats",
    "smartduty.open311",
    "smartduty.demo",
    "smartduty.web",
    "smartduty.org.admin_apps.SmartdutyAdminConfig",  # django.contrib.admin with our login (OTP)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "smartduty.kernel.middleware.SecurityHeadersMiddleware",
    "smartduty.kernel.middleware.LoadSheddingMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "smartduty.kernel.middleware.RateLimitMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "smartduty.org.middleware.SessionExpiryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "smartduty.urls"
WSGI_APPLICATION = "smartduty.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "src" / "smartduty" / "templates"],
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


def _database(url: str) -> dict[str, Any]:
    db: dict[str, Any] = dict(dj_database_url.parse(url))
    if db["ENGINE"] == "django.db.backends.sqlite3":
        if ENV.sqlite_write_gate:
            db["ENGINE"] = "smartduty.kernel.sqlite"  # Django's backend plus a write gate
        # `timeout` is SQLite's busy timeout (seconds): how long a writer waits for the lock
        db["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    else:
        # server-side parameters: psycopg prepares a statement after its fifth use on a
        # connection, so the server stops parsing and planning the same queries again
        db["OPTIONS"] = {"server_side_binding": True}
    # keep connections between requests: a new PostgreSQL connection per request costs the
    # server a backend start (~10 ms CPU); health checks replace one that went away
    db["CONN_MAX_AGE"] = 300
    db["CONN_HEALTH_CHECKS"] = True
    db["ATOMIC_REQUESTS"] = False
    return db


DATABASES = {"default": _database(ENV.database_url)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "src" / "smartduty" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = ENV.var_dir / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = ENV.var_dir / "media"

if ENV.storage.backend == "s3":
    _s3_options = {
        "bucket_name": ENV.storage.s3_bucket,
        "endpoint_url": ENV.storage.s3_endpoint_url or None,
        "access_key": ENV.storage.s3_access_key.get_secret_value(),
        "secret_key": ENV.storage.s3_secret_key.get_secret_value(),
        "querystring_auth": True,
        "querystring_expire": 300,
        "file_overwrite": False,
    }
    _default_storage: dict[str, Any] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": _s3_options,
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": "/media/"},
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = ENV.evidence.max_bytes + 1024 * 1024

EVIDENCE_MAX_BYTES = ENV.evidence.max_bytes
EVIDENCE_MAX_PIXELS = ENV.evidence.max_pixels
EVIDENCE_DISPLAY_MAX_SIDE = ENV.evidence.display_max_side
EVIDENCE_FONT_PATH = ENV.evidence.font_path

POLICY_DEFAULT_MOVE_WINDOW_SECONDS = ENV.policy_defaults.move_window_seconds
POLICY_DEFAULT_DUPLICATE_WINDOW_SECONDS = ENV.policy_defaults.duplicate_window_seconds
POLICY_MOVE_WINDOW_OVERRIDE_SECONDS = ENV.move_window_seconds
PARKING_RECOGNIZE_ON_UPLOAD = ENV.recognize_on_upload
OWNER_CONTACT_RETENTION_DAYS = ENV.owner_contact_retention_days

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

SESSION_COOKIE_HTTPONLY = True
# log-in policy (docs/operations/install.md, "Accounts"): TOTP per role, throttling, expiry
OTP_REQUIRED_ROLES: list[str] = (
    list(ENV.accounts.otp_required_roles)
    if ENV.accounts.otp_required_roles is not None
    else ([] if ENV.mode == "dev" else ["sysadmin", "command", "squad_leader"])
)
OTP_TOTP_ISSUER = "智慧勤务平台"
LOGIN_WINDOW_SECONDS = ENV.accounts.login_window_seconds
LOGIN_PAIR_LIMIT = ENV.accounts.login_pair_limit
LOGIN_SOURCE_LIMIT = ENV.accounts.login_source_limit
LOGIN_ACCOUNT_LIMIT = ENV.accounts.login_account_limit
SESSION_ABSOLUTE_SECONDS = ENV.accounts.session_absolute_seconds
SESSION_IDLE_SECONDS = ENV.accounts.session_idle_seconds
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
TRUSTED_PROXIES = ENV.trusted_proxies
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "smartduty.errorpages.csrf_failure"  # {code, message} JSON or Chinese page
if ENV.mode == "prod":
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_CLASS = "smartduty.kernel.pagination.BoundedLimitOffsetPagination"
NINJA_PAGINATION_MAX_LIMIT = 200

WEB_MAP_TILE_URL = ENV.web.map_tile_url
WEB_MAP_ATTRIBUTION = ENV.web.map_attribution
WEB_MAP_CENTER = list(ENV.web.map_center)
WEB_MAP_ZOOM = ENV.web.map_zoom
WEB_POLL_SECONDS = ENV.web.poll_seconds

TIMERS_PUMP_INTERVAL_S = ENV.worker.timers_pump_interval_s
TIMERS_BATCH_SIZE = ENV.worker.timers_batch_size
TIMERS_BATCH_MAX_SECONDS = ENV.worker.timers_batch_max_seconds
NOTIFICATIONS_PUMP_INTERVAL_S = ENV.worker.notifications_pump_interval_s
NOTIFICATIONS_BATCH_SIZE = ENV.worker.notifications_batch_size
NOTIFICATIONS_LEASE_SECONDS = ENV.worker.notifications_lease_seconds
STATS_CASE_REPORT_AT = ENV.worker.case_report_at

OPEN311_JURISDICTION_IDS = list(ENV.open311.jurisdiction_ids)
OPEN311_CONTACT_RETENTION_DAYS = ENV.open311.contact_retention_days

# messaging vendors (docs/operations/sms-vendor.md); a vendor without credentials is not registered
SMS_ALIYUN = ENV.sms_aliyun.model_dump()
"""Aliyun SMS provider settings (`notifications.providers.aliyun_sms.AliyunSmsConfig`)."""
SMS_TENCENT = {
    **ENV.sms_tencent.model_dump(exclude={"secret_key", "secret_key_file"}),
    "secret_key": ENV.sms_tencent.resolved_secret_key(),
}
"""Tencent Cloud SMS provider settings (`notifications.providers.tencent_sms`)."""
SMS_RECEIPT_SECRETS = {
    vendor: secret.get_secret_value() for vendor, secret in ENV.sms_receipts.secrets.items()
}
SMS_RECEIPT_ALLOWED_IPS = ENV.sms_receipts.allowed_ips
if ENV.sms_receipts.providers:
    SMS_RECEIPT_PROVIDERS = ENV.sms_receipts.providers

RATE_LIMIT_WRITES_PER_MINUTE = ENV.limits.writes_per_minute
RATE_LIMIT_ANONYMOUS_WRITES_PER_MINUTE = ENV.limits.anonymous_writes_per_minute
RATE_LIMIT_PLATE_READS_PER_MINUTE = ENV.limits.plate_reads_per_minute
RATE_LIMIT_REVEALS_PER_HOUR = ENV.limits.reveals_per_hour
RATE_LIMIT_REVEALS_PER_DAY = ENV.limits.reveals_per_day
RATE_LIMIT_REVEAL_BURST_PER_MINUTE = ENV.limits.reveal_burst_per_minute
HEAVY_REQUESTS_PER_PROCESS = ENV.limits.heavy_concurrency
HEAVY_RETRY_AFTER_SECONDS = ENV.limits.retry_after_seconds
MAX_QUEUE_SECONDS = ENV.limits.max_queue_seconds
