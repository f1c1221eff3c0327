"""Where a Coqui model may come from, and which of its files it may read (no Django, no torch).

A model is a folder: `config.json`, the checkpoint and what the config names beside them
(speakers, d-vectors), as Coqui's downloads are laid out. The studio loads one only from

- the installed models, `VOICES_DIR/coqui/<name>/` (`manage.py voices add FOLDER`: checked, then
  moved in; builder/tts/coqui_install.py), which a persona names as its voice, `<name>` or
  `<name>#<speaker>`;
- `TTS_MODEL_PATH`, which the owner sets in the environment: the model of a persona whose voice
  names no installed model.

Any other path (a persona's `model_path` typed somewhere, a config naming a file elsewhere) is
refused with the reason: the folders above are the only ones written by someone who may install.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.tts.base import TTSError

SUBFOLDER = "coqui"  # inside VOICES_DIR
SPEAKER_SEP = "#"
NAME = re.compile(r"^[\w.+-]{1,120}$")
# The model types whose loaders were read for what they open (checkpoint, speakers, d-vectors,
# vocabulary), all weights-only; others (Bark, Tortoise...) open more, or download.
MODEL_TYPES = frozenset({"vits", "xtts"})
# Models whose Coqui loader takes the whole folder (checkpoint, vocabulary, speakers, ...).
FOLDER_MODELS = frozenset({"xtts"})
# Checkpoint names Coqui's downloads and trainer write, most specific first.
CHECKPOINT_NAMES = ("model.pth", "model_file.pth", "best_model.pth", "checkpoint.pth")
CHECKPOINT_SUFFIXES = (".pth", ".pth.tar", ".pt")
# Config keys (at any depth) naming a file Coqui opens when it loads or speaks: each must be in
# the model's own folder. Training paths (datasets, output_path) are never opened by inference.
PATH_KEYS = frozenset({
    "speakers_file", "d_vector_file", "language_ids_file", "speaker_encoder_model_path",
    "speaker_encoder_config_path", "stats_path", "tokenizer_file", "mel_statistics_parameter_path",
})  # fmt: skip
AUDIO_SUFFIXES = frozenset({".wav", ".flac", ".ogg", ".oga", ".aiff", ".aif"})
NO_MODEL = (
    "No Coqui model configured: install one (manage.py voices add FOLDER) and name it as the "
    "persona's voice, or set TTS_MODEL_PATH to a model folder holding config.json and the checkpoint."
)


@dataclass(frozen=True)
class ModelFiles:
    checkpoint: Path  # a file, or the folder itself for models that load from one (XTTS)
    config: Path
    model_type: str  # config.json's "model": "vits", "xtts"

    @property
    def folder(self) -> Path:
        return self.config.parent


def models_dir(voices_dir: Path | str) -> Path:
    return Path(voices_dir) / SUBFOLDER


def installed_folder(voices_dir: Path | str | None, name: str) -> Path | None:
    """The installed model called `name`, or None."""
    if voices_dir is None or not NAME.match(name) or name.startswith("."):
        return None
    folder = models_dir(voices_dir) / name
    if folder.resolve().parent != models_dir(voices_dir).resolve():
        return None  # a link to a folder elsewhere was not installed here
    return folder if (folder / "config.json").is_file() else None


def split_voice(voice: str, voices_dir: Path | str | None) -> tuple[Path | None, str]:
    """(the installed model `voice` names, the speaker after `#`), or (None, the whole voice) when
    it names no installed model: then it is a speaker of the default model (TTS_MODEL_PATH)."""
    voice = voice.strip()
    name, sep, speaker = voice.partition(SPEAKER_SEP)
    folder = installed_folder(voices_dir, name.strip())
    if folder is not None:
        return folder, speaker.strip()
    if sep:
        where = models_dir(voices_dir) if voices_dir is not None else "the voices folder"
        raise TTSError(
            f"no Coqui model {name.strip()!r} is installed in {where} (manage.py voices add FOLDER)"
        )
    return None, voice


def allowed_model_path(path: str | Path, roots: list[Path]) -> Path:
    """`path` when it lies in one of `roots` (the installed models, TTS_MODEL_PATH), else the
    refusal: a model path typed into a persona never chooses what the studio unpickles."""
    candidate = Path(path).expanduser()
    real = candidate.resolve()
    for root in roots:
        top = root.expanduser().resolve()
        if real == top or (real.is_relative_to(top) and not _hidden(real.relative_to(top))):
            return candidate
    where = " or ".join(str(r) for r in roots) or "nowhere (no VOICES_DIR, no TTS_MODEL_PATH)"
    raise TTSError(
        f"the voice's model path {candidate} is refused: Coqui models load only from {where}. "
        "Install the model (manage.py voices add FOLDER) and name it as the persona's voice, or "
        "have the owner set TTS_MODEL_PATH."
    )


def _hidden(relative: Path) -> bool:
    # `.incoming-*` staging folders hold files not yet checked.
    return any(part.startswith(".") for part in relative.parts)


def resolve_model_files(model_path: str | Path) -> ModelFiles:
    """Find the config and checkpoint Coqui should load for `model_path`, or say clearly why not."""
    if not str(model_path).strip():
        raise TTSError(NO_MODEL)
    path = Path(model_path).expanduser()
    if not path.exists():
        raise TTSError(
            f"Coqui model not found at {path}: expected a folder with config.json and a checkpoint."
        )
    folder = path if path.is_dir() else path.parent
    config = folder / "config.json"
    if not config.is_file():
        raise TTSError(f"Coqui model at {path} has no config.json beside it.")
    data = read_config(config)
    model_type = data["model"]
    outside = files_outside(data, folder)
    if outside:
        raise TTSError(
            f"{config} names files outside the model's folder ({', '.join(outside)}): a model reads "
            "only its own files. Reinstall it with manage.py voices add FOLDER."
        )
    if path.is_file():
        return ModelFiles(path, config, model_type)
    if model_type in FOLDER_MODELS:
        return ModelFiles(folder, config, model_type)
    return ModelFiles(checkpoint_in(folder), config, model_type)


def read_config(config: Path) -> dict[str, Any]:
    """config.json, with a model type the studio loads."""
    # Read with json first: a broken file then fails here with its own name, not deep inside TTS.
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TTSError(f"Invalid Coqui config {config}: {exc}") from exc
    model_type = data.get("model") if isinstance(data, dict) else None
    if not isinstance(model_type, str) or not model_type:
        raise TTSError(f'Invalid Coqui config {config}: it names no model (the "model" key).')
    if model_type not in MODEL_TYPES:
        supported = " and ".join(sorted(MODEL_TYPES))
        raise TTSError(
            f"Coqui {model_type} models are not supported: the studio loads {supported} models, "
            "whose loaders read weights only."
        )
    return data


def path_values(data: Any) -> list[tuple[dict[str, Any], str, str]]:
    """Every (mapping, key, path) in the config where a PATH_KEYS key names a file."""
    found: list[tuple[dict[str, Any], str, str]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key in PATH_KEYS:
                values = value if isinstance(value, list) else [value]
                found += [(data, key, v) for v in values if isinstance(v, str) and v.strip()]
            else:
                found += path_values(value)
    elif isinstance(data, list):
        for item in data:
            found += path_values(item)
    return found


def files_outside(data: dict[str, Any], folder: Path) -> list[str]:
    top = folder.resolve()
    return [
        value
        for _, _, value in path_values(data)
        if not Path(value).expanduser().resolve().is_relative_to(top)
    ]


def checkpoint_in(folder: Path) -> Path:
    for name in CHECKPOINT_NAMES:
        if (folder / name).is_file():
            return folder / name
    found = sorted(p for p in folder.iterdir() if p.name.endswith(CHECKPOINT_SUFFIXES))
    if len(found) == 1:
        return found[0]
    names = ", ".join(p.name for p in found) or "no .pth file"
    raise TTSError(
        f"Cannot tell which checkpoint to load in {folder} ({names}): point the model path at the file."
    )


def reference_recording(folder: Path, name: str) -> Path | None:
    """The recording to clone a voice from when `name` asks for one (an audio file name), found in
    the model's folder; None when `name` is a speaker's name. A path is refused: recordings are
    installed with the model, never read from wherever a persona points."""
    if "/" in name or "\\" in name or name.startswith("."):
        raise TTSError(
            f"a reference recording is named by its file name in the model's folder ({folder}), "
            f"not a path: {name!r} is refused. Put it in the model's folder before installing it."
        )
    if Path(name).suffix.lower() not in AUDIO_SUFFIXES:
        return None
    return folder / name
