"""Production mode: ``DJANGO_SETTINGS_MODULE=aijesus.settings_production``.

Everything in ``aijesus.settings`` plus the hardening ``manage.py check --deploy`` asks for. It
assumes a TLS-terminating proxy in front that sets ``X-Forwarded-Proto``.
"""

from aijesus.env import env_bool, env_int
from aijesus.settings import *  # noqa: F403

DEBUG = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
WHITENOISE_USE_FINDERS = False
if not SECURE_HSTS_PRELOAD:
    # Preloading binds the whole registered domain to HTTPS in browsers for months; that is the
    # owner's decision (SECURE_HSTS_PRELOAD=1), not a default we make for them.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
