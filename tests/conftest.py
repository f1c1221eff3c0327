"""Shared fixtures. Tests use the real services: the PostgreSQL of DATABASE_URL (SQLite when unset)
and the Redis of REDIS_URL — or, where none answers, a real bundled redis-server started here."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from channels.layers import channel_layers
from django.conf import settings

from aijesus.localredis import BundledRedis, redis_answers


@pytest.fixture(scope="session", autouse=True)
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url, bundled = settings.REDIS_URL, None
    if not redis_answers(url):
        bundled = BundledRedis(tmp_path_factory.mktemp("redis"))
        url = bundled.start()
    # Our own channel prefix: another studio on the same Redis never sees the tests' messages.
    prefix = f"aijesus-test-{uuid.uuid4().hex[:8]}"
    settings.REDIS_URL = settings.CELERY_BROKER_URL = settings.CELERY_RESULT_BACKEND = url
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [url], "prefix": prefix},
        }
    }
    channel_layers.backends.clear()
    from aijesus.celery import app

    app.conf.broker_url = app.conf.result_backend = url
    yield url
    if bundled:
        bundled.stop()


@pytest.fixture
def moderator(django_user_model):
    from aijesus.studio.roles import ensure_moderator_group

    user = django_user_model.objects.create_user("mod", password="pw-mod-123")
    user.groups.add(ensure_moderator_group())
    return user


@pytest.fixture
def viewer_account(django_user_model):
    """Logged in, but not a moderator."""
    return django_user_model.objects.create_user("someone", password="pw-someone-123")


@pytest.fixture
def persona(db):
    from aijesus.studio.models import Persona
    from aijesus.studio.seed import seed_studio

    seed_studio(moderator="seed-moderator")
    return Persona.objects.active()
