"""`manage.py say "text" --out file.wav`: hear a persona's voice settings, see the phoneme timings."""

from __future__ import annotations

import json
import wave
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aijesus.studio.models import Persona
from builder.answer import persona_voice
from builder.text.clean import clean_for_speech
from builder.tts.base import Speech, TTSError


def write_wav(speech: Speech, path: Path) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(speech.sample_rate)
        out.writeframes(speech.pcm.astype("<i2").tobytes())


class Command(BaseCommand):
    help = "Speak a text with a persona's voice into a WAV file and print the phoneme timings as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("text")
        parser.add_argument("--persona", help="Persona name (default: the active one).")
        parser.add_argument("--out", required=True, type=Path, help="WAV file to write.")

    def handle(self, *args: Any, **options: Any) -> None:
        from builder.engines import tts_for, with_defaults

        name = options["persona"]
        persona = Persona.objects.filter(name=name).first() if name else Persona.objects.active()
        if persona is None:
            raise CommandError(f"no persona named {name!r}" if name else "no persona is active")
        data = with_defaults(persona.snapshot())
        text = clean_for_speech(options["text"], data["language"])
        try:
            speech = tts_for(data).synthesize(text, persona_voice(data))
        except TTSError as exc:
            raise CommandError(str(exc)) from exc
        write_wav(speech, options["out"])
        report = {
            "persona": persona.name,
            "text": text,
            "file": str(options["out"]),
            "sample_rate": speech.sample_rate,
            "duration": round(speech.duration, 3),
            "phonemes": [[t.phoneme, round(t.start, 3), round(t.end, 3)] for t in speech.phonemes],
        }
        self.stdout.write(json.dumps(report, ensure_ascii=False))
