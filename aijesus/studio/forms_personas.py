"""The persona editor's form: the persona's fields plus its LLM and voice settings, checked against
what the engines accept, so a saved persona never fails a clip for a setting the form let through."""

from __future__ import annotations

import re
from pathlib import Path
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
_SPEAKER_NAME = re.compile(r"^[\w .-]{1,64}$")
_PIPER_VOICE = re.compile(r"^[\w.+-]{1,120}(#[\w .-]{1,64})?$")
_MODEL_NAME = RegexValidator(r"^[\w.:/@+-]{0,120}$", "Letters, digits and . : / @ + - _ only.")

# Form field → key in the persona's `llm` / `voice` JSON. Other keys there (base_url, max_words,
# model_path…) are kept as they are: the form edits these and nothing else.
LLM_KEYS = {
    "llm_engine": "engine",
    "llm_model": "model",
    "llm_base_url": "base_url",
    "temperature": "temperature",
    "max_tokens": "max_tokens",
}
VOICE_KEYS = {"voice_engine": "engine", "voice_name": "voice", "speed": "speed", "pitch": "pitch"}

# The owner's choices (aijesus/studio/roles.py): which engines answer and speak, where they are
# and their keys. A moderator sees them but cannot change them (disabled fields keep what is saved,
# whatever a request sends).
OWNER_FIELDS = ("llm_engine", "llm_model", "llm_base_url", "llm_key", "llm_no_key", "voice_engine")


def owner_settings(data: dict[str, Any]) -> dict[str, Any]:
    """The owner's part of a persona's (or a version's) settings: engines, model, address."""
    llm, voice = data.get("llm") or {}, data.get("voice") or {}
    return {
        "llm": {key: llm.get(key, "") for key in ("engine", "model", "base_url")},
        "voice": {key: voice.get(key, "") for key in ("engine", "model_path")},
    }


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
    llm_base_url = forms.URLField(
        label="Address", required=False, max_length=300, assume_scheme="https",
        help_text="For the openai engine; empty uses LLM_BASE_URL. Another address gets only its own key.",
    )  # fmt: skip
    llm_key = forms.CharField(
        label="API key for this address", required=False, max_length=500,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text="Stored encrypted, never shown again. Empty keeps the key already set for the address.",
    )  # fmt: skip
    llm_no_key = forms.BooleanField(label="This address needs no key (a local server)", required=False)
    temperature = forms.FloatField(min_value=TEMPERATURE_RANGE[0], max_value=TEMPERATURE_RANGE[1])
    max_tokens = forms.IntegerField(min_value=MAX_TOKENS_RANGE[0], max_value=MAX_TOKENS_RANGE[1])
    voice_engine = forms.ChoiceField(
        label="Voice engine", required=False, choices=[(e, e) for e in TTS_ENGINES]
    )
    voice_name = forms.CharField(
        label="Voice", required=False, max_length=300,
        help_text="espeak: en-us, en-gb+f3, fr…; openai: alloy, onyx…; "
        "coqui: an installed model (name#speaker) or a speaker name; "
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

    def __init__(
        self, *args: Any, persona: Persona | None = None, owner: bool = False, **kwargs: Any
    ) -> None:
        self.persona = persona
        self.owner = owner
        if persona is not None and "initial" not in kwargs:
            # Also with posted data: a disabled field (a moderator's view of the owner's choices)
            # takes its value from here, so a save keeps what the persona has.
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
        if not owner:
            for name in OWNER_FIELDS:
                self.fields[name].disabled = True
                self.fields[name].help_text = "Set by the studio's owner."

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
        if self.owner:
            self._check_address_key(data)
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
        if engine == "coqui" and voice:
            problem = coqui_voice_problem(voice)
            if problem:
                self.add_error("voice_name", problem)
        if engine in ("piper", "kokoro") and voice and not _PIPER_VOICE.match(voice):
            self.add_error(
                "voice_name", "A piper voice is an installed voice's name, with #speaker if it has several."
            )
        if engine == "espeak" and not self.errors:
            self._try_espeak(data)
        if engine in ("piper", "kokoro") and not self.errors:
            self._find_installed(engine, data)
        return data

    def _check_address_key(self, data: dict[str, Any]) -> None:
        """A key is saved for an address other than the studio's, or the save says why not: the
        studio's LLM_API_KEY would never be sent there, so the persona could not answer."""
        from aijesus.studio.endpoint_keys import studio_llm_address
        from aijesus.studio.models import EndpointKey
        from aijesus.studio.models.endpoint import normalize_address

        address = normalize_address(data.get("llm_base_url") or "")
        keyed = bool(data.get("llm_key")) or bool(data.get("llm_no_key"))
        if not address or address == studio_llm_address():
            if keyed:
                self.add_error("llm_key", "This is the studio's own address: it uses LLM_API_KEY.")
            return
        if data.get("llm_key") and data.get("llm_no_key"):
            self.add_error("llm_no_key", "Either a key or no key, not both.")
        engine = data.get("llm_engine") or settings.LLM_ENGINE
        known = EndpointKey.objects.filter(kind=EndpointKey.Kind.LLM, address=address).exists()
        if engine == "openai" and not keyed and not known:
            self.add_error(
                "llm_key",
                "The studio's key goes only to LLM_BASE_URL: set this address's own key, "
                "or tick that it needs none.",
            )

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


def coqui_voice_problem(voice: str) -> str:
    """Why `voice` cannot be a coqui voice, or "". It names an installed model (`name`,
    `name#speaker`) or a speaker of TTS_MODEL_PATH's model; a recording to clone is a file in the
    model's folder. Never a path: the worker would read it (the model's speakers are checked when
    it loads)."""
    from builder.tts.coqui_files import reference_recording, split_voice

    usage = "A coqui voice is an installed model's name (with #speaker name) or a speaker name"
    if "/" in voice or "\\" in voice:
        return f"{usage}, not a path."
    try:
        folder, speaker = split_voice(voice, settings.VOICES_DIR)
        if folder is None and settings.TTS_MODEL_PATH:
            default = Path(settings.TTS_MODEL_PATH).expanduser()
            folder = default if default.is_dir() else default.parent
        recording = reference_recording(folder, speaker) if folder is not None and speaker else None
    except TTSError as exc:
        return f"{exc}."
    if recording is not None and not recording.is_file():
        return (
            f"No recording {speaker} is in the model's folder {folder}: a coqui voice's speaker is a "
            "speaker name, or a recording installed with the model."
        )
    if recording is None and speaker and (not _SPEAKER_NAME.match(speaker) or _is_audio_name(speaker)):
        return f"{usage} (letters, digits, spaces, - _ .)."
    return ""


def _is_audio_name(name: str) -> bool:
    from builder.tts.coqui_files import AUDIO_SUFFIXES

    return Path(name).suffix.lower() in AUDIO_SUFFIXES


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
        "llm_base_url": llm.get("base_url", ""),
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
