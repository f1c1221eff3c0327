"""Coqui TTS (the maintained `coqui-tts` package, import name `TTS`): a local XTTS-v2 or VITS model.

Which model: an installed one (`VOICES_DIR/coqui/<name>`, `manage.py voices add FOLDER`) that the
persona's voice names, `<name>` or `<name>#<speaker>`; else the engine's default, `TTS_MODEL_PATH`.
A model path from anywhere else is refused (builder/tts/coqui_files.py says why). A model is a
folder holding `config.json` and the checkpoint, as Coqui's own downloads are laid out. It loads
through Coqui's public `TTS(model_path=..., config_path=...)`, on the GPU when torch sees one, once
per process: models are large and slow to load. Loading and speaking run inside
`builder.weights.only_weights()`: every file Coqui unpickles is read as weights only, so a
checkpoint carrying code is refused before any of it runs. torch and TTS are imported only when a
model is first needed, so importing this module (the web process does) stays cheap.

Voice settings: the speaker is a speaker name of a multi-speaker model (XTTS-v2 ships named
speakers) or, for XTTS, the file name of a reference recording installed in the model's folder to
clone; "" takes the model's first speaker. `language` matters for multilingual models only; `speed`
is honoured; Coqui models have no pitch control, so `pitch` is ignored.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from builder.tts.base import Speech, TTSEngine, TTSError, VoiceSettings
from builder.tts.coqui_files import (
    NO_MODEL,
    ModelFiles,
    allowed_model_path,
    models_dir,
    reference_recording,
    resolve_model_files,
    split_voice,
)
from builder.tts.timings import phoneme_timings
from builder.weights import only_weights, unsafe_reason

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

__all__ = ["CoquiEngine", "LoadedModel", "ModelFiles", "load_model", "resolve_model_files"]


@dataclass
class LoadedModel:
    tts: Any  # TTS.api.TTS
    files: ModelFiles
    sample_rate: int
    # One synthesis at a time per model: speed is set on the model itself for VITS, and XTTS keeps
    # a generation cache on the model.
    lock: threading.Lock = field(default_factory=threading.Lock)
    stamp: int = 0  # config.json's mtime when loaded


_models: dict[tuple[Path, str], LoadedModel] = {}
_models_lock = threading.Lock()


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
    """The model at `model_path`, loaded on first use and kept for the life of the process (until
    it is installed again: a new config.json is a new model)."""
    files = resolve_model_files(model_path)
    tts_class = _import_tts()
    device = _device()
    key, stamp = (files.checkpoint.resolve(), device), files.config.stat().st_mtime_ns
    with _models_lock:
        loaded = _models.get(key)
        if loaded is None or loaded.stamp != stamp:
            _models.pop(key, None)  # a reinstalled model: let the old one go before the new loads
            loaded = _models[key] = _load(tts_class, files, device)
            loaded.stamp = stamp
    return loaded


def check_model(model_path: str | Path) -> LoadedModel:
    """Load the model at `model_path` exactly as the engine would, on the CPU, without keeping it
    (the install step's check); TTSError says what is wrong."""
    return _load(_import_tts(), resolve_model_files(model_path), "cpu")


def _device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _load(tts_class: Any, files: ModelFiles, device: str) -> LoadedModel:
    if files.model_type == "xtts":
        _read_xtts_references_with_soundfile()
    started = time.monotonic()
    try:
        with only_weights():
            tts = tts_class(
                model_path=str(files.checkpoint), config_path=str(files.config), progress_bar=False
            )
        tts.to(device)
        sample_rate = int(tts.synthesizer.output_sample_rate)
    except Exception as exc:
        refused = unsafe_reason(exc)
        if refused is not None:
            raise TTSError(f"Refused the Coqui model {files.checkpoint}: {refused}") from None
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
    """`CoquiEngine(model_path=TTS_MODEL_PATH, voices_dir=VOICES_DIR)`: the installed models and
    the owner's default model are the only ones it loads."""

    name = "coqui"

    def __init__(self, model_path: str | Path = "", voices_dir: str | Path = "") -> None:
        self.model_path = str(model_path)  # the owner's default: used when the voice names no model
        self.voices_dir = Path(voices_dir) if voices_dir else None

    def locate(self, voice: VoiceSettings) -> tuple[Path, str]:
        """(the model to load, the speaker asked for); TTSError when the voice's model may not load."""
        installed, speaker = split_voice(voice.voice, self.voices_dir)
        if installed is not None:
            return installed, speaker
        if voice.model_path:
            return allowed_model_path(voice.model_path, self.roots()), speaker
        if self.model_path:
            return Path(self.model_path).expanduser(), speaker
        raise TTSError(NO_MODEL)

    def roots(self) -> list[Path]:
        """Where models may load from: the installed models and the owner's TTS_MODEL_PATH."""
        roots = [models_dir(self.voices_dir)] if self.voices_dir is not None else []
        return roots + ([Path(self.model_path)] if self.model_path else [])

    def synthesize(self, text: str, voice: VoiceSettings) -> Speech:
        if not text.strip():
            raise TTSError("Nothing to say: the text is empty.")
        if voice.speed <= 0:
            raise TTSError(f"Speed must be positive, got {voice.speed}.")
        model, speaker = self.locate(voice)
        loaded = load_model(model)
        kwargs = _voice_arguments(loaded, speaker, voice.language)
        with loaded.lock:
            samples = _speak(loaded, text, voice.speed, kwargs)
        pcm = _to_pcm16(samples)
        if pcm.size == 0:
            raise TTSError("The Coqui model produced no audio.")
        return Speech(
            pcm=pcm, sample_rate=loaded.sample_rate, phonemes=phoneme_timings(pcm, loaded.sample_rate)
        )


def _voice_arguments(loaded: LoadedModel, chosen: str, language: str) -> dict[str, Any]:
    """Coqui's `speaker` / `speaker_wav` / `language` for these settings, checked against the model."""
    tts = loaded.tts
    kwargs: dict[str, Any] = {}
    spoken = _language(tts, language)
    if spoken is not None:
        kwargs["language"] = spoken
    clones = bool(getattr(tts.synthesizer.tts_model.config, "supports_cloning", False))
    reference = reference_recording(loaded.files.folder, chosen) if chosen else None
    if reference is not None:
        if not clones:
            raise TTSError(
                "This Coqui model cannot clone a voice from a recording; name one of its speakers."
            )
        if not reference.is_file():
            raise TTSError(f"Reference recording not found: {chosen} in {loaded.files.folder}")
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
    hint = "; or name a reference recording (.wav) installed in the model's folder to clone" if clones else ""
    raise TTSError(f"{problem}; {choices}{hint}.")


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
        # Speaking may open files too (XTTS's cached voices, its mel statistics): weights only.
        with torch.inference_mode(), only_weights():
            return np.asarray(loaded.tts.tts(text=text, **kwargs), dtype=np.float32)
    except Exception as exc:
        refused = unsafe_reason(exc)
        raise TTSError(f"Coqui synthesis failed: {refused or exc}") from exc
    finally:
        if scaled:
            model.length_scale = normal


def _to_pcm16(samples: np.ndarray) -> np.ndarray:
    samples = np.nan_to_num(samples.reshape(-1), nan=0.0, posinf=1.0, neginf=-1.0)
    # Coqui pads every sentence with silence of exact zeros; the pad after the last one is dead air.
    nonzero = np.flatnonzero(samples)
    samples = samples[: nonzero[-1] + 1] if nonzero.size else samples
    return (np.clip(samples, -1.0, 1.0) * 32767.0).round().astype(np.int16)
