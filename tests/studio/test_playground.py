"""The persona playground: a real answer and a real voice, nothing aired, nothing queued."""

import io
import wave

import pytest
from django.test import Client
from django.urls import reverse

from aijesus.studio import playground
from aijesus.studio.models import Clip, Question

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def mod_client(client, moderator) -> Client:
    client.force_login(moderator)
    return client


def ask(client, persona, question):
    return client.post(reverse("playground-answer", args=[persona.pk]), {"question": question})


def voice(client, persona, text):
    return client.post(reverse("playground-voice", args=[persona.pk]), {"text": text})


def test_the_page_offers_the_question_box(mod_client, persona):
    response = mod_client.get(reverse("persona-playground", args=[persona.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert reverse("playground-answer", args=[persona.pk]) in page
    assert "/static/studio/personas.js" in page


def test_a_question_is_answered_by_the_personas_engine_without_queueing_anything(mod_client, persona):
    response = ask(mod_client, persona, "What is forgiveness?")
    assert response.status_code == 200
    body = response.json()
    assert "forgive" in body["answer"].lower()  # the offline engine quotes the Gospels on it
    assert body["filtered"] == ""
    assert not Question.objects.exists() and not Clip.objects.exists()


def test_the_answer_is_voiced_into_a_wav_only_moderators_can_fetch(mod_client, persona, data_dir, client):
    answer = ask(mod_client, persona, "What is forgiveness?").json()["answer"]
    response = voice(mod_client, persona, answer)
    assert response.status_code == 200
    body = response.json()
    assert body["sentences"] >= 1
    audio = mod_client.get(body["audio"])
    assert audio.status_code == 200 and audio["Content-Type"] == "audio/wav"
    data = b"".join(audio.streaming_content)
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    with wave.open(io.BytesIO(data)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
        duration = wav.getnframes() / wav.getframerate()
    assert duration > 2.0  # a few sentences of speech, not a click
    assert duration == pytest.approx(body["duration"], abs=0.01)
    assert len(list((data_dir / "playground").glob("*.wav"))) == 1
    assert not Question.objects.exists() and not Clip.objects.exists()

    mod_client.logout()
    assert mod_client.get(body["audio"]).status_code == 302  # to the login page


def test_an_unreachable_llm_gives_a_clear_message(mod_client, persona, settings):
    settings.LLM_TIMEOUT = 1.0
    settings.LLM_BASE_URL = "http://127.0.0.1:9/v1"  # the studio's own address: its key may go there
    persona.llm = {"engine": "openai", "model": "m"}
    persona.save_version()
    response = ask(mod_client, persona, "Are you there?")
    assert response.status_code == 502
    assert response.json()["error"].startswith("The answer engine is unavailable right now")


def test_an_answer_with_a_banned_word_is_flagged_and_not_voiced(mod_client, persona):
    persona.banned_words = "forgive*"
    persona.save_version()
    body = ask(mod_client, persona, "What is forgiveness?").json()
    assert "banned words" in body["filtered"]
    refused = voice(mod_client, persona, body["answer"])
    assert refused.status_code == 502
    assert "output filter" in refused.json()["error"]


def test_a_voice_the_engine_lacks_gives_a_clear_message(mod_client, persona):
    persona.voice = {**persona.voice, "voice": "xx-nope"}
    persona.save_version()
    response = voice(mod_client, persona, "Peace be with you.")
    assert response.status_code == 502
    assert response.json()["error"] == "The voice engine failed: espeak-ng has no voice named 'xx-nope'"


@pytest.mark.parametrize("question", ["", "   ", "x" * 501])
def test_empty_or_overlong_questions_are_refused(mod_client, persona, question):
    assert ask(mod_client, persona, question).status_code == 400


def test_only_the_newest_auditions_are_kept(mod_client, persona, data_dir):
    names = [voice(mod_client, persona, f"Sentence number {i}.").json()["audio"] for i in range(3)]
    playground.prune(keep=2)
    kept = {p.name for p in (data_dir / "playground").glob("*.wav")}
    assert kept == {names[1].rsplit("/", 1)[1], names[2].rsplit("/", 1)[1]}
    assert mod_client.get(names[0]).status_code == 404


@pytest.mark.parametrize(
    "name", ["../../secret_key", "..%2F..%2Fsecret_key", "x.wav", "0" * 32 + ".mp3", "0" * 32 + ".wav"]
)
def test_only_audition_files_are_served(mod_client, data_dir, name):
    (data_dir / "secret_key").write_text("s3cret")
    (data_dir / "playground").mkdir()
    (data_dir / "playground" / ("0" * 32 + ".mp3")).write_text("not an audition")
    assert mod_client.get("/personas/playground/" + name).status_code == 404


def test_viewers_and_anonymous_visitors_are_refused(client, viewer_account, persona):
    urls = [reverse("playground-answer", args=[persona.pk]), reverse("playground-voice", args=[persona.pk])]
    for url in urls:
        assert client.post(url, {"question": "hi", "text": "hi"}).status_code == 302
    client.force_login(viewer_account)
    for url in urls:
        assert client.post(url, {"question": "hi", "text": "hi"}).status_code == 403


def test_the_playground_refuses_posts_without_the_csrf_token(moderator, persona, data_dir):
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)
    assert ask(client, persona, "What is forgiveness?").status_code == 403
    assert voice(client, persona, "Hello.").status_code == 403
    assert not (data_dir / "playground").exists()
