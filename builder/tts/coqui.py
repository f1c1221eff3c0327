"""Coqui TTS (the maintained `coqui-tts` package, import name `TTS`): a local XTTS-v2 or VITS model.

The model is whatever folder `VoiceSettings.model_path` (or the engine's default) names: a folder
holding `config.json` and the checkpoint, as Coqui's own downloads are laid out, or the checkpoint
file itself with `config.json` beside it. It loads through Coqui's public `TTS(model_path=...,
config_path=...)`, on the GPU when torch sees one, once per process: models are large and slow to
load. torch and TTS are imported only when a model is first needed, so importing this module (the
web process does) stays cheap.

Voice settings: `voice` is a speaker name of a multi-speaker model (XTTS-v2 ships named speakers)
or the path of a reference recording to clone (XTTS); "" takes the model's first speaker.
`language` matters for multilingual models only; `speed` is honoured; Coqui models have no pitch
control, so `pitch` is ignored.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from builder.tts.base import Speech, TTSEngine, TTSError, VoiceSettings
from builder.tts.timings import phoneme_timings

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

# Models whose Coqui loader takes the whole folder (checkpoint, vocabulary, speakers, ...).
_FOLDER_MODELS = frozenset({"xtts", "tortoise", "bark"})
# Checkpoint names Coqui's downloads and trainer write, most specific first.
_CHECKPOINT_NAMES = ("model.pth", "model_file.pth", "best_model.pth", "checkpoint.pth")
_AUDIO_SUFFIXES = frozenset({".wav", ".flac", ".ogg", ".oga", ".aiff", ".aif"})


@dataclass(frozen=True)
class ModelFiles:
    checkpoint: Path  # a file, or the folder itself for models that load from one (XTTS)
    config: Path
    model_type: str  # config.json's "model": "vits", "xtts", ...


@dataclass
class LoadedModel:
    tts: Any  # TTS.api.TTS
    files: ModelFiles
    sample_rate: int
    # One synthesis at a time per model: speed is set on the model itself for VITS, and XTTS keeps
    # a generation cache on the model.
    lock: threading.Lock = field(default_factory=threading.Lock)


_models: dict[tuple[Path, str], LoadedModel] = {}
_models_lock = threading.Lock()


def resolve_model_files(model_path: str | Path) -> ModelFiles:
    """Find the config and checkpoint Coqui should load for `model_path`, or say clearly why not."""
    if not str(model_path).strip():
        raise TTSError(
            "No Coqui model configured: set TTS_MODEL_PATH (or the persona's voice model_path) to a "
            "model folder holding config.json and the checkpoint."
        )
    path = Path(model_path).expanduser()
    if not path.exists():
        raise TTSError(
            f"Coqui model not found at {path}: expected a folder with config.json and a checkpoint."
        )
    folder = path if path.is_dir() else path.parent
    config = folder / "config.json"
    if not config.is_file():
        raise TTSError(f"Coqui model at {path} has no config.json beside it.")
    model_type = _model_type(config)
    if path.is_file():
        return ModelFiles(path, config, model_type)
    if model_type in _FOLDER_MODELS:
        return ModelFiles(folder, config, model_type)
    return ModelFiles(_checkpoint_in(folder), config, model_type)


def _model_type(config: Path) -> str:
    # Read with json first: a broken file then fails here with its own name, not deep inside TTS.
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TTSError(f"Invalid Coqui config {config}: {exc}") from exc
    model_type = data.get("model") if isinstance(data, dict) else None
    if not isinstance(model_type, str) or not model_type:
        raise TTSError(f'Invalid Coqui config {config}: it names no model (the "model" key).')
    return model_type


def _checkpoint_in(folder: Path) -> Path:
    for name in _CHECKPOINT_NAMES:
        if (folder / name).is_file():
            return folder / name
    found = sorted(p for p in folder.iterdir() if p.name.endswith((".pth", ".pth.tar", ".pt")))
    if len(found) == 1:
        return found[0]
    names = ", ".join(p.name for p in found) or "no .pth file"
    raise TTSError(
        f"Cannot tell which checkpoint to load in {folder} ({names}): point the model path at the file."
    )


def _import_tts() -> Any:
    try:
        from TTS.api import TTS
    except ImportError as exc:
        raise TTSError(f"The coqui engine needs coqui-tts and torch installed: {exc}") from exc
    except OSError as exc:
        # torchaudio's PyPI wheels are CUDA builds: beside a CPU-only torch their compiled extension
        # fails to load, while its pure-Python part (all Coqui needs here) works without it.
        raise TTSError(
            f"torchaudio cannot load ({exc}). With a CPU-only torch, delete torchaudio/lib/*.so so "
            "that it runs as pure Python."
        ) from exc
    return TTS


def load_model(model_path: str | Path) -> LoadedModel:
    """The model at `model_path`, loaded on first use and kept for the life of the process."""
    files = resolve_model_files(model_path)
    tts_class = _import_tts()
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    key = (files.checkpoint.resolve(), device)
    with _models_lock:
        loaded = _models.get(key)
        if loaded is None:
            loaded = _models[key] = _load(tts_class, files, device)
    return loaded


def _load(tts_class: Any, files: ModelFiles, device: str) -> LoadedModel:
    if files.model_type == "xtts":
        _read_xtts_references_with_soundfile()
    started = time.monotonic()
    try:
        tts = tts_class(model_path=str(files.checkpoint), config_path=str(files.config), progress_bar=False)
        tts.to(device)
        sample_rate = int(tts.synthesizer.output_sample_rate)
    except Exception as exc:
        raise TTSError(f"Could not load the Coqui model {files.checkpoint}: {exc}") from exc
    log.info(
        "Loaded Coqui %s model %s on %s in %.1f s",
        files.model_type,
        files.checkpoint,
        device,
        time.monotonic() - started,
    )
    return LoadedModel(tts, files, sample_rate)


def read_reference_audio(path: str | Path, sample_rate: int) -> torch.Tensor:
    """A reference recording as XTTS wants it: mono float32 [1, samples] at `sample_rate`.

    Read with soundfile: torchaudio >= 2.9 reads files through torchcodec, whose PyPI wheels are
    CUDA builds that cannot load beside a CPU-only torch.
    """
    import soundfile
    import torch
    from torchaudio.functional import resample

    data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    audio = torch.from_numpy(np.ascontiguousarray(data.mean(axis=1)))[None]
    if rate != sample_rate:
        audio = resample(audio, rate, sample_rate)
    return audio.clamp(-1.0, 1.0)


def _read_xtts_references_with_soundfile() -> None:
    # XTTS reads cloning references through a module-level `load_audio` built on torchaudio.load;
    # replacing that one reader keeps the rest of Coqui's cloning (latents, chunking) as it is.
    from TTS.tts.models import xtts

    if getattr(xtts, "load_audio", None) is not read_reference_audio:
        xtts.load_audio = read_reference_audio


class CoquiEngine(TTSEngine):
    name = "coqui"

    def __init__(self, model_path: str | Path = "") -> None:
        self.model_path = str(model_path)  # used when the voice settings name no model

    def synthesize(self, text: str, voice: VoiceSettings) -> Speech:
        if not text.strip():
            raise TTSError("Nothing to say: the text is empty.")
        if voice.speed <= 0:
            raise TTSError(f"Speed must be positive, got {voice.speed}.")
        loaded = load_model(voice.model_path or self.model_path)
        kwargs = _voice_arguments(loaded.tts, voice)
        with loaded.lock:
            samples = _speak(loaded, text, voice.speed, kwargs)
        pcm = _to_pcm16(samples)
        if pcm.size == 0:
            raise TTSError("The Coqui model produced no audio.")
        return Speech(
            pcm=pcm, sample_rate=loaded.sample_rate, phonemes=phoneme_timings(pcm, loaded.sample_rate)
        )


def _voice_arguments(tts: Any, voice: VoiceSettings) -> dict[str, Any]:
    """Coqui's `speaker` / `speaker_wav` / `language` for these settings, checked against the model."""
    kwargs: dict[str, Any] = {}
    language = _language(tts, voice.language)
    if language is not None:
        kwargs["language"] = language
    chosen = voice.voice.strip()
    clones = bool(getattr(tts.synthesizer.tts_model.config, "supports_cloning", False))
    if chosen and _looks_like_audio(chosen):
        reference = Path(chosen).expanduser()
        if not reference.is_file():
            raise TTSError(f"Reference recording not found: {chosen}")
        if not clones:
            raise TTSError(
                "This Coqui model cannot clone a voice from a recording; name one of its speakers."
            )
        kwargs["speaker_wav"] = str(reference)
    elif tts.is_multi_speaker:
        kwargs["speaker"] = _speaker(list(tts.speakers or []), chosen, clones)
    elif chosen:
        # A single-voice model has nothing to choose; a name left from another engine should not
        # stop every clip.
        log.warning("Coqui model has a single voice; ignoring voice %r", chosen)
    return kwargs


def _speaker(speakers: list[str], chosen: str, clones: bool) -> str:
    if chosen in speakers:
        return chosen
    if not chosen and speakers:
        return speakers[0]
    shown = ", ".join(speakers[:10]) + (", ..." if len(speakers) > 10 else "")
    problem = f"Unknown Coqui speaker {chosen!r}" if chosen else "No voice chosen"
    choices = f"this model has: {shown}" if speakers else "this model has no named speakers"
    hint = "; or give the path of a reference recording (.wav) to clone" if clones else ""
    raise TTSError(f"{problem}; {choices}{hint}.")


def _looks_like_audio(voice: str) -> bool:
    return Path(voice).suffix.lower() in _AUDIO_SUFFIXES or "/" in voice


def _language(tts: Any, wanted: str) -> str | None:
    if not tts.is_multi_lingual:
        return None
    languages = list(tts.languages or [])
    # Persona languages may carry a region ("fr-FR"); model lists use bare codes, bar XTTS's "zh-cn".
    for candidate in (wanted, wanted.lower(), wanted.split("-")[0].lower()):
        if candidate in languages:
            return candidate
    raise TTSError(f"This Coqui model does not speak {wanted!r}; it has: {', '.join(languages)}.")


def _speak(loaded: LoadedModel, text: str, speed: float, kwargs: dict[str, Any]) -> np.ndarray:
    import torch

    model = loaded.tts.synthesizer.tts_model
    # XTTS takes speed as an inference argument; VITS and Glow-TTS read `length_scale` off the model
    # (Coqui drops extra arguments before their inference), so it is set there for this call.
    scaled = loaded.files.model_type != "xtts" and hasattr(model, "length_scale")
    if loaded.files.model_type == "xtts":
        kwargs = {**kwargs, "speed": speed}
    elif not scaled and speed != 1.0:
        log.warning(
            "Coqui %s models have no speed control; speaking at normal speed", loaded.files.model_type
        )
    normal = model.length_scale if scaled else None
    try:
        if scaled:
            model.length_scale = normal / speed
        with torch.inference_mode():
            return np.asarray(loaded.tts.tts(text=text, **kwargs), dtype=np.float32)
    except Exception as exc:
        raise TTSError(f"Coqui synthesis failed: {exc}") from exc
    finally:
        if scaled:
            model.length_scale = normal


def _to_pcm16(samples: np.ndarray) -> np.ndarray:
    samples = np.nan_to_num(samples.reshape(-1), nan=0.0, posinf=1.0, neginf=-1.0)
    # Coqui pads every sentence with silence of exact zeros; the pad after the last one is dead air.
    nonzero = np.flatnonzero(samples)
    samples = samples[: nonzero[-1] + 1] if nonzero.size else samples
    return (np.clip(samples, -1.0, 1.0) * 32767.0).round().astype(np.int16)
