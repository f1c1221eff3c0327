import pytest

from builder import engines


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
