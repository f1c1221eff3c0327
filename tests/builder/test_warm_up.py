import pytest

from builder import engines


@pytest.fixture(autouse=True)
def no_lipsync_engine_yet():
    """The engines are kept per process: once an earlier test in this process (whichever ran
    before, with files spread over workers) built the same one, warm_up would find it built and
    load nothing into this MEDIA_ROOT."""
    engines._lipsync.cache_clear()
    yield
    engines._lipsync.cache_clear()


@pytest.mark.django_db
def test_warm_up_loads_the_active_personas_engines(persona, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.STREAM_WIDTH, settings.STREAM_HEIGHT = 160, 90
    engines.warm_up()
    ready = engines.engines_for(engines.with_defaults(persona.snapshot()))
    assert ready.llm.index is not None  # built, not waiting for the first question
    assert (tmp_path / "avatar-cache").is_dir()


@pytest.mark.django_db
def test_warm_up_without_a_persona_loads_nothing(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    engines.warm_up()
    assert not (tmp_path / "avatar-cache").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "calls"), [("worker", 1), ("library", 0)])
def test_only_a_build_worker_warms_its_voice_up(persona, settings, tmp_path, monkeypatch, role, calls):
    """The library worker only re-encodes: it never calls the voice service (it holds no key)."""
    from builder.tasks import warm_up_engines
    from tests.builder.llm.fake_openai import FakeChatServer

    server = FakeChatServer().start()
    try:
        settings.MEDIA_ROOT = tmp_path
        settings.STREAM_WIDTH, settings.STREAM_HEIGHT = 160, 90
        settings.TTS_ENGINE, settings.LLM_BASE_URL = "openai", server.url
        engines._tts.cache_clear()
        monkeypatch.setenv("STUDIO_ROLE", role)
        warm_up_engines()  # a failed warm-up is logged, never raised
        assert len([r for r in server.requests if r["path"].endswith("/audio/speech")]) == calls
    finally:
        engines._tts.cache_clear()
        server.stop()
