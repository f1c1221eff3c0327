"""Kokoro-82M voices (weights under Apache-2.0) run with onnxruntime, 24 kHz.

The files as the kokoro-onnx project publishes them: `kokoro-v1.0.onnx` (the model) and
`voices-v1.0.bin` (a NumPy archive: one style table per voice, 510 rows of 256 values, one row per
phoneme count) in the voices folder. The phoneme → token table is the model's `vocab`: read from a
`config.json` beside the model (the layout of the original weights) or else from the
`kokoro_onnx` package's own copy, found without importing it (its code pulls in a GPL phonemizer;
`make voices` installs it without dependencies, for this table only).

A voice's name says its language: "ff_siwis" is French (f), "af_…"/"am_…" American English (a),
"bf_…"/"bm_…" British English (b). Phonemes come from our espeak-ng binding. Exports that also
give each token's duration (a second output) give real mouth timings; the others get timings
from the audio, as Piper voices do.
"""

from __future__ import annotations

import importlib.util
import json
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from builder.tts import timings
from builder.tts.base import PhonemeTiming, Speech, TTSEngine, TTSError, VoiceSettings
from builder.tts.onnx_session import PROVIDERS, open_session

SAMPLE_RATE = 24_000
MAX_TOKENS = 510
MODEL_NAME = "kokoro-v1.0.onnx"
VOICES_NAME = "voices-v1.0.bin"
SPEED_RANGE = (0.5, 2.0)
# The first letter of a voice's name: its language, and the espeak voice that reads it.
LANGUAGES = {"a": ("en", "en-us"), "b": ("en", "en-gb"), "f": ("fr", "fr-fr")}


@dataclass(frozen=True)
class KokoroVoice:
    name: str
    language: str
    espeak_voice: str
    sample_rate: int = SAMPLE_RATE
    num_speakers: int = 1

    def speaker_id(self, wanted: str) -> None:
        if wanted:
            raise TTSError(f"Kokoro voice {self.name} has no speakers to choose: remove #{wanted}")


def voice_language(name: str) -> tuple[str, str]:
    try:
        return LANGUAGES[name[:1].lower()]
    except KeyError:
        known = ", ".join(f"{k}_… {v[0]}" for k, v in LANGUAGES.items())
        raise TTSError(f"Kokoro voice {name!r}: its language is not supported here (only {known})") from None


def read_vocab(model: Path) -> dict[str, int]:
    """The phoneme → token table: `config.json` beside the model, else kokoro_onnx's copy."""
    candidates = [model.with_name("config.json")]
    spec = importlib.util.find_spec("kokoro_onnx")
    if spec is not None and spec.submodule_search_locations:
        candidates.append(Path(next(iter(spec.submodule_search_locations))) / "config.json")
    for path in candidates:
        if path.is_file():
            try:
                vocab = json.loads(path.read_text(encoding="utf-8")).get("vocab")
            except (OSError, ValueError, AttributeError) as exc:
                raise TTSError(f"{path} is not a readable Kokoro config: {exc}") from None
            if not isinstance(vocab, dict) or not all(isinstance(v, int) for v in vocab.values()):
                raise TTSError(f"{path} has no Kokoro vocab (phoneme → token table)")
            return vocab
    raise TTSError(f"no Kokoro vocab: put the model's config.json beside {model.name}, or run `make voices`")


def read_styles(path: Path) -> dict[str, np.ndarray]:
    if not path.is_file():
        raise TTSError(f"Kokoro voices file not found: {path}")
    try:
        with np.load(path) as archive:
            styles = {name: np.asarray(archive[name], dtype=np.float32) for name in archive.files}
    except (OSError, ValueError) as exc:
        raise TTSError(f"{path.name} is not a Kokoro voices file (a NumPy archive): {exc}") from None
    for name, table in styles.items():
        if table.ndim != 3 or table.shape[1:] != (1, 256):
            raise TTSError(f"{path.name}: voice {name!r} has style shape {table.shape}, not (rows, 1, 256)")
    if not styles:
        raise TTSError(f"{path.name} holds no voices")
    return styles


class KokoroModel:
    def __init__(self, path: Path, providers: tuple[str, ...] = PROVIDERS, threads: int = 0) -> None:
        self.session = open_session(path, providers, threads)
        inputs = {i.name: i for i in self.session.get_inputs()}
        self.tokens = "input_ids" if "input_ids" in inputs else "tokens"
        if not {self.tokens, "style", "speed"} <= set(inputs):
            raise TTSError(
                f"{path.name} is not a Kokoro model: it takes {sorted(inputs)}, not tokens, style, speed"
            )
        self.speed_type = np.int32 if "int" in inputs["speed"].type else np.float32
        self.has_durations = len(self.session.get_outputs()) > 1
        self.lock = threading.Lock()

    def run(self, tokens: list[int], style: np.ndarray, speed: float) -> tuple[np.ndarray, np.ndarray | None]:
        feeds = {
            self.tokens: np.array([[0, *tokens, 0]], dtype=np.int64),
            "style": style.astype(np.float32),
            "speed": np.array([speed], dtype=self.speed_type),
        }
        with self.lock:
            try:
                outputs = self.session.run(None, feeds)
            except Exception as exc:  # noqa: BLE001
                raise TTSError(f"the Kokoro model refused its input: …{str(exc)[-160:]}") from None
        durations = np.asarray(outputs[1]).reshape(-1) if self.has_durations else None
        return np.asarray(outputs[0], dtype=np.float32).reshape(-1), durations


@lru_cache(maxsize=2)
def _loaded(
    model: str, stamp: int, providers: tuple[str, ...], threads: int
) -> tuple[KokoroModel, dict[str, int]]:
    path = Path(model)
    return KokoroModel(path, providers, threads), read_vocab(path)


@lru_cache(maxsize=2)
def _styles(path: str, stamp: int) -> dict[str, np.ndarray]:
    return read_styles(Path(path))


class KokoroEngine(TTSEngine):
    """`KokoroEngine(voices_dir=...)`: `voice` is a style name in voices-v1.0.bin ("ff_siwis");
    "" = the first voice for the persona's language."""

    name = "kokoro"

    def __init__(
        self,
        voices_dir: str | Path = "",
        providers: tuple[str, ...] = PROVIDERS,
        threads: int = 0,
    ) -> None:
        self.voices_dir = Path(voices_dir) if voices_dir else Path()
        self.providers, self.threads = tuple(providers), threads

    @property
    def model_path(self) -> Path:
        return self.voices_dir / MODEL_NAME

    @property
    def styles_path(self) -> Path:
        return self.voices_dir / VOICES_NAME

    def styles(self) -> dict[str, np.ndarray]:
        if not self.model_path.is_file():
            raise TTSError(
                f"no Kokoro model in {self.voices_dir}: {MODEL_NAME} is missing (manage.py voices add)"
            )
        return _styles(str(self.styles_path), _stamp(self.styles_path))

    def installed(self) -> list[KokoroVoice]:
        try:
            names = sorted(self.styles())
        except TTSError:
            return []
        return [KokoroVoice(n, *LANGUAGES[n[:1].lower()]) for n in names if n[:1].lower() in LANGUAGES]

    def find(self, settings: VoiceSettings) -> tuple[KokoroVoice, str]:
        name, _, speaker = settings.voice.strip().partition("#")
        styles = self.styles()
        wanted = settings.language.split("-")[0].lower()
        if name:
            if name not in styles:
                shown = ", ".join(sorted(styles)[:12])
                raise TTSError(f"Kokoro has no voice {name!r} in {VOICES_NAME} (it has {shown})")
            voice = KokoroVoice(name, *voice_language(name))
        else:
            matching = [v for v in self.installed() if v.language == wanted]
            if not matching:
                raise TTSError(f"Kokoro has no voice for {wanted!r} in {VOICES_NAME}")
            voice = matching[0]
        if wanted and voice.language != wanted:
            raise TTSError(f"Kokoro voice {voice.name} speaks {voice.language!r}, not {wanted!r}")
        return voice, speaker.strip()

    def synthesize(self, text: str, voice: VoiceSettings) -> Speech:
        from builder.tts.espeak import phonemize

        if not text.strip():
            raise TTSError("there is no text to speak")
        low, high = SPEED_RANGE
        if not low <= voice.speed <= high:
            raise TTSError(
                f"Kokoro speaks at {low:g} to {high:g} times its normal speed, not {voice.speed:g}"
            )
        spec, speaker = self.find(voice)
        spec.speaker_id(speaker)
        model, vocab = _loaded(str(self.model_path), _stamp(self.model_path), self.providers, self.threads)
        phonemes = phonemize(text, VoiceSettings(voice=spec.espeak_voice))
        symbols = [p for p in phonemes if p in vocab]
        if not symbols:
            raise TTSError(f"Kokoro knows none of the sounds of this text ({phonemes!r})")
        if len(symbols) > MAX_TOKENS:
            raise TTSError(
                f"the sentence is too long for Kokoro ({len(symbols)} phonemes, at most {MAX_TOKENS})"
            )
        table = self.styles()[spec.name]
        style = table[min(len(symbols), len(table)) - 1]  # one row per phoneme count
        audio, durations = model.run([vocab[p] for p in symbols], style, voice.speed)
        if not audio.size or not np.isfinite(audio).all():
            raise TTSError(f"Kokoro voice {spec.name} produced no usable audio")
        pcm = np.clip(audio * 32767.0, -32768, 32767).astype(np.int16)
        if durations is not None and len(durations) == len(symbols) + 2:
            mouth = duration_timings(symbols, durations, len(pcm), SAMPLE_RATE)
        else:
            mouth = timings.phoneme_timings(pcm, SAMPLE_RATE)
        return Speech(pcm=pcm, sample_rate=SAMPLE_RATE, phonemes=mouth)


def duration_timings(symbols: list[str], durations: Any, n_samples: int, rate: int) -> list[PhonemeTiming]:
    """Mouth timings from the model's own duration per token (the two pads are silence). Durations
    are in the model's frames; their total spans the audio, so each frame is audio ÷ total.
    Stress and length marks lengthen the sound before them; spaces and punctuation are pauses."""
    frames = np.maximum(np.asarray(durations, dtype=np.float64), 0)
    seconds = n_samples / rate
    total = float(frames.sum())
    if total <= 0:
        return [PhonemeTiming("", 0.0, seconds)]
    scale, start = seconds / total, 0.0
    result: list[PhonemeTiming] = []
    for label, length in zip(["", *symbols, ""], frames, strict=True):
        end = start + float(length) * scale
        if end > start:
            category = unicodedata.category(label) if label else "Zs"
            if category[0] == "L" and category != "Lm":
                result.append(PhonemeTiming(label, start, end))
            elif result and (category in ("Lm", "Mn", "Sk") or result[-1].phoneme == ""):
                result[-1] = PhonemeTiming(result[-1].phoneme, result[-1].start, end)  # a mark, or more pause
            else:
                result.append(PhonemeTiming("", start, end))
        start = end
    result[-1] = PhonemeTiming(result[-1].phoneme, result[-1].start, seconds)
    return result


def _stamp(path: Path) -> int:
    return path.stat().st_mtime_ns if path.exists() else 0
