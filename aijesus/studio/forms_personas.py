"""The persona editor's form: the persona's fields plus its LLM and voice settings, checked against
what the engines accept, so a saved persona never fails a clip for a setting the form let through."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator

from aijesus.studio.models import Avatar, Persona
from builder.llm import ENGINES as LLM_ENGINES
from builder.tts import ENGINES as TTS_ENGINES
from builder.tts import TTSError, VoiceSettings, make_engine
from builder.tts.espeak import _RATE_LIMITS as ESPEAK_RATES
from builder.tts.espeak import NORMAL_RATE as ESPEAK_NORMAL_RATE
from builder.tts.openai_tts import SPEED_LIMITS as OPENAI_SPEEDS

# What each voice engine can do with speed (a factor of its normal rate) and whether it has pitch.
# espeak takes a rate in words per minute within its own limits; pitch is its 0-100 scale (50 = 1.0).
SPEED_RANGES: dict[str, tuple[float, float]] = {
    "espeak": (
        round(ESPEAK_RATES[0] / ESPEAK_NORMAL_RATE + 0.005, 2),
        round(ESPEAK_RATES[1] / ESPEAK_NORMAL_RATE - 0.005, 2),
    ),
    "openai": OPENAI_SPEEDS,
    "coqui": (0.25, 4.0),  # VITS length_scale / XTTS speed: beyond this the speech is unusable
    "piper": (0.25, 4.0),  # its VITS length_scale, divided by the speed
    "kokoro": (0.5, 2.0),  # what the model was trained to take
}
PITCH_ENGINES = frozenset({"espeak"})
PITCH_RANGE = (0.0, 2.0)
TEMPERATURE_RANGE = (0.0, 2.0)  # what OpenAI-compatible endpoints accept
MAX_TOKENS_RANGE = (16, 4096)

_VOICE_NAME = re.compile(r"^[A-Za-z0-9_.+-]{0,64}$")
_SPEAKER_NAME = re.compile(r"^(?!.*\.(?:wav|mp3|flac|ogg)$)[\w .-]{1,64}$", re.IGNORECASE)
_PIPER_VOICE = re.compile(r"^[\w.+-]{1,120}(#[\w .-]{1,64})?$")
_MODEL_NAME = RegexValidator(r"^[\w.:/@+-]{0,120}$", "Letters, digits and . : / @ + - _ only.")

# Form field → key in the persona's `llm` / `voice` JSON. Other keys there (base_url, max_words,
# model_path…) are kept as they are: the form edits these and nothing else.
LLM_KEYS = {
    "llm_engine": "engine",
    "llm_model": "model",
    "temperature": "temperature",
    "max_tokens": "max_tokens",
}
VOICE_KEYS = {"voice_engine": "engine", "voice_name": "voice", "speed": "speed", "pitch": "pitch"}


class PersonaForm(forms.Form):
    name = forms.CharField(max_length=100)
    system_prompt = forms.CharField(widget=forms.Textarea(attrs={"rows": 10}), max_length=8000)
    language = forms.ChoiceField(choices=Persona.Language.choices)
    llm_engine = forms.ChoiceField(
        label="Answer engine", required=False, choices=[(e, e) for e in LLM_ENGINES]
    )
    llm_model = forms.CharField(
        label="Model", required=False, max_length=120, validators=[_MODEL_NAME],
        help_text="For the openai engine; empty uses LLM_MODEL.",
    )  # fmt: skip
    temperature = forms.FloatField(min_value=TEMPERATURE_RANGE[0], max_value=TEMPERATURE_RANGE[1])
    max_tokens = forms.IntegerField(min_value=MAX_TOKENS_RANGE[0], max_value=MAX_TOKENS_RANGE[1])
    voice_engine = forms.ChoiceField(
        label="Voice engine", required=False, choices=[(e, e) for e in TTS_ENGINES]
    )
    voice_name = forms.CharField(
        label="Voice", required=False, max_length=300,
        help_text="espeak: en-us, en-gb+f3, fr…; openai: alloy, onyx…; coqui: a speaker name; "
        "piper: an installed voice (fr_FR-siwis-medium, #speaker for several); kokoro: ff_siwis, af_heart…. "
        "Empty: the engine's default for the language.",
    )  # fmt: skip
    speed = forms.FloatField(min_value=0.05, max_value=4.0)
    pitch = forms.FloatField(min_value=PITCH_RANGE[0], max_value=PITCH_RANGE[1])
    avatar = forms.ModelChoiceField(Avatar.objects.order_by("name"), required=False, empty_label="built-in")
    banned_words = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=4000,
        help_text="One word or phrase per line: an answer containing one is not aired.",
    )  # fmt: skip
    note = forms.CharField(required=False, max_length=200, help_text="What changed, for the version history.")
    based_on = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, persona: Persona | None = None, **kwargs: Any) -> None:
        self.persona = persona
        if persona is not None and not args and "data" not in kwargs:
            kwargs["initial"] = initial_for(persona)
        super().__init__(*args, **kwargs)
        # "" is the studio default, named with what it is now (read per form: settings can change).
        self.fields["llm_engine"].choices = [
            ("", f"studio default ({settings.LLM_ENGINE})"),
            *((e, e) for e in LLM_ENGINES),
        ]
        self.fields["voice_engine"].choices = [
            ("", f"studio default ({settings.TTS_ENGINE})"),
            *((e, e) for e in TTS_ENGINES),
        ]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        others = Persona.objects.filter(name__iexact=name)
        if self.persona is not None:
            others = others.exclude(pk=self.persona.pk)
        if others.exists():
            raise forms.ValidationError("Another persona already has this name.")
        return name

    def clean_voice_name(self) -> str:
        voice = self.cleaned_data["voice_name"].strip()
        if "\0" in voice or "\n" in voice:
            raise forms.ValidationError("One line, please.")
        return voice

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("voice_engine") is None:
            return data
        engine = data["voice_engine"] or settings.TTS_ENGINE  # what the clip will use
        low, high = SPEED_RANGES[engine]
        if data.get("speed") is not None and not low <= data["speed"] <= high:
            self.add_error("speed", f"{engine} speaks at {low:g} to {high:g} times its normal speed.")
        if data.get("pitch") not in (None, 1.0) and engine not in PITCH_ENGINES:
            self.add_error("pitch", f"{engine} has no pitch control: leave pitch at 1.")
        voice = data.get("voice_name", "")
        if engine == "openai" and voice and not _VOICE_NAME.match(voice):
            self.add_error("voice_name", "An openai voice is one word, e.g. alloy or onyx.")
        # Coqui reads a voice that looks like a path as a recording to clone, on the worker: from
        # the dashboard only a speaker's name (the model's own list is checked when it loads).
        if engine == "coqui" and voice and not _SPEAKER_NAME.match(voice):
            self.add_error("voice_name", "A coqui voice is a speaker name (letters, digits, spaces, - _ .).")
        if engine in ("piper", "kokoro") and voice and not _PIPER_VOICE.match(voice):
            self.add_error(
                "voice_name", "A piper voice is an installed voice's name, with #speaker if it has several."
            )
        if engine == "espeak" and not self.errors:
            self._try_espeak(data)
        if engine in ("piper", "kokoro") and not self.errors:
            self._find_installed(engine, data)
        return data

    def _find_installed(self, engine_name: str, data: dict[str, Any]) -> None:
        """The voice must be installed (VOICES_DIR), speak the persona's language and have the speaker."""
        voice = VoiceSettings(voice=data.get("voice_name", ""), language=data.get("language", "en"))
        try:
            engine = make_engine(engine_name, voices_dir=settings.VOICES_DIR)
            found, speaker = engine.find(voice)
            found.speaker_id(speaker)
        except TTSError as exc:
            self.add_error("voice_name", str(exc))

    def _try_espeak(self, data: dict[str, Any]) -> None:
        """espeak is local and speaks a word in about a millisecond: asking it is the surest check
        that it has this voice (or a voice for this language)."""
        voice = VoiceSettings(
            voice=data.get("voice_name", ""),
            language=data.get("language", "en"),
            speed=data["speed"],
            pitch=data["pitch"],
        )
        try:
            make_engine("espeak").synthesize("Test.", voice)
        except TTSError as exc:
            self.add_error("voice_name", str(exc))

    def apply(self, persona: Persona) -> None:
        """Copy the cleaned values onto `persona` (not saved)."""
        data = self.cleaned_data
        persona.name = data["name"]
        persona.system_prompt = data["system_prompt"]
        persona.language = data["language"]
        persona.avatar = data["avatar"]
        persona.banned_words = data["banned_words"]
        persona.llm = _merged(persona.llm, {key: data[field] for field, key in LLM_KEYS.items()})
        persona.voice = _merged(persona.voice, {key: data[field] for field, key in VOICE_KEYS.items()})

    def clean_system_prompt(self) -> str:
        return _unix_lines(self.cleaned_data["system_prompt"])

    def clean_banned_words(self) -> str:
        return _unix_lines(self.cleaned_data["banned_words"])


def _unix_lines(text: str) -> str:
    # Browsers send textareas with CRLF: without this the first save would show every line changed.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _merged(current: dict[str, Any] | None, edited: dict[str, Any]) -> dict[str, Any]:
    """`current` with the form's values; an empty text the settings never had is not added."""
    merged = dict(current or {})
    for key, value in edited.items():
        if value == "" and key not in merged:
            continue
        merged[key] = value
    return merged


def initial_for(persona: Persona) -> dict[str, Any]:
    llm, voice = persona.llm or {}, persona.voice or {}
    latest = persona.latest_version() if persona.pk else None
    return {
        "name": persona.name,
        "system_prompt": persona.system_prompt,
        "language": persona.language,
        "llm_engine": llm.get("engine", ""),
        "llm_model": llm.get("model", ""),
        "temperature": llm.get("temperature", 0.7),
        "max_tokens": llm.get("max_tokens", 220),
        "voice_engine": voice.get("engine", ""),
        "voice_name": voice.get("voice", ""),
        "speed": voice.get("speed", 1.0),
        "pitch": voice.get("pitch", 1.0),
        "avatar": persona.avatar_id,
        "banned_words": persona.banned_words,
        "based_on": latest.number if latest else None,
    }
