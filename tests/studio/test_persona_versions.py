import pytest
from django.db import IntegrityError

from aijesus.studio.models import Persona

pytestmark = pytest.mark.django_db


def test_every_save_is_a_new_version(persona, moderator):
    persona.system_prompt = "Speak only in parables."
    version = persona.save_version(by=moderator, note="parables")
    assert version.number == 2
    assert version.data["system_prompt"] == "Speak only in parables."
    assert version.created_by == moderator


def test_rollback_restores_an_old_version_as_a_new_one(persona, moderator):
    original = persona.latest_version()
    persona.language = "fr"
    persona.voice = {"engine": "espeak", "voice": "fr"}
    persona.save_version(by=moderator)
    restored = persona.rollback(original, by=moderator)
    persona.refresh_from_db()
    assert persona.language == original.data["language"]
    assert persona.voice == original.data["voice"]
    assert (restored.number, restored.note) == (3, f"rollback to v{original.number}")


def test_only_one_persona_is_active(persona):
    other = Persona.objects.create(name="Narrator", system_prompt="You narrate.")
    other.activate()
    assert Persona.objects.active() == other
    assert Persona.objects.filter(is_active=True).count() == 1
    persona.is_active = True
    with pytest.raises(IntegrityError):
        persona.save(update_fields=["is_active"])
