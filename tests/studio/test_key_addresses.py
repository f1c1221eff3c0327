"""A key goes only to the address it was set for: the studio's LLM_API_KEY only to LLM_BASE_URL; a
persona naming another address is answered only with that address's own key, set by an owner, and
otherwise nothing is sent at all. Checked where a request leaves: the playground's Answer, the
System page's Test, a clip build; and for the chat checks' settings."""

import pytest
from django.test import Client
from django.urls import reverse

from aijesus.studio.forms_personas import initial_for
from aijesus.studio.models import EndpointKey, ModeratorAction, Question
from aijesus.studio.services import question_approve, question_submit
from builder.services import clip_build
from tests.builder.llm.fake_openai import FakeChatServer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_engines")]

STUDIO_KEY = "sk-studio-SECRET-0123456789"
OWN_KEY = "sk-elsewhere-SECRET-9876543210"


@pytest.fixture
def studio_server(settings):
    server = FakeChatServer().start()
    settings.LLM_ENGINE, settings.LLM_BASE_URL, settings.LLM_API_KEY = "openai", server.url, STUDIO_KEY
    settings.LLM_MODEL, settings.SYSTEM_CHECK_TIMEOUT, settings.LLM_TIMEOUT = "test-model", 2.0, 5.0
    yield server
    server.stop()


@pytest.fixture
def elsewhere():
    """Somebody else's server, named by a persona."""
    server = FakeChatServer().start()
    yield server
    server.stop()


@pytest.fixture
def persona_elsewhere(persona, elsewhere, studio_server):
    persona.llm = {**persona.llm, "engine": "openai", "base_url": elsewhere.url}
    persona.save_version(note="another address")
    return persona


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def answer(client, persona):
    return client.post(reverse("playground-answer", args=[persona.pk]), {"question": "Who are you?"})


def authorizations(server) -> list[str]:
    return [request["headers"].get("authorization", "") for request in server.requests]


def test_the_studio_key_goes_to_the_studio_address(moderator, persona, studio_server):
    persona.llm = {**persona.llm, "engine": "openai"}
    persona.save_version()
    response = answer(logged_in(moderator), persona)
    assert response.status_code == 200, response.content
    assert authorizations(studio_server) == [f"Bearer {STUDIO_KEY}"]


def test_another_address_without_its_own_key_gets_nothing_from_the_playground(
    moderator, persona_elsewhere, elsewhere, studio_server
):
    response = answer(logged_in(moderator), persona_elsewhere)
    assert response.status_code >= 400
    message = response.json()["error"]
    assert "nothing was sent" in message and "LLM_API_KEY goes only to LLM_BASE_URL" in message
    assert elsewhere.requests == [] and studio_server.requests == []


def test_another_address_without_its_own_key_gets_nothing_from_the_system_test(
    owner, persona_elsewhere, elsewhere
):
    persona_elsewhere.activate()
    client = logged_in(owner)
    result = client.post(reverse("system-test", args=["llm"])).json()
    assert not result["ok"] and "nothing was sent" in result["detail"]
    page = client.get(reverse("system")).content.decode()
    assert "no key set for this address" in page
    assert elsewhere.requests == []


def test_a_build_for_another_address_without_its_key_fails_with_the_reason_and_sends_nothing(
    persona_elsewhere, elsewhere, settings, tmp_path, django_capture_on_commit_callbacks
):
    persona_elsewhere.activate()
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STREAM_WIDTH, settings.STREAM_HEIGHT, settings.STREAM_FPS = 320, 180, 25
    with django_capture_on_commit_callbacks(execute=False):
        clip = question_approve(question=question_submit(text="Why?", viewer_name="ivy"))
    assert clip_build(clip_id=clip.pk) == "failed"
    clip.refresh_from_db()
    assert "nothing was sent" in clip.error
    assert Question.objects.get().text == "Why?"  # kept, with the reason
    assert elsewhere.requests == []


def test_an_owner_sets_the_address_key_and_only_that_key_goes_there(
    owner, moderator, persona, elsewhere, studio_server
):
    form = {key: "" if value is None else value for key, value in initial_for(persona).items()}
    form.update(llm_engine="openai", llm_base_url=elsewhere.url, llm_key=OWN_KEY, note="elsewhere")
    client = logged_in(owner)
    response = client.post(reverse("persona-edit", args=[persona.pk]), form)
    assert response.status_code == 302, response.context["form"].errors
    row = EndpointKey.objects.get()
    assert OWN_KEY not in row.sealed_key and row.key() == OWN_KEY
    persona.refresh_from_db()
    assert persona.llm["base_url"] == elsewhere.url
    assert OWN_KEY not in str(persona.latest_version().data)  # versions never hold a key
    logged = ModeratorAction.objects.get(kind="keys")
    assert elsewhere.url in logged.detail and OWN_KEY not in logged.detail
    editor = client.get(reverse("persona-edit", args=[persona.pk])).content.decode()
    assert OWN_KEY not in editor and "its own, set" in editor

    assert answer(logged_in(moderator), persona).status_code == 200
    persona.activate()
    assert client.post(reverse("system-test", args=["llm"])).json()["ok"]
    assert authorizations(elsewhere) == [f"Bearer {OWN_KEY}"] * 2
    assert studio_server.requests == []


def test_an_address_needs_its_key_or_an_explicit_none_before_it_is_saved(owner, persona, elsewhere):
    form = {key: "" if value is None else value for key, value in initial_for(persona).items()}
    form.update(llm_engine="openai", llm_base_url=elsewhere.url)
    client = logged_in(owner)
    refused = client.post(reverse("persona-edit", args=[persona.pk]), form)
    assert refused.status_code == 400
    assert "set this address's own key" in " ".join(refused.context["form"].errors["llm_key"])

    form["llm_no_key"] = "on"  # a local server that wants none
    assert client.post(reverse("persona-edit", args=[persona.pk]), form).status_code == 302
    assert EndpointKey.objects.get().key() == ""


def test_a_moderator_cannot_change_engines_addresses_or_keys(moderator, persona, elsewhere):
    before = dict(persona.llm), dict(persona.voice)
    form = {key: "" if value is None else value for key, value in initial_for(persona).items()}
    form.update(
        llm_engine="openai", llm_base_url=elsewhere.url, llm_key=OWN_KEY, voice_engine="openai",
        system_prompt="Speak in parables.",
    )  # fmt: skip
    client = logged_in(moderator)
    response = client.post(reverse("persona-edit", args=[persona.pk]), form)
    assert response.status_code == 302
    persona.refresh_from_db()
    assert persona.system_prompt == "Speak in parables."  # the moderator's part is saved
    assert (persona.llm, persona.voice) == before  # the owner's part is not
    assert not EndpointKey.objects.exists()
    page = client.get(reverse("persona-edit", args=[persona.pk])).content.decode()
    assert 'name="llm_key"' not in page and "owner" in page


def test_the_chat_checks_get_the_studio_key_only_at_the_studio_address(tmp_path):
    import subprocess
    import sys

    from tests.builder.worker import ROOT

    def check_key(**env: str) -> str:
        code = "from django.conf import settings; print(settings.CHAT_CHECK_API_KEY)"
        base = {"DJANGO_SETTINGS_MODULE": "aijesus.settings", "PATH": "/usr/bin:/bin"}
        done = subprocess.run(
            [sys.executable, "-c", f"import django; django.setup(); {code}"],
            cwd=ROOT, env={**base, "DATA_DIR": str(tmp_path), **env},
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return done.stdout.strip()

    studio = {"LLM_BASE_URL": "http://127.0.0.1:1/v1", "LLM_API_KEY": STUDIO_KEY}
    assert check_key(**studio) == STUDIO_KEY
    assert check_key(**studio, CHAT_CHECK_BASE_URL="http://127.0.0.1:1/v1/") == STUDIO_KEY
    assert check_key(**studio, CHAT_CHECK_BASE_URL="http://elsewhere:2/v1") == ""
    assert check_key(**studio, CHAT_CHECK_BASE_URL="http://elsewhere:2/v1", CHAT_CHECK_API_KEY="own") == "own"


def test_a_moderator_cannot_roll_back_to_another_engine_address_but_the_owner_can(
    moderator, owner, persona, elsewhere
):
    persona.llm = {**persona.llm, "engine": "openai", "base_url": elsewhere.url}
    persona.save_version(note="owner's address")  # v2
    persona.llm = {**persona.llm, "engine": "", "base_url": ""}
    persona.save_version(note="back to the studio default")  # v3
    url = reverse("persona-rollback", args=[persona.pk, 2])
    refused = logged_in(moderator).post(url, follow=True)
    assert "only the owner can restore it" in refused.content.decode()
    persona.refresh_from_db()
    assert persona.llm["base_url"] == "" and persona.versions.count() == 3
    assert logged_in(owner).post(url).status_code == 302
    persona.refresh_from_db()
    assert persona.llm["base_url"] == elsewhere.url
    # A version that differs only in the moderator's part is theirs to restore.
    persona.system_prompt = "Speak in parables."
    persona.save_version(note="a moderator's prompt")  # v5
    restored = logged_in(moderator).post(reverse("persona-rollback", args=[persona.pk, 4]), follow=True)
    assert "Rolled back to v4" in restored.content.decode()
