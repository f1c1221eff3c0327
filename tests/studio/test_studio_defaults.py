"""A persona can say "studio default" for its engines, so LLM_ENGINE / TTS_ENGINE reach it; a choice
made on the persona still wins; installs seeded before this follow the defaults after migrating."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from aijesus.studio.forms_personas import PersonaForm
from aijesus.studio.models import Persona
from builder.engines import llm_choice, llm_for, tts_choice, tts_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_engines")]


def test_the_environment_reaches_the_seeded_persona(persona, settings):
    data = persona.snapshot()
    assert (data["llm"]["engine"], data["voice"]["engine"]) == ("", "")
    assert llm_for(data).name == "offline" and tts_for(data).name == "espeak"

    settings.LLM_ENGINE, settings.LLM_BASE_URL, settings.LLM_MODEL = (
        "openai",
        "http://127.0.0.1:9/v1",
        "llama3.1",
    )
    settings.TTS_ENGINE = "openai"
    llm = llm_for(data)
    assert (llm.name, llm.model, llm.endpoint) == ("openai", "llama3.1", "http://127.0.0.1:9/v1")
    assert tts_for(data).name == "openai"
    assert llm_choice(data).source == "studio default, LLM_ENGINE"
    assert tts_choice(data).source == "studio default, TTS_ENGINE"


def test_a_choice_made_on_the_persona_wins(persona, settings):
    persona.llm = {**persona.llm, "engine": "offline"}
    persona.voice = {**persona.voice, "engine": "espeak"}
    persona.save_version(note="pinned")
    settings.LLM_ENGINE, settings.TTS_ENGINE = "openai", "openai"
    data = persona.snapshot()
    assert llm_for(data).name == "offline" and tts_for(data).name == "espeak"
    assert llm_choice(data).from_persona and tts_choice(data).from_persona


def test_the_editor_offers_the_studio_default_by_name_and_keeps_it(persona, settings):
    settings.LLM_ENGINE = "openai"
    form = PersonaForm(persona=persona)
    assert ("", "studio default (openai)") in form.fields["llm_engine"].choices
    assert ("", "studio default (espeak)") in form.fields["voice_engine"].choices
    assert form.initial["llm_engine"] == "" and form.initial["voice_engine"] == ""

    data = {**form.initial, "note": "no engine change", "avatar": persona.avatar_id or ""}
    data = {key: value for key, value in data.items() if value is not None}
    bound = PersonaForm(data, persona=persona)
    assert bound.is_valid(), bound.errors
    bound.apply(persona)
    assert persona.llm["engine"] == "" and persona.voice["engine"] == ""


def test_the_editor_checks_speed_against_the_default_voice_engine(persona, settings):
    settings.TTS_ENGINE = "openai"  # 0.25-4.0, no pitch
    form = PersonaForm(persona=persona)
    data = {key: value for key, value in form.initial.items() if value is not None}
    data.update(pitch=1.5, avatar=persona.avatar_id or "")
    bound = PersonaForm(data, persona=persona)
    assert not bound.is_valid()
    assert "openai has no pitch control" in bound.errors["pitch"][0]


OLD_LLM = {"engine": "offline", "temperature": 0.7, "max_tokens": 180}
OLD_VOICE = {"engine": "espeak", "voice": "", "speed": 1.0, "pitch": 1.0}


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_untouched_seeded_personas_to_the_defaults(django_user_model):
    executor = MigrationExecutor(connection)
    before, after = [("studio", "0004_clip_lifecycle")], [("studio", "0005_persona_studio_defaults")]
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        OldPersona, OldVersion = old.get_model("studio", "Persona"), old.get_model("studio", "PersonaVersion")
        seeded = OldPersona.objects.create(name="Jesus", system_prompt="p", llm=OLD_LLM, voice=OLD_VOICE)
        OldVersion.objects.create(persona=seeded, number=1, data={}, note="installed default")
        kept = OldPersona.objects.create(name="Chosen", system_prompt="p", llm=OLD_LLM, voice=OLD_VOICE)
        editor = old.get_model("auth", "User").objects.create(username="ed")
        OldVersion.objects.create(persona=kept, number=1, data={}, note="installed default")
        OldVersion.objects.create(persona=kept, number=2, data={}, created_by=editor, note="picked espeak")
        other = OldPersona.objects.create(
            name="Remote", system_prompt="p", llm={**OLD_LLM, "engine": "openai"}, voice=OLD_VOICE
        )

        executor = MigrationExecutor(connection)
        executor.migrate(after)
    finally:
        MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())

    seeded_now = Persona.objects.get(pk=seeded.pk)
    assert seeded_now.llm == {**OLD_LLM, "engine": ""} and seeded_now.voice == {**OLD_VOICE, "engine": ""}
    assert seeded_now.latest_version().number == 2
    assert seeded_now.latest_version().data["llm"]["engine"] == ""
    assert "studio defaults" in seeded_now.latest_version().note
    assert Persona.objects.get(pk=kept.pk).llm["engine"] == "offline"  # a moderator's choice
    assert Persona.objects.get(pk=other.pk).llm["engine"] == "openai"
