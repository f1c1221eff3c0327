"""Piper voices: VITS models exported to ONNX, run with onnxruntime (CPU, or CUDA when present).

A voice is two files as Piper publishes them: `<voice>.onnx` and `<voice>.onnx.json` (the
phoneme → id map, sample rate, espeak voice, inference scales and speakers). Phonemes come from our
own libespeak-ng binding (`espeak.phonemize`), so no GPL phonemizer package is needed; the ids are
built the way Piper's training built them: "^", then each phoneme's ids followed by the pad "_",
then "$". Punctuation is kept (the voices pause and lift on it).

Piper's exported models give audio only, no phoneme durations, so mouth timings come from the
audio (`timings.py`), as for Coqui voices.
"""

from __future__ import annotations

import json
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from builder.tts import timings
from builder.tts.base import Speech, TTSEngine, TTSError, VoiceSettings
from builder.tts.onnx_session import PROVIDERS, open_session

BOS, EOS, PAD = "^", "$", "_"
_CLAUSE = re.compile(r"([.,;:!?…]+)")
_SPEAKER_SEP = "#"


@dataclass(frozen=True)
class PiperVoice:
    """A voice's config as the engine uses it (read from `<voice>.onnx.json`)."""

    name: str
    model: Path
    sample_rate: int
    espeak_voice: str
    language: str  # "fr", "en": the language part of its code
    phoneme_ids: dict[str, tuple[int, ...]]
    noise_scale: float = 0.667
    length_scale: float = 1.0
    noise_w: float = 0.8
    speakers: dict[str, int] = field(default_factory=dict)
    num_speakers: int = 1

    def speaker_id(self, wanted: str) -> int | None:
        """The id for a speaker named or numbered `wanted` ("" = the first), None for one-speaker voices."""
        if self.num_speakers <= 1:
            if wanted:
                raise TTSError(f"Piper voice {self.name} has a single speaker; remove {_SPEAKER_SEP}{wanted}")
            return None
        if not wanted:
            return 0
        if wanted in self.speakers:
            return self.speakers[wanted]
        if wanted.isdigit() and int(wanted) < self.num_speakers:
            return int(wanted)
        names = ", ".join(sorted(self.speakers)[:10]) or f"0-{self.num_speakers - 1}"
        raise TTSError(f"Piper voice {self.name} has no speaker {wanted!r} (it has {names})")


def read_voice(model: Path) -> PiperVoice:
    """Check and read a voice: `model` is the .onnx file, its config is `<model>.json` beside it."""
    if not model.is_file():
        raise TTSError(f"Piper voice model not found: {model}")
    config_path = model.with_name(model.name + ".json")
    if not config_path.is_file():
        raise TTSError(f"Piper voice {model.name} has no config beside it: {config_path.name} is missing")
    # Parsed once per file version: the engine looks its voice up for every sentence it speaks.
    return _parsed(str(model), config_path.stat().st_mtime_ns)


@lru_cache(maxsize=32)
def _parsed(model: str, stamp: int) -> PiperVoice:
    config_path = Path(model + ".json")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TTSError(f"{config_path.name} is not a readable JSON file: {exc}") from None
    return parse_config(Path(model), config, config_path.name)


def parse_config(model: Path, config: Any, where: str) -> PiperVoice:
    def need(value: Any, what: str, kind: type | tuple[type, ...]) -> Any:
        if not isinstance(value, kind) or isinstance(value, bool):
            raise TTSError(f"{where}: {what} is missing or not a {getattr(kind, '__name__', 'number')}")
        return value

    need(config, "the top level", dict)
    rate = need((config.get("audio") or {}).get("sample_rate"), "audio.sample_rate", int)
    espeak_voice = need((config.get("espeak") or {}).get("voice"), "espeak.voice", str)
    if config.get("phoneme_type", "espeak") != "espeak":
        raise TTSError(f"{where}: phoneme_type {config['phoneme_type']!r} is not supported (only espeak)")
    raw_map = need(config.get("phoneme_id_map"), "phoneme_id_map", dict)
    ids: dict[str, tuple[int, ...]] = {}
    for symbol, values in raw_map.items():
        if not isinstance(values, list) or not values or not all(isinstance(v, int) for v in values):
            raise TTSError(f"{where}: phoneme_id_map[{symbol!r}] must be a list of integers")
        ids[symbol] = tuple(values)
    missing = [s for s in (BOS, EOS, PAD) if s not in ids]
    if missing:
        raise TTSError(f"{where}: phoneme_id_map lacks {', '.join(repr(s) for s in missing)}")
    inference = config.get("inference") or {}
    code = (config.get("language") or {}).get("code") or espeak_voice
    speakers = config.get("speaker_id_map") or {}
    num = config.get("num_speakers", max(1, len(speakers)))
    return PiperVoice(
        name=model.name.removesuffix(".onnx"),
        model=model,
        sample_rate=rate,
        espeak_voice=espeak_voice,
        language=str(code).replace("_", "-").split("-")[0].lower(),
        phoneme_ids=ids,
        noise_scale=float(inference.get("noise_scale", 0.667)),
        length_scale=float(inference.get("length_scale", 1.0)),
        noise_w=float(inference.get("noise_w", 0.8)),
        speakers={str(k): int(v) for k, v in speakers.items()},
        num_speakers=int(num),
    )


def phoneme_ids(voice: PiperVoice, phonemes: str) -> list[int]:
    """Piper's id sequence: BOS PAD, each known phoneme's ids then PAD, EOS. Symbols the voice was
    not trained on are skipped (espeak can write a few a voice never saw)."""
    ids = [*voice.phoneme_ids[BOS], *voice.phoneme_ids[PAD]]
    for symbol in unicodedata.normalize("NFD", phonemes):
        known = voice.phoneme_ids.get(symbol)
        if known:
            ids += [*known, *voice.phoneme_ids[PAD]]
    ids += voice.phoneme_ids[EOS]
    return ids


def text_to_phonemes(text: str, voice: PiperVoice) -> str:
    """IPA for `text` with its punctuation kept: espeak reads each clause, the mark follows it."""
    from builder.tts.espeak import phonemize

    settings = VoiceSettings(voice=voice.espeak_voice)
    parts = []
    for piece in _CLAUSE.split(text):
        if not piece.strip():
            continue
        if _CLAUSE.fullmatch(piece):
            parts.append(piece[0] if piece[0] in voice.phoneme_ids else ".")
        else:
            parts.append(" " + phonemize(piece, settings))
    return "".join(parts).strip()


class PiperModel:
    """One loaded ONNX session; runs are serialised (one session, one build at a time anyway)."""

    def __init__(self, path: Path, providers: tuple[str, ...] = PROVIDERS, threads: int = 0) -> None:
        self.session = open_session(path, providers, threads)
        self.inputs = {i.name for i in self.session.get_inputs()}
        needed = {"input", "input_lengths", "scales"}
        if not needed <= self.inputs:
            raise TTSError(
                f"{path.name} is not a Piper voice: it takes {sorted(self.inputs)}, "
                "not input, input_lengths, scales"
            )
        self.lock = threading.Lock()

    def run(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        with self.lock:
            try:
                return self.session.run(None, feeds)[0]
            except Exception as exc:  # noqa: BLE001 — e.g. a config whose ids the model lacks
                raise TTSError(
                    f"the voice model refused its input (does its config match it?): …{str(exc)[-160:]}"
                ) from None


@lru_cache(maxsize=4)
def _model(path: str, stamp: int, providers: tuple[str, ...], threads: int) -> PiperModel:
    return PiperModel(Path(path), providers, threads)


class PiperEngine(TTSEngine):
    """`PiperEngine(voices_dir=...)`. A persona's `voice` names an installed voice
    ("fr_FR-siwis-medium", with "#speaker" for a multi-speaker voice) or `model_path` gives the
    .onnx file; "" = the first installed voice for the persona's language."""

    name = "piper"

    def __init__(
        self, voices_dir: str | Path = "", providers: tuple[str, ...] = PROVIDERS, threads: int = 0
    ) -> None:
        self.voices_dir = Path(voices_dir) if voices_dir else None
        self.providers = tuple(providers)
        self.threads = threads

    def installed(self) -> list[PiperVoice]:
        """Every readable voice in the voices folder (unreadable ones are skipped here; `find`
        names the problem when one is asked for)."""
        if self.voices_dir is None or not self.voices_dir.is_dir():
            return []
        found = []
        # The folder's top level only: `manage.py voices add` installs there, and a staging
        # folder (.incoming-*) of an install in progress is never read.
        for model in sorted(self.voices_dir.glob("*.onnx")):
            try:
                found.append(read_voice(model))
            except TTSError:
                continue
        return found

    def find(self, settings: VoiceSettings) -> tuple[PiperVoice, str]:
        """The voice to speak with and the speaker asked for."""
        name, _, speaker = settings.voice.strip().partition(_SPEAKER_SEP)
        if settings.model_path:
            path = Path(settings.model_path).expanduser()
            voice = read_voice(path if path.suffix == ".onnx" else path / f"{name}.onnx")
        elif name:
            folder = self.voices_dir
            if folder is None or not (folder / f"{name}.onnx").is_file():
                raise TTSError(f"no Piper voice {name!r} is installed in {folder} (manage.py voices add)")
            voice = read_voice(folder / f"{name}.onnx")
        else:
            language = settings.language.split("-")[0].lower()
            matching = [v for v in self.installed() if v.language == language]
            if not matching:
                raise TTSError(
                    f"no Piper voice for {language!r} is installed in {self.voices_dir} "
                    "(manage.py voices add)"
                )
            voice = matching[0]
        wanted = settings.language.split("-")[0].lower()
        if wanted and voice.language != wanted:
            raise TTSError(f"Piper voice {voice.name} speaks {voice.language!r}, not {wanted!r}")
        return voice, speaker.strip()

    def synthesize(self, text: str, voice: VoiceSettings) -> Speech:
        if not text.strip():
            raise TTSError("there is no text to speak")
        if not voice.speed > 0:
            raise TTSError("speed must be above 0")
        spec, speaker = self.find(voice)
        sid = spec.speaker_id(speaker)
        ids = phoneme_ids(spec, text_to_phonemes(text, spec))
        if len(ids) <= 3:
            raise TTSError(f"Piper voice {spec.name} has none of the sounds of this text")
        model = _model(str(spec.model), spec.model.stat().st_mtime_ns, self.providers, self.threads)
        scales = [spec.noise_scale, spec.length_scale / voice.speed, spec.noise_w]
        feeds = {
            "input": np.array([ids], dtype=np.int64),
            "input_lengths": np.array([len(ids)], dtype=np.int64),
            "scales": np.array(scales, dtype=np.float32),
        }
        if "sid" in model.inputs:
            feeds["sid"] = np.array([sid or 0], dtype=np.int64)
        elif sid:
            raise TTSError(f"{spec.model.name} takes no speaker id, but its config lists speakers")
        audio = np.asarray(model.run(feeds), dtype=np.float32).reshape(-1)
        if not audio.size or not np.isfinite(audio).all():
            raise TTSError(f"Piper voice {spec.name} produced no usable audio")
        # As Piper does: each utterance scaled to full range (the models' output level varies).
        peak = max(0.01, float(np.abs(audio).max()))
        pcm = np.clip(audio * (32767.0 / peak), -32768, 32767).astype(np.int16)
        mouth = timings.phoneme_timings(pcm, spec.sample_rate)
        return Speech(pcm=pcm, sample_rate=spec.sample_rate, phonemes=mouth)
