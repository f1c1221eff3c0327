"""Personas in the dashboard: list, create, edit as versions, diff, rollback, activate."""

import pytest
from django.test import Client
from django.urls import reverse

from aijesus.studio.forms_personas import initial_for
from aijesus.studio.models import Avatar, Persona, PersonaVersion

pytestmark = pytest.mark.django_db

HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


def form_data(persona: Persona, **changes) -> dict:
    """What a browser posts from the editor opened on `persona`, with `changes` typed in."""
    shown = {key: "" if value is None else value for key, value in initial_for(persona).items()}
    return {**shown, "note": "", **changes}


@pytest.fixture
def mod_client(client, moderator) -> Client:
    client.force_login(moderator)
    return client


@pytest.fixture
def owner_client(owner) -> Client:
    """Engines are the owner's to choose (a moderator's engine fields are disabled)."""
    client = Client()
    client.force_login(owner)
    return client


def test_the_list_shows_every_persona_and_which_is_active(mod_client, persona):
    Persona.objects.create(name="Narrator", system_prompt="You narrate.")
    response = mod_client.get(reverse("personas"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Jesus" in page and "Narrator" in page
    assert page.count(">active</span>") == 1
    assert reverse("persona-activate", args=[persona.pk]) not in page  # the active one has no button


def test_it_creates_a_persona_as_version_one(mod_client, moderator, persona):
    data = form_data(persona, name="Narrator", system_prompt="You narrate calmly.", note="first draft")
    data.pop("based_on")
    response = mod_client.post(reverse("persona-new"), data)
    created = Persona.objects.get(name="Narrator")
    assert response.status_code == 302 and response.url == reverse("persona-edit", args=[created.pk])
    version = created.latest_version()
    assert (version.number, version.note, version.created_by) == (1, "first draft", moderator)
    assert version.data["system_prompt"] == "You narrate calmly."
    assert created.is_active is False  # creating never changes what airs


def test_a_save_is_a_new_version_by_the_moderator_keeping_other_settings(mod_client, moderator, persona):
    persona.llm = {**persona.llm, "max_words": 60}  # a setting the form does not show survives
    persona.save_version()
    response = mod_client.post(
        reverse("persona-edit", args=[persona.pk]),
        form_data(persona, system_prompt="Speak in parables.", speed=1.3, pitch=0.8, note="parables"),
    )
    assert response.status_code == 302
    persona.refresh_from_db()
    latest = persona.latest_version()
    assert (latest.number, latest.note, latest.created_by) == (3, "parables", moderator)
    assert persona.system_prompt == "Speak in parables."
    # The engine is still the studio default.
    assert persona.voice == {"engine": "", "voice": "", "speed": 1.3, "pitch": 0.8}
    assert persona.llm["max_words"] == 60


def test_saving_nothing_new_adds_no_version(mod_client, persona):
    mod_client.post(reverse("persona-edit", args=[persona.pk]), form_data(persona))
    assert persona.versions.count() == 1


def test_a_save_over_an_older_version_is_refused_with_who_saved_since(mod_client, persona, django_user_model):
    other = django_user_model.objects.create_user("alice")
    stale = form_data(persona, system_prompt="Mine")
    persona.system_prompt = "Theirs"
    persona.save_version(by=other)
    response = mod_client.post(reverse("persona-edit", args=[persona.pk]), stale)
    assert response.status_code == 409
    assert "alice saved v2 while you were editing v1" in response.content.decode()
    persona.refresh_from_db()
    assert persona.system_prompt == "Theirs"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"voice_engine": "espeak", "speed": 3.5}, "speed", "espeak speaks at 0.46 to 2.57 times"),
        ({"voice_engine": "openai", "pitch": 1.4}, "pitch", "openai has no pitch control"),
        ({"voice_engine": "espeak", "voice_name": "xx-nope"}, "voice_name", "espeak-ng has no voice named"),
        ({"voice_engine": "openai", "voice_name": "al loy"}, "voice_name", "one word"),
        ({"voice_engine": "coqui", "voice_name": "/etc/passwd"}, "voice_name", "speaker name"),
        ({"voice_engine": "coqui", "voice_name": "me.wav"}, "voice_name", "speaker name"),
        ({"llm_engine": "gpt5"}, "llm_engine", "Select a valid choice"),
        ({"temperature": 3}, "temperature", "less than or equal to 2"),
        ({"max_tokens": 5}, "max_tokens", "greater than or equal to 16"),
        ({"name": ""}, "name", "required"),
    ],
)
def test_settings_the_engines_cannot_take_are_refused(owner_client, persona, changes, field, message):
    response = owner_client.post(reverse("persona-edit", args=[persona.pk]), form_data(persona, **changes))
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert persona.versions.count() == 1


def test_a_voice_espeak_has_is_accepted(mod_client, persona):
    response = mod_client.post(
        reverse("persona-edit", args=[persona.pk]),
        form_data(persona, language="fr", voice_name="fr+f3", speed=0.9),
    )
    assert response.status_code == 302
    persona.refresh_from_db()
    assert (persona.language, persona.voice["voice"]) == ("fr", "fr+f3")


def test_a_name_another_persona_has_is_refused(mod_client, persona):
    Persona.objects.create(name="Narrator", system_prompt="x")
    data = form_data(persona, name="narrator")
    response = mod_client.post(reverse("persona-edit", args=[persona.pk]), data)
    assert response.status_code == 400
    assert "Another persona already has this name" in response.content.decode()


def test_hostile_names_and_prompts_are_shown_as_text(mod_client, persona):
    mod_client.post(
        reverse("persona-edit", args=[persona.pk]),
        form_data(persona, name=HOSTILE, system_prompt=HOSTILE, note=HOSTILE),
    )
    persona.refresh_from_db()
    assert persona.name == HOSTILE
    for url in (
        reverse("personas"),
        reverse("persona-edit", args=[persona.pk]),
        reverse("persona-version", args=[persona.pk, 2]),
        reverse("persona-playground", args=[persona.pk]),
    ):
        page = mod_client.get(url).content.decode()
        assert "<script>alert" not in page and "<img src=x" not in page, url
        assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page, url


def test_a_version_shows_what_changed_line_by_line(mod_client, persona):
    persona.system_prompt = persona.system_prompt + "\nNever use the word 'whilst'."
    persona.voice = {**persona.voice, "speed": 1.2}
    persona.save_version(note="slower")
    response = mod_client.get(reverse("persona-version", args=[persona.pk, 2]))
    assert response.status_code == 200
    fields = {d.label: d.lines for d in response.context["diff"]}
    assert set(fields) == {"System prompt", "Voice settings"}
    assert ("add", "Never use the word 'whilst'.") in fields["System prompt"]
    assert ("del", '  "speed": 1.0,') in fields["Voice settings"]
    assert ("add", '  "speed": 1.2,') in fields["Voice settings"]
    assert "Never use the word &#x27;whilst&#x27;." in response.content.decode()


def test_a_version_can_be_compared_with_any_other(mod_client, persona):
    for speed in (1.1, 1.2):
        persona.voice = {**persona.voice, "speed": speed}
        persona.save_version()
    response = mod_client.get(reverse("persona-version", args=[persona.pk, 3]), {"against": "1"})
    lines = {d.label: d.lines for d in response.context["diff"]}["Voice settings"]
    assert ("del", '  "speed": 1.0,') in lines and ("add", '  "speed": 1.2,') in lines


def test_secret_looking_settings_never_reach_the_diff(mod_client, persona):
    persona.llm = {**persona.llm, "api_key": "sk-live-very-secret-123"}
    persona.save_version()
    page = mod_client.get(reverse("persona-version", args=[persona.pk, 2])).content.decode()
    assert "sk-live-very-secret-123" not in page and "(hidden)" in page


def test_rollback_restores_an_old_version_as_a_new_one_by_the_moderator(mod_client, moderator, persona):
    original = persona.system_prompt
    persona.system_prompt = "A worse prompt."
    persona.save_version()
    response = mod_client.post(reverse("persona-rollback", args=[persona.pk, 1]))
    assert response.status_code == 302
    persona.refresh_from_db()
    restored = persona.latest_version()
    assert persona.system_prompt == original
    assert (restored.number, restored.note, restored.created_by) == (3, "rollback to v1", moderator)


def test_rollback_to_a_name_now_taken_says_so(mod_client, persona):
    persona.name = "Renamed"
    persona.save_version()
    Persona.objects.create(name="Jesus", system_prompt="an impostor")
    response = mod_client.post(reverse("persona-rollback", args=[persona.pk, 1]), follow=True)
    assert "Another persona is now called &#x27;Jesus&#x27;" in response.content.decode()
    persona.refresh_from_db()
    assert persona.name == "Renamed" and persona.versions.count() == 2


def test_rollback_to_a_deleted_avatar_is_refused(mod_client, persona):
    gone = Avatar.objects.create(name="Gone")
    persona.avatar = gone
    persona.save_version()
    persona.avatar = None
    persona.save_version()
    gone.delete()
    response = mod_client.post(reverse("persona-rollback", args=[persona.pk, 2]), follow=True)
    assert "avatar was deleted" in response.content.decode()
    assert persona.versions.count() == 3


def test_activating_makes_it_the_only_active_persona(mod_client, persona):
    other = Persona.objects.create(name="Narrator", system_prompt="You narrate.")
    response = mod_client.post(reverse("persona-activate", args=[other.pk]))
    assert response.status_code == 302 and response.url == reverse("personas")
    assert Persona.objects.active() == other
    assert list(Persona.objects.filter(is_active=True)) == [other]
    # A persona that was never saved through the editor gets its first version, so clips can cite it.
    assert other.versions.count() == 1


def test_unknown_personas_and_versions_are_404(mod_client, persona):
    assert mod_client.get(reverse("persona-edit", args=[999])).status_code == 404
    assert mod_client.get(reverse("persona-version", args=[persona.pk, 99])).status_code == 404
    assert mod_client.post(reverse("persona-activate", args=[999])).status_code == 404


def test_edits_are_refused_without_the_csrf_token(moderator, persona):
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)
    other = Persona.objects.create(name="Narrator", system_prompt="x")
    posts = [
        (reverse("persona-edit", args=[persona.pk]), form_data(persona, system_prompt="forged")),
        (reverse("persona-new"), {**form_data(persona), "name": "Forged"}),
        (reverse("persona-activate", args=[other.pk]), {}),
        (reverse("persona-rollback", args=[persona.pk, 1]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert Persona.objects.active() == persona
    assert PersonaVersion.objects.filter(persona=persona).count() == 1
    assert not Persona.objects.filter(name="Forged").exists()


@pytest.mark.parametrize(
    "url",
    [
        "/personas/",
        "/personas/new",
        "/personas/{pk}/",
        "/personas/{pk}/versions/1/",
        "/personas/{pk}/playground/",
    ],
)
def test_pages_send_anonymous_visitors_to_log_in_and_refuse_viewers(client, viewer_account, persona, url):
    url = url.format(pk=persona.pk)
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    client.force_login(viewer_account)
    assert client.get(url).status_code == 403


def test_a_viewer_account_cannot_change_personas(client, viewer_account, persona):
    other = Persona.objects.create(name="Narrator", system_prompt="x")
    client.force_login(viewer_account)
    assert client.post(reverse("persona-activate", args=[other.pk])).status_code == 403
    edit = client.post(reverse("persona-edit", args=[persona.pk]), form_data(persona, system_prompt="no"))
    assert edit.status_code == 403
    assert Persona.objects.active() == persona and persona.versions.count() == 1


def test_activation_and_rollback_are_in_the_moderator_log(client, moderator, persona):
    from aijesus.studio.models import ModeratorAction, Persona

    other = Persona.objects.create(name="Paul", system_prompt="You are Paul.")
    other.save_version(by=moderator)
    other.system_prompt = "You are the apostle Paul."
    other.save()
    other.save_version(by=moderator)
    client.force_login(moderator)
    client.post(f"/personas/{other.pk}/activate")
    client.post(f"/personas/{other.pk}/versions/1/rollback")
    details = list(
        ModeratorAction.objects.filter(kind="persona").order_by("at").values_list("detail", flat=True)
    )
    assert details == [f"activated Paul (#{other.pk})", f"rolled Paul (#{other.pk}) back to v1, saved as v3"]


def test_a_rollback_keeps_an_activation_made_meanwhile(moderator, persona):
    """The rollback re-reads the row: a stale copy must not switch the persona off again."""
    other = Persona.objects.create(name="Paul", system_prompt="You are Paul.")
    v1 = other.save_version(by=moderator)
    other.system_prompt = "You are the apostle Paul."
    other.save_version(by=moderator)
    stale = Persona.objects.get(pk=other.pk)  # loaded while inactive
    Persona.objects.get(pk=other.pk).activate()  # another moderator activates it
    stale.rollback(v1, by=moderator)
    assert list(Persona.objects.filter(is_active=True)) == [other]
    assert Persona.objects.get(pk=other.pk).system_prompt == "You are Paul."
