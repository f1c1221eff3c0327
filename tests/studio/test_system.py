"""The System page and `manage.py doctor`: what the studio uses, whether it works, what to change.
Against real things: the local OpenAI-compatible server, a real Celery worker, a real ffmpeg RTMP
server; secrets must never show on the page, in the moderator log or in the command's output."""

import threading

import psutil
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from aijesus.studio.models import ModeratorAction
from aijesus.studio.system import FAIL, OK, WARN, run_checks
from aijesus.studio.system.probes import test_rtmp as rtmp_probe
from builder import engines
from tests.builder.llm.fake_openai import FakeChatServer, error, models
from tests.builder.worker import celery_worker, wait_for, wait_until
from tests.sprites import link_studio_cache
from tests.streamer.helpers import RtmpServer, free_port

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_engines")]

API_KEY = "sk-test-SECRETKEY0123456789"
STREAM_KEY = "live_123456_SECRETSTREAMKEY"


@pytest.fixture
def endpoint(settings, persona):
    server = FakeChatServer().start()
    settings.LLM_ENGINE, settings.LLM_BASE_URL, settings.LLM_API_KEY = "openai", server.url, API_KEY
    settings.LLM_MODEL, settings.SYSTEM_CHECK_TIMEOUT = "test-model", 0.5
    yield server
    server.stop()


def by_key(checks):
    return {check.key: check for check in checks}


def doctor(*args):
    """The command's output and whether it failed (CommandError: its exit status is 1)."""
    from io import StringIO

    out = StringIO()
    try:
        call_command("doctor", *args, stdout=out, no_color=True)
    except CommandError as exc:
        return out.getvalue() + str(exc), True
    return out.getvalue(), False


def test_a_reachable_endpoint_that_serves_the_model(endpoint):
    llm = by_key(run_checks(workers=False))["llm"]
    assert llm.status == OK, llm
    assert (
        "openai, model test-model at http://127.0.0.1" in llm.value
        and "studio default, LLM_ENGINE" in llm.value
    )
    assert "API key: the studio's LLM_API_KEY" in llm.value and "is served" in llm.detail
    assert endpoint.requests[-1]["path"] == "/v1/models"
    assert endpoint.requests[-1]["headers"]["authorization"] == f"Bearer {API_KEY}"


def test_a_model_the_endpoint_does_not_list_is_a_warning(endpoint, settings):
    settings.LLM_MODEL = "gpt-9"
    llm = by_key(run_checks(workers=False))["llm"]
    assert llm.status == WARN and "does not list model 'gpt-9'" in llm.detail and "LLM_MODEL" in llm.fix
    settings.LLM_MODEL = "llama3.1"  # Ollama lists it as llama3.1:latest
    engines._llm.cache_clear()
    assert by_key(run_checks(workers=False))["llm"].status == OK


def test_a_wrong_key_says_which_variable(endpoint):
    endpoint.get_replies.append(error(401, f"Incorrect API key provided: {API_KEY}", "invalid_api_key"))
    output, failed = doctor("--no-workers")
    assert failed
    assert "refused the API key (HTTP 401)" in output and "LLM_API_KEY" in output
    assert API_KEY not in output


def test_an_unreachable_endpoint_fails_with_what_to_change(settings, persona):
    settings.LLM_ENGINE, settings.LLM_BASE_URL = "openai", f"http://127.0.0.1:{free_port()}/v1"
    output, failed = doctor("--no-workers")
    assert failed and "could not reach http://127.0.0.1" in output and "LLM_BASE_URL" in output
    assert "1 problem (Answer engine)" in output


def test_a_slow_endpoint_fails_after_the_check_timeout(endpoint):
    released = threading.Event()
    endpoint.get_replies.append(models(["test-model"], held=released))
    try:
        llm = by_key(run_checks(workers=False))["llm"]
    finally:
        released.set()
    assert llm.status == FAIL and "did not answer within 0.5 s" in llm.detail


def test_no_key_for_the_openai_api_itself(settings, persona):
    settings.LLM_ENGINE, settings.LLM_BASE_URL, settings.LLM_API_KEY = "openai", "", ""
    llm = by_key(run_checks(workers=False, live=False))["llm"]
    assert llm.status == FAIL and "LLM_API_KEY" in llm.fix


def test_a_missing_wav2lip_file_and_no_stream_key(settings, persona, tmp_path):
    settings.WAV2LIP_CHECKPOINT = str(tmp_path / "wav2lip_gan.pth")
    settings.STREAM_OUTPUT, settings.STREAM_KEY = "rtmp", ""
    checks = by_key(run_checks(workers=False, live=False))
    assert checks["lipsync"].status == FAIL and "wav2lip_gan.pth" in checks["lipsync"].detail
    assert checks["stream"].status == FAIL and "STREAM_KEY" in checks["stream"].fix
    output, failed = doctor("--offline", "--no-workers")
    assert failed and "2 problems (Lip-sync, Stream output)" in output


def test_an_image_avatar_that_cannot_use_wav2lip_is_a_warning_with_the_reason(persona, settings):
    from aijesus.studio.models import Avatar

    settings.WAV2LIP_CHECKPOINT = ""
    persona.avatar = Avatar.objects.create(name="Photo", kind=Avatar.Kind.VIDEO)
    persona.save_version(note="a photo")
    lipsync = by_key(run_checks(workers=False, live=False))["lipsync"]
    assert lipsync.status == WARN and "WAV2LIP_CHECKPOINT" in lipsync.fix
    assert lipsync.value.startswith(
        "sprite: the drawn character: avatar 'Photo' cannot use MuseTalk or Wav2Lip"
    )


def test_everything_in_order_exits_zero(persona):
    output, failed = doctor("--no-workers")
    assert not failed, output
    assert "offline (studio default, LLM_ENGINE)" in output and "espeak" in output


def test_without_an_active_persona(db):
    output, failed = doctor("--offline", "--no-workers")
    assert failed and "python manage.py seed" in output


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_workers_none_then_one_with_its_queues_and_devices(
    persona, redis_url, tmp_path, settings, sprite_cache
):
    settings.SYSTEM_CHECK_TIMEOUT = 1.0
    none = by_key(run_checks(live=False))["workers"]
    assert none.status == WARN and none.value == "none running" and "celery -A aijesus worker" in none.fix

    # A build worker warms the persona's engines up before it answers: in a folder of the test's
    # own, with the run's shared drawings at a small size (not the studio's var/ at 1280x720).
    media = tmp_path / "media"
    link_studio_cache(media, sprite_cache)
    small = {
        "MEDIA_ROOT": str(media),
        "DATA_DIR": str(tmp_path),
        "STREAM_WIDTH": "320",
        "STREAM_HEIGHT": "180",
    }
    log = tmp_path / "worker.log"
    with celery_worker(redis_url, "default,gpu", log, **small):
        wait_for(
            lambda: by_key(run_checks(live=False))["workers"].status == OK, 90, "the worker to answer", log
        )
        workers = by_key(run_checks(live=False))["workers"]
        assert workers.value == "1 running"
        assert "queues default, gpu" in workers.detail and "CPUs" in workers.detail
        assert ("no GPU" in workers.detail) or ("MiB" in workers.detail)

    with celery_worker(redis_url, "default", tmp_path / "worker2.log", **small):
        wait_for(
            lambda: by_key(run_checks(live=False))["workers"].value == "1 running", 90, "the worker", log
        )
        only_default = by_key(run_checks(live=False))["workers"]
        assert only_default.status == FAIL and "'gpu' queue" in only_default.fix
        # A second worker under the same name (a Procfile without --hostname): both are shown.
        with celery_worker(redis_url, "gpu", tmp_path / "worker3.log", **small):
            both = lambda: by_key(run_checks(live=False))["workers"].value == "2 running"  # noqa: E731
            wait_for(both, 90, "both workers", log)
            assert by_key(run_checks(live=False))["workers"].status == OK


def listening(pid: int, port: int) -> bool:
    return any(
        c.status == psutil.CONN_LISTEN and c.laddr.port == port for c in psutil.Process(pid).net_connections()
    )


def test_the_rtmp_probe_against_a_real_ingest_and_none(tmp_path):
    port = free_port()
    refused = rtmp_probe(f"rtmp://127.0.0.1:{port}/live", 1.0)
    assert not refused.ok and f"127.0.0.1:{port}" in refused.detail

    server = RtmpServer(free_port(), tmp_path / "got.flv")
    try:
        wait_until(lambda: listening(server.proc.pid, server.port), 30, "ffmpeg to listen for RTMP")
        found = rtmp_probe(server.url, 5.0)
        assert found.ok, found
        assert "speaks RTMP" in found.detail and "key was not sent" in found.detail
    finally:
        server.kill()


def test_the_page_shows_what_is_in_effect_and_never_a_secret(client, moderator, endpoint, settings):
    settings.STREAM_OUTPUT, settings.STREAM_KEY = "rtmp", STREAM_KEY
    settings.REDIS_URL = settings.REDIS_URL.replace("redis://", "redis://:redispass@")
    client.force_login(moderator)
    page = client.get(reverse("system")).content.decode()
    assert "openai, model test-model" in page and "the studio&#x27;s LLM_API_KEY" in page
    assert "stream key set" in page
    assert 'data-check="workers"' in page and 'data-check="streamer"' in page
    for secret in (API_KEY, STREAM_KEY, "redispass"):
        assert secret not in page


def test_a_test_action_runs_and_goes_to_the_moderator_log(client, owner, endpoint):
    client.force_login(owner)
    answer = client.post(reverse("system-test", args=["llm"])).json()
    assert (
        answer["ok"] and "Peace be with you" in answer["detail"] and "first words after" in answer["detail"]
    )
    voiced = client.post(reverse("system-test", args=["voice"])).json()
    assert voiced["ok"] and voiced["audio"].startswith("/personas/")
    audio = client.get(voiced["audio"])
    assert audio.status_code == 200 and b"".join(audio.streaming_content)[:4] == b"RIFF"

    endpoint.replies.append(error(401, f"bad key {API_KEY}"))
    refused = client.post(reverse("system-test", args=["llm"])).json()
    assert not refused["ok"] and "LLM_API_KEY" in refused["detail"]

    logged = list(
        ModeratorAction.objects.filter(kind="system").order_by("at").values_list("detail", flat=True)
    )
    assert [line.split(":")[0] for line in logged] == ["test llm", "test voice", "test llm"]
    assert "ok" in logged[0] and "failed" in logged[2]
    assert all(API_KEY not in line for line in logged)
    page = client.get(reverse("system")).content.decode()
    assert "test voice: ok" in page


def test_tests_are_for_the_owner_only(client, viewer_account, moderator):
    assert client.post(reverse("system-test", args=["llm"])).status_code == 302
    client.force_login(viewer_account)
    assert client.post(reverse("system-test", args=["llm"])).status_code == 403
    assert client.get(reverse("system")).status_code == 403
    client.force_login(moderator)  # sees the page, without Test buttons; a test spends the owner's keys
    assert client.post(reverse("system-test", args=["llm"])).status_code == 403
    page = client.get(reverse("system")).content.decode()
    assert 'class="secondary test"' not in page and "Tests are the owner" in page
