"""Shared fixtures. Tests use the real services: the PostgreSQL of DATABASE_URL (SQLite when unset)
and the Redis of REDIS_URL — or, where none answers, a real bundled redis-server started here."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from channels.layers import channel_layers
from django.conf import settings
from django.contrib.auth import hashers
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from aijesus.localredis import BundledRedis, redis_answers

REDIS_DATABASES = 16  # redis-server's default `databases`


def xdist_worker_index() -> int | None:
    """0, 1, … in a pytest-xdist worker ("gw0", "gw1", …); None in a run without workers."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(name.removeprefix("gw")) if name.startswith("gw") else None


def _share_the_cores_between_workers() -> None:
    """Torch (Wav2Lip, Coqui) and BLAS start a thread per core and spin while they wait for each
    other; with a second worker busy on the same cores, such tests ran 5-15x slower. Each worker
    (and every process it starts) keeps to its share. Runs before any test module imports torch."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers < 2:
        return
    threads = max(1, (os.cpu_count() or 1) // workers)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, str(threads))
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)


_share_the_cores_between_workers()


class FewRoundsPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """The studio's own hash (PBKDF2-SHA256) at a few rounds. At the real million, each user a
    test made or logged in cost about half a second of CPU: more than a third of the studio and
    chat tests' time. The stored hash names its rounds, so the servers and commands a test starts
    (real settings, real hasher) log these users in, and then upgrade the hash as on any login."""

    iterations = 1_000


def _hash_passwords_in_few_rounds() -> None:
    """Only in this process: the processes the tests start keep the studio's own settings."""
    settings.PASSWORD_HASHERS = [f"{__name__}.{FewRoundsPBKDF2PasswordHasher.__qualname__}"]
    hashers.get_hashers.cache_clear()
    hashers.get_hashers_by_algorithm.cache_clear()


_hash_passwords_in_few_rounds()


def worker_redis_url(url: str) -> str:
    """Each xdist worker on a shared Redis gets its own database: every Celery worker a test starts
    listens on the same queue names ("gpu"), so on one database a worker started by one xdist
    worker would take the build messages of another's tests."""
    index = xdist_worker_index()
    if not index:
        return url
    parts = urlsplit(url)
    db = int(parts.path.strip("/") or 0) + index
    if db >= REDIS_DATABASES:
        raise pytest.UsageError(
            f"xdist worker {index} would need Redis database {db} beyond {url}: run fewer workers (-n) "
            "or point REDIS_URL at a lower database"
        )
    return urlunsplit(parts._replace(path=f"/{db}"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under xdist (`--dist loadfile --no-loadscope-reorder`) each file goes whole to the next free
    worker, in this order. The files that start real processes (marked slow) go first, so a run
    does not end with one worker on the browser tests while the others sit idle."""
    if xdist_worker_index() is None:
        return
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_files)  # stable: files stay whole, in order


@pytest.fixture(scope="session", autouse=True)
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url, bundled = worker_redis_url(settings.REDIS_URL), None
    if not redis_answers(url):
        # Started per process, so each xdist worker has a server of its own.
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
    # Celery's queues under a prefix of this run's own, here and in every process the tests start
    # (they inherit the environment): a test run beside another on the same Redis database, or
    # beside a studio, never takes the other's build tasks.
    os.environ["REDIS_KEY_PREFIX"] = settings.REDIS_KEY_PREFIX = prefix
    options = {**app.conf.broker_transport_options, "global_keyprefix": f"{prefix}:"}
    app.conf.broker_transport_options = options
    app._pool = None  # connections made from here on carry the prefix
    yield url
    if bundled:
        bundled.stop()


@pytest.fixture(autouse=True)
def no_stream_commands_left_over(redis_url: str) -> Iterator[None]:
    """A test that presses a stream button with no streamer running leaves the command queued for
    the next streamer of this process; with tests spread over workers in any order, that was
    another test's ("pause" from a dashboard test paused test_broadcast's streamer). Cleared after
    each test, so a module fixture's streamer starts clean too; and before, for the first test."""
    from streamer import control

    client = control.redis_client()
    client.delete(control.control_key(), control.state_key())
    yield
    client.delete(control.control_key(), control.state_key())


@pytest.fixture(scope="session")
def sprite_cache(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of drawn sprite sets that every process of the run shares (see tests/sprites.py);
    kept in pytest's cache, so later runs load them too."""
    cache = getattr(request.config, "cache", None)
    if cache is not None:
        return cache.mkdir("sprite-sets")
    base = tmp_path_factory.getbasetemp()
    # Under xdist each worker's basetemp lies in the run's own folder, which all its workers share.
    folder = (base.parent if xdist_worker_index() is not None else base) / "sprite-sets"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="session", autouse=True)
def shared_sprite_sets(sprite_cache: Path) -> Iterator[None]:
    """The studio's own loads (engines, the streamer's idle loop) into a MEDIA_ROOT/avatar-cache
    of the built-in character go through the shared folder. Loads into any other folder, as the
    loader's own tests make, are left alone."""
    from builder.avatar import loader
    from tests.sprites import load_shared

    real = loader.load_sprite_avatar

    def load(name: str, cache_dir: Path | None, fmt, *, source: Path | None = None):
        if source is None and cache_dir is not None and cache_dir.name == "avatar-cache":
            cache_dir.mkdir(parents=True, exist_ok=True)  # as a load that drew into it leaves it
            return load_shared(name, fmt, sprite_cache, real)
        return real(name, cache_dir, fmt, source=source)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loader, "load_sprite_avatar", load)
        yield


@pytest.fixture
def moderator(django_user_model):
    from aijesus.studio.roles import ensure_moderator_group

    user = django_user_model.objects.create_user("mod", password="pw-mod-123")
    user.groups.add(ensure_moderator_group())
    return user


@pytest.fixture
def owner(django_user_model):
    """The streamer: engines, keys, voices, Twitch, users, the admin."""
    return django_user_model.objects.create_superuser("boss", password="pw-owner-123")


@pytest.fixture
def viewer_account(django_user_model):
    """Logged in, but not a moderator."""
    return django_user_model.objects.create_user("someone", password="pw-someone-123")


@pytest.fixture
def persona(db):
    from aijesus.studio.models import Persona
    from aijesus.studio.seed import seed_studio

    seed_studio(owner="seed-owner")
    return Persona.objects.active()
