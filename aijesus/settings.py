"""Settings for the studio, all from the environment (see README's configuration table).

The defaults run a complete studio on one machine with nothing else installed: SQLite in
``DATA_DIR``, Redis at ``REDIS_URL`` (``make run`` starts a bundled one when none answers), and the
offline engines. ``aijesus.settings_production`` hardens this for a public deployment.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from aijesus.env import (
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_str,
    persistent_secret_key,
)

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "var"))).resolve()

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY") or persistent_secret_key(DATA_DIR / "secret_key")
# Seals Twitch tokens and per-persona keys (aijesus/chat/crypto.py): comma-separated, the first
# seals. Empty: generated into DATA_DIR/token_key when first needed, by a process that may hold it.
TOKEN_ENCRYPTION_KEY = env_str("TOKEN_ENCRYPTION_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "aijesus.admin_site.OwnerAdminConfig",  # django.contrib.admin, for owners only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "aijesus.studio",
    "aijesus.chat",
    "builder",
    "streamer",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "aijesus.urls"
ASGI_APPLICATION = "aijesus.asgi.application"
WSGI_APPLICATION = "aijesus.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "aijesus.studio.context.role",
            ],
        },
    },
]

# --- Database: SQLite in DATA_DIR unless DATABASE_URL names another (PostgreSQL in production).
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'studio.sqlite3'}"
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
except ValueError as exc:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"DATABASE_URL cannot be parsed: {exc}") from None
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # WAL lets the dashboard read while the worker writes; the timeout rides out short write locks.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        # A transaction that reads then writes (every lifecycle move) takes the write lock at BEGIN:
        # upgrading a deferred read lock fails at once with "database is locked" when another
        # process wrote meanwhile, while IMMEDIATE waits its turn within the timeout.
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # One file per test run: two runs on one checkout (or a helper and CI) never share a database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-studio-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: Celery broker, results and the Channels layer.
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": env_str("CHANNELS_PREFIX", "aijesus")},
    }
}

CELERY_BROKER_URL = REDIS_URL
# No result backend: nothing waits on a task's return value (the lifecycle rows are the outcome),
# and sending a task then needs the broker only.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "builder.tasks.build_clip": {"queue": "gpu"},
    # The library's MP4s: a worker of its own at low CPU priority, so they never delay a build.
    "builder.tasks.render_library": {"queue": "library"},
}
# One task at a time per worker process: a clip build holds the GPU (or both CPU cores).
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Build tasks are idempotent (they claim their clip), so a task lost with its worker is redelivered.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 300, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 360, minimum=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Sending a task (an approval, the reaper) gives up within a second when the broker is down rather
# than holding a request for many: the clip stays queued and the reaper sends it once it is back.
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
# Every Celery key (the queues included) and the playout notices under this prefix: two studios, or
# a test run beside a studio, can share one Redis database without taking each other's tasks.
REDIS_KEY_PREFIX = env_str("REDIS_KEY_PREFIX")
if REDIS_KEY_PREFIX:
    CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = f"{REDIS_KEY_PREFIX}:"
CELERY_TIMEZONE = "UTC"

# --- Build liveness (aijesus/studio/lifecycle.py). A building clip's worker proves it is alive
# every BUILD_HEARTBEAT_SECONDS; the reaper (in celery beat, every BUILD_REAP_SECONDS) rebuilds a clip
# whose heartbeat is older than BUILD_STALE_SECONDS, at most BUILD_MAX_ATTEMPTS times in all, and
# sends again a queued clip whose task was last sent BUILD_RESEND_SECONDS ago (or never: broker down).
BUILD_HEARTBEAT_SECONDS = env_float("BUILD_HEARTBEAT_SECONDS", 2.0, minimum=0.05, maximum=60.0)
BUILD_STALE_SECONDS = env_float("BUILD_STALE_SECONDS", 10.0, minimum=0.2, maximum=3600.0)
BUILD_REAP_SECONDS = env_float("BUILD_REAP_SECONDS", 3.0, minimum=0.1, maximum=600.0)
BUILD_RESEND_SECONDS = env_float("BUILD_RESEND_SECONDS", 30.0, minimum=0.5, maximum=3600.0)
BUILD_MAX_ATTEMPTS = env_int("BUILD_MAX_ATTEMPTS", 3, minimum=1, maximum=20)
if BUILD_STALE_SECONDS < 2 * BUILD_HEARTBEAT_SECONDS:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("BUILD_STALE_SECONDS must be at least twice BUILD_HEARTBEAT_SECONDS")
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULER = "aijesus.studio.beat:ReapingScheduler"

# --- Files
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media"))).resolve()
MEDIA_URL = "/media/"
STATIC_ROOT = DATA_DIR / "static"
# WhiteNoise warns on every start while collectstatic has not run yet; an empty folder is honest.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the source folders in development: no collectstatic needed to see a change.
WHITENOISE_USE_FINDERS = DEBUG

# Clips and avatars in S3-compatible object storage, for workers on other machines (docs/deploy.md).
# Each process keeps MEDIA_ROOT as its own local copy: files it makes are sent to the store as they
# are ready, files it needs are fetched once into it (a bounded cache of MEDIA_CACHE_MB).
MEDIA_STORAGE = env_choice("MEDIA_STORAGE", ["local", "s3"], "local")
MEDIA_S3_BUCKET = env_str("MEDIA_S3_BUCKET")
MEDIA_S3_ENDPOINT_URL = env_str("MEDIA_S3_ENDPOINT_URL")  # empty: AWS itself
MEDIA_S3_REGION = env_str("MEDIA_S3_REGION", "us-east-1")
MEDIA_S3_ACCESS_KEY_ID = env_str("MEDIA_S3_ACCESS_KEY_ID")
MEDIA_S3_SECRET_ACCESS_KEY = env_str("MEDIA_S3_SECRET_ACCESS_KEY")
MEDIA_S3_PREFIX = env_str("MEDIA_S3_PREFIX", "studio").strip("/")
MEDIA_STORE_TIMEOUT = env_float("MEDIA_STORE_TIMEOUT", 5.0, minimum=0.1)
MEDIA_STORE_RETRY_SECONDS = env_float("MEDIA_STORE_RETRY_SECONDS", 20.0, minimum=0.0)
MEDIA_CACHE_MB = env_int("MEDIA_CACHE_MB", 2048, minimum=16)
# The disk budget (aijesus/studio/retention.py; docs/deploy.md "Disk budget"): every
# MEDIA_RETENTION_MINUTES the scheduler removes the files of the oldest aired clips no moderator
# starred while clip media pass MEDIA_MAX_GB, and of those older than MEDIA_MAX_AGE_DAYS; 0 turns
# either off. The rows stay, marked "media removed"; soft-deleted clips' files go too.
MEDIA_MAX_GB = env_float("MEDIA_MAX_GB", 100.0, minimum=0.0)
MEDIA_MAX_AGE_DAYS = env_int("MEDIA_MAX_AGE_DAYS", 0, minimum=0)
MEDIA_RETENTION_MINUTES = env_float("MEDIA_RETENTION_MINUTES", 15.0, minimum=0.1, maximum=1440.0)
if MEDIA_STORAGE == "s3" and not MEDIA_S3_BUCKET:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs MEDIA_S3_BUCKET")

# --- Auth
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Studio behaviour
QUESTION_MAX_CHARS = env_int("QUESTION_MAX_CHARS", 500, minimum=20, maximum=10_000)
STUDIO_PORT = env_int("STUDIO_PORT", 8000, minimum=1, maximum=65535)
DASHBOARD_BUMP_STEP = env_float("DASHBOARD_BUMP_STEP", 10.0, minimum=0.1, maximum=1000.0)
DASHBOARD_LATENCY_CLIPS = env_int("DASHBOARD_LATENCY_CLIPS", 50, minimum=5, maximum=1000)
# How often an open dashboard socket checks that its session and role still hold (a logout or a
# removal closes it at once; this catches the rest, e.g. a role taken away in the admin).
DASHBOARD_ACCESS_RECHECK_SECONDS = env_float(
    "DASHBOARD_ACCESS_RECHECK_SECONDS", 5.0, minimum=0.1, maximum=300.0
)

# --- Engines: one setting per choice; each backend reads its own options below.
LLM_ENGINE = env_choice("LLM_ENGINE", ["offline", "openai"], "offline")
LLM_BASE_URL = env_str("LLM_BASE_URL")  # e.g. http://127.0.0.1:11434/v1 for Ollama
LLM_API_KEY = env_str("LLM_API_KEY")
LLM_MODEL = env_str("LLM_MODEL", "gpt-4o-mini")
LLM_TIMEOUT = env_float("LLM_TIMEOUT", 20.0, minimum=0.1)
# How long the System page and `manage.py doctor` wait for one service (LLM endpoint, workers, ingest).
SYSTEM_CHECK_TIMEOUT = env_float("SYSTEM_CHECK_TIMEOUT", 3.0, minimum=0.1, maximum=60.0)
TTS_ENGINE = env_choice("TTS_ENGINE", ["espeak", "coqui", "openai", "piper", "kokoro"], "espeak")
# Installed neural voices (Piper: <voice>.onnx + .onnx.json; Kokoro: kokoro-v1.0.onnx + voices-v1.0.bin),
# filled by `manage.py voices add` or the Personas page.
VOICES_DIR = Path(env_str("VOICES_DIR", str(DATA_DIR / "voices"))).resolve()
TTS_MODEL_PATH = env_str("TTS_MODEL_PATH")
# auto: the avatar decides (an image/video avatar uses MuseTalk when its files are configured, else
# Wav2Lip when it can run); sprite: never a neural lip-sync; musetalk / wav2lip: only that one.
LIPSYNC_ENGINE = env_choice("LIPSYNC_ENGINE", ["auto", "sprite", "wav2lip", "musetalk"], "auto")
MUSETALK_DIR = env_str("MUSETALK_DIR")  # musetalkV15/, sd-vae/, whisper/ (docs/lipsync.md)
MUSETALK_BATCH = env_int("MUSETALK_BATCH", 32, minimum=1, maximum=512)
MUSETALK_PRECISION = env_choice("MUSETALK_PRECISION", ["fp16", "bf16", "fp32"], "fp16")  # on CUDA
MUSETALK_ALLOW_CPU = env_bool("MUSETALK_ALLOW_CPU", False)  # without a GPU: very slow, for tests
WAV2LIP_CHECKPOINT = env_str("WAV2LIP_CHECKPOINT")
WAV2LIP_BATCH = env_int("WAV2LIP_BATCH", 128, minimum=1, maximum=1024)
WAV2LIP_PRECISION = env_choice("WAV2LIP_PRECISION", ["fp16", "bf16", "fp32"], "fp16")  # on CUDA
WAV2LIP_ALLOW_CPU = env_bool("WAV2LIP_ALLOW_CPU", False)  # without a GPU: slow, for small tests
CHAT_SOURCE = env_choice("CHAT_SOURCE", ["replay", "twitch"], "replay")
TWITCH_CLIENT_ID = env_str("TWITCH_CLIENT_ID")
TWITCH_CLIENT_SECRET = env_str("TWITCH_CLIENT_SECRET")
TWITCH_CHANNEL = env_str("TWITCH_CHANNEL")

# --- Stream output
STREAM_OUTPUT = env_choice("STREAM_OUTPUT", ["preview", "rtmp", "both"], "preview")
STREAM_RTMP_URL = env_str("STREAM_RTMP_URL", "rtmp://live.twitch.tv/app")
STREAM_KEY = env_str("STREAM_KEY")
STREAM_WIDTH = env_int("STREAM_WIDTH", 1280, minimum=16, maximum=3840)
STREAM_HEIGHT = env_int("STREAM_HEIGHT", 720, minimum=16, maximum=2160)
STREAM_FPS = env_int("STREAM_FPS", 30, minimum=1, maximum=60)
FFMPEG_BINARY = env_str("FFMPEG_BINARY")
# A clip still building starts on air once, at its build's pace so far, the next segment will be
# there in time with this safety factor on its length (streamer/playout.py can_start_early; 0: at
# once), and STREAM_EARLY_START_LEAD seconds are ready.
STREAM_EARLY_START_MARGIN = env_float("STREAM_EARLY_START_MARGIN", 1.5, minimum=0.0, maximum=100.0)
STREAM_EARLY_START_LEAD = env_float("STREAM_EARLY_START_LEAD", 1.0, minimum=0.0, maximum=60.0)
# Twitch ends a broadcast after 48 h: the streamer starts a fresh session between two answers before.
STREAM_SESSION_HOURS = env_float("STREAM_SESSION_HOURS", 47.0, minimum=0.0001, maximum=48.0)
# One broadcaster: the streamer on air holds a lease in Redis for this long, renewed each second; a
# second `manage.py stream` stands by and takes over once a dead holder's lease lapses (docs/streaming.md).
STREAM_LEASE_SECONDS = env_float("STREAM_LEASE_SECONDS", 3.0, minimum=2.0, maximum=60.0)
# A clip whose preparation for air raises this many times (a media store or drawing error) is set
# aside (failed, with the reason) so it never blocks the answers behind it.
STREAM_PICK_FAILURES = env_int("STREAM_PICK_FAILURES", 3, minimum=1, maximum=100)
CLIP_QUESTION_BANNER = env_bool("CLIP_QUESTION_BANNER", True)  # "@viewer asks: …" at the top
# --- Upload limits (builder/limits.py; shown on the System page). A refused upload names the limit
# it hit and leaves nothing behind. One avatar file: a picture, a loop video (a minute of 1080p at a
# generous bitrate is ~110 MB) or a sprite zip.
UPLOAD_AVATAR_MAX_MB = env_int("UPLOAD_AVATAR_MAX_MB", 200, minimum=1, maximum=100_000)
# Each file of a voice or model, uploaded, added from a path or downloaded (the download stops
# here): Piper voices are up to ~120 MB, Kokoro's fp32 model ~310 MB, XTTS-v2's checkpoint 1.9 GB.
# Only the owner installs voices and models.
UPLOAD_VOICE_MAX_MB = env_int("UPLOAD_VOICE_MAX_MB", 4096, minimum=1, maximum=100_000)
# What a zip (a sprite set, Kokoro's voices file) unpacks to, all members together, and how many
# members it may list: a sprite set is ~15 PNGs, Kokoro's voices file ~55 arrays.
UPLOAD_ZIP_MAX_MB = env_int("UPLOAD_ZIP_MAX_MB", 200, minimum=1, maximum=100_000)
UPLOAD_ZIP_MAX_FILES = env_int("UPLOAD_ZIP_MAX_FILES", 200, minimum=1, maximum=65_535)
# Any picture, sprite PNG or loop-video frame, checked from its header before it is decoded
# (4096x4096; 4K UHD is 8.3 million). At most PIL's own decompression-bomb bound.
UPLOAD_IMAGE_MAX_PIXELS = env_int("UPLOAD_IMAGE_MAX_PIXELS", 4096 * 4096, minimum=64 * 64, maximum=89_478_485)
# A loop video is decoded into frames kept in memory: its length, and its frames (a minute at 60 fps).
UPLOAD_VIDEO_MAX_SECONDS = env_int("UPLOAD_VIDEO_MAX_SECONDS", 60, minimum=1, maximum=3600)
UPLOAD_VIDEO_MAX_FRAMES = env_int("UPLOAD_VIDEO_MAX_FRAMES", 3600, minimum=1, maximum=1_000_000)
# Files are cut off at their form's limit while they arrive (aijesus/studio/uploads.py), then
# Django's own handlers keep them: in memory up to FILE_UPLOAD_MAX_MEMORY_SIZE, else in a
# temporary file deleted with the request. Other form data (not files) stays at Django's 2.5 MB,
# and no form of the studio takes more than two files.
FILE_UPLOAD_HANDLERS = [
    "aijesus.studio.uploads.BoundedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FILES = 10
CLIP_CAPTIONS = env_bool("CLIP_CAPTIONS", False)  # the spoken sentence burned in
# Clip segments are decoded again by the streamer, so their encode can trade a little compression
# for speed; the broadcast itself uses `manage.py stream --preset` (veryfast).
CLIP_X264_PRESET = env_choice(
    "CLIP_X264_PRESET", ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium"], "superfast"
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}},
}

# --- Chat: `manage.py readchat` (see docs/chat.md). Live choices (mode, prefix, banned words, caps)
# are edited on the dashboard's chat page; these are the machine-level ones.
CHAT_REPLAY_FILE = env_str("CHAT_REPLAY_FILE")  # JSONL for CHAT_SOURCE=replay
CHAT_REPLAY_SPEED = env_float("CHAT_REPLAY_SPEED", 1.0, minimum=0.0)  # 0: as fast as possible
TWITCH_BOT_LOGIN = env_str("TWITCH_BOT_LOGIN")  # which connected account reads chat (default: latest)
TWITCH_REDIRECT_URI = env_str("TWITCH_REDIRECT_URI")  # default: …/chat/twitch/callback on this host
CHAT_BATCH_SIZE = env_int("CHAT_BATCH_SIZE", 1000, minimum=1, maximum=20_000)
CHAT_BATCH_SECONDS = env_float("CHAT_BATCH_SECONDS", 0.1, minimum=0.005, maximum=5.0)
CHAT_SUPPORT_WINDOW = env_int("CHAT_SUPPORT_WINDOW", 600, minimum=0)  # seconds support waits for a question
# Seconds between bot replies. Twitch allows an account that is not the channel's moderator or
# broadcaster 20 messages in any 30 s (then silences it for 30 min); 1.6 s sends at most 19 in
# any 30 s, leaving a message's room for network jitter (docs/chat.md).
CHAT_REPLY_INTERVAL = env_float("CHAT_REPLY_INTERVAL", 3.0, minimum=1.6)
CHAT_WEIGHT_BASE = env_float("CHAT_WEIGHT_BASE", 1.0)
CHAT_WEIGHT_BITS = env_float("CHAT_WEIGHT_BITS", 1.0, minimum=0.0)  # per 100 bits
CHAT_WEIGHT_BITS_MAX = env_float("CHAT_WEIGHT_BITS_MAX", 10.0, minimum=0.0)
CHAT_WEIGHT_SUBSCRIBER = env_float("CHAT_WEIGHT_SUBSCRIBER", 2.0, minimum=0.0)
CHAT_WEIGHT_GIFT = env_float("CHAT_WEIGHT_GIFT", 1.0, minimum=0.0)  # per gifted sub
CHAT_WEIGHT_VIP = env_float("CHAT_WEIGHT_VIP", 1.5, minimum=0.0)
CHAT_WEIGHT_MODERATOR = env_float("CHAT_WEIGHT_MODERATOR", 1.0, minimum=0.0)
CHAT_WEIGHT_REDEMPTION = env_float("CHAT_WEIGHT_REDEMPTION", 3.0, minimum=0.0)
CHAT_WEIGHT_WAITING = env_float("CHAT_WEIGHT_WAITING", 0.2, minimum=0.0)  # per minute waiting
CHAT_WEIGHT_DUPLICATE = env_float("CHAT_WEIGHT_DUPLICATE", 1.0, minimum=0.0)  # per duplicate merged in
# Optional checks (switched on from the dashboard) against an OpenAI-compatible endpoint.
CHAT_CHECK_BASE_URL = env_str("CHAT_CHECK_BASE_URL") or LLM_BASE_URL
# Check AutoMod Status calls Twitch allows per channel: 5/min and 50/h for most channels,
# 10 and 200 for affiliates, 30 and 1200 for partners.
CHAT_AUTOMOD_PER_MINUTE = env_int("CHAT_AUTOMOD_PER_MINUTE", 5, minimum=1, maximum=1000)
CHAT_AUTOMOD_PER_HOUR = env_int("CHAT_AUTOMOD_PER_HOUR", 50, minimum=1, maximum=100_000)
# A key goes only to the address it was set for: LLM_API_KEY reaches the checks only when they use
# LLM_BASE_URL itself; another CHAT_CHECK_BASE_URL needs its own CHAT_CHECK_API_KEY.
CHAT_CHECK_API_KEY = env_str("CHAT_CHECK_API_KEY") or (
    LLM_API_KEY if CHAT_CHECK_BASE_URL.rstrip("/") == LLM_BASE_URL.rstrip("/") else ""
)
CHAT_MODERATION_MODEL = env_str("CHAT_MODERATION_MODEL", "omni-moderation-latest")
CHAT_GUARDRAIL_MODEL = env_str("CHAT_GUARDRAIL_MODEL") or LLM_MODEL
CHAT_CHECK_TIMEOUT = env_float("CHAT_CHECK_TIMEOUT", 5.0, minimum=0.1)
