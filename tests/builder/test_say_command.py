import json
import wave

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def test_say_writes_the_audio_and_prints_timings(persona, tmp_path, capsys):
    out = tmp_path / "hello.wav"
    call_command("say", "Peace be with you, 3 times!", "--out", str(out))
    report = json.loads(capsys.readouterr().out)
    assert report["text"] == "Peace be with you, three times!"
    with wave.open(str(out)) as audio:
        assert audio.getframerate() == report["sample_rate"] == 22050
        assert audio.getnframes() / audio.getframerate() == pytest.approx(report["duration"], abs=0.001)
    assert report["phonemes"][0][1] == 0 and report["phonemes"][-1][2] == report["duration"]
    assert "p" in {p[0] for p in report["phonemes"]}


def test_say_uses_the_named_persona_voice(persona, tmp_path, capsys):
    persona.language = "fr"
    persona.save_version(note="french")
    call_command("say", "Bonjour, mes amis.", "--persona", "Jesus", "--out", str(tmp_path / "fr.wav"))
    report = json.loads(capsys.readouterr().out)
    assert "ʁ" in "".join(p[0] for p in report["phonemes"])


def test_say_explains_a_missing_persona(tmp_path):
    with pytest.raises(CommandError, match="no persona named 'Nobody'"):
        call_command("say", "Hi", "--persona", "Nobody", "--out", str(tmp_path / "x.wav"))
