"""Installing a Coqui model into the voices folder (`manage.py voices add FOLDER`), as Piper and
Kokoro voices are installed: copied into a staging folder inside VOICES_DIR, checked exactly as
the engine reads it, and only then moved into `VOICES_DIR/coqui/<name>/`, so a wrong or unsafe
model never replaces a working one and never half-installs.

The checks: the config names a model type the studio loads (VITS, XTTS); every checkpoint in the
folder reads as weights only (a file carrying pickled code is refused, and none of it runs); the
files the config names (speakers, d-vectors) are pinned to the model's own folder; the model loads
through Coqui under `builder.weights.only_weights()`. The installed folder gets a `SHA256SUMS` of
what was checked, to compare with the publisher's sums (`sha256sum -c SHA256SUMS`).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.limits import UploadLimits
from builder.tts.base import TTSError
from builder.tts.coqui_files import (
    AUDIO_SUFFIXES,
    CHECKPOINT_SUFFIXES,
    NAME,
    PATH_KEYS,
    models_dir,
    read_config,
    resolve_model_files,
)
from builder.tts.voice_files import Installed, Staging, check_sizes
from builder.weights import UnsafeWeights, load_weights

SUMS = "SHA256SUMS"
# What a model folder is made of; anything else there (samples, .gitattributes, subfolders) is
# left behind: the engine reads only these.
_TEXT_SUFFIXES = (".json", ".txt", ".md")
_TEXT_NAMES = ("LICENSE", "LICENCE", "MODEL_CARD")


@dataclass(frozen=True)
class CoquiModel:
    """An installed model as the voices list shows it (the fields Piper's and Kokoro's have)."""

    name: str
    language: str
    sample_rate: int
    num_speakers: int
    model_type: str


def is_coqui(source: str) -> bool:
    """A local model folder (config.json inside), or a checkpoint with config.json beside it."""
    if source.startswith(("http://", "https://")):
        return False
    path = Path(source).expanduser()
    if path.is_dir():
        return (path / "config.json").is_file()
    return path.name.endswith(CHECKPOINT_SUFFIXES) and path.with_name("config.json").is_file()


def install(source: str, voices_dir: Path, *, limits: UploadLimits | None = None) -> Installed:
    """Install the model folder `source` (or the folder of the checkpoint `source`) under its
    folder's name; one already installed under that name is replaced only once this one loads.
    Each file is held to `limits.voice_bytes` (UPLOAD_VOICE_MAX_MB) before it is copied."""
    path = Path(source).expanduser()
    folder = path if path.is_dir() else path.parent
    name = folder.resolve().name
    if not NAME.match(name) or name.startswith("."):
        raise TTSError(
            f"the model is installed under its folder's name: rename {folder} to letters, digits "
            "and . _ + - only"
        )
    target = models_dir(voices_dir) / name
    with Staging(voices_dir) as staging:
        staged = staging / name
        staged.mkdir()
        checkpoint = path if path.is_file() else None
        left_out = _copy_model(folder, staged, checkpoint=checkpoint, limits=limits)
        cleared = _pin_paths(staged, staged)
        _check_weights(staged)
        from builder.tts.coqui import check_model

        check_model(staged)  # loads it under only_weights(), as the engine will
        _pin_paths(staged, target)  # the same files, at the place they are moving to
        _write_sums(staged)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            # Aside first, into the staging folder that is removed below: the old model stays
            # whole until the new one is checked, and the swap is two renames.
            target.replace(staging / ".previous")
        staged.replace(target)
    model = describe(target)
    notes = [licence_note(target)]
    if left_out:
        notes.append(f"left out: {', '.join(left_out[:8])}")
    if cleared:
        notes.append(f"config paths not in the folder, cleared: {', '.join(cleared[:4])}")
    return Installed(model, "; ".join(notes), "coqui")


def _copy_model(
    folder: Path, staged: Path, *, checkpoint: Path | None, limits: UploadLimits | None
) -> list[str]:
    """Copy the model's own files, each within the voice limit before any is copied; the names of
    what was left out."""
    wanted, left_out = [], []
    for item in sorted(folder.iterdir()):
        keep = item.is_file() and not item.name.startswith(".") and _is_model_file(item.name)
        if checkpoint is not None and item.name.endswith(CHECKPOINT_SUFFIXES):
            keep = keep and item.name == checkpoint.name  # the one asked for, not its siblings
        if keep:
            wanted.append(item)
        else:
            left_out.append(item.name + ("/" if item.is_dir() else ""))
    if limits is not None:
        check_sizes(limits, *((item, item.name) for item in wanted))
    for item in wanted:
        shutil.copyfile(item, staged / item.name)
    return left_out


def _is_model_file(name: str) -> bool:
    suffix = Path(name).suffix.lower()
    return (
        name.endswith(CHECKPOINT_SUFFIXES + _TEXT_SUFFIXES)
        or suffix in AUDIO_SUFFIXES
        or name.upper().startswith(_TEXT_NAMES)
    )


def _check_weights(staged: Path) -> None:
    """Every checkpoint reads as weights only, including those Coqui opens only later (cached
    voices): a file that would run code is refused here, before the model is installed.

    One exception, for the checkpoint Coqui itself loads: XTTS-v2's original `model.pth` holds
    Coqui's own config classes. Coqui's loader allows exactly those (and nothing else) while still
    reading weights only, and `check_model` runs it under `only_weights()` next."""
    main = resolve_model_files(staged).checkpoint
    main = main if main.is_file() else staged / "model.pth"  # XTTS loads its folder's model.pth
    for item in sorted(staged.iterdir()):
        if not item.name.endswith(CHECKPOINT_SUFFIXES):
            continue
        try:
            load_weights(item)
        except UnsafeWeights as exc:
            if item == main and exc.names.startswith("TTS."):
                continue
            raise TTSError(str(exc)) from None
        except Exception as exc:  # noqa: BLE001 - torch raises many kinds for a file it cannot read
            raise TTSError(f"{item.name} cannot be read as a torch checkpoint: {exc}") from None


def _pin_paths(staged: Path, target: Path) -> list[str]:
    """Point the config's file paths (PATH_KEYS) at the files of the same name in `target`; a
    path to a file the folder lacks is cleared (and named) rather than followed elsewhere."""
    config = staged / "config.json"
    data = read_config(config)
    cleared: list[str] = []

    def pin(value: Any) -> Any:
        if isinstance(value, list):
            return [p for p in (pin(v) for v in value) if p is not None]
        if not isinstance(value, str) or not value.strip():
            return value
        name = Path(value.replace("\\", "/")).name
        if name and (staged / name).is_file():
            return str(target / name)
        cleared.append(value)
        return None

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: pin(v) if k in PATH_KEYS else walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    config.write_text(json.dumps(walk(data), indent=2, ensure_ascii=False), encoding="utf-8")
    return cleared


def _write_sums(staged: Path) -> None:
    lines = []
    for item in sorted(staged.iterdir()):
        digest = hashlib.sha256()
        with item.open("rb") as data:
            while chunk := data.read(1 << 20):
                digest.update(chunk)
        lines.append(f"{digest.hexdigest()}  {item.name}\n")
    (staged / SUMS).write_text("".join(lines), encoding="ascii")


def installed(voices_dir: Path) -> list[Installed]:
    """Every installed model whose config reads (others are skipped here; the engine names the
    problem when one is asked for)."""
    root = models_dir(voices_dir)
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(root.iterdir()):
        if folder.name.startswith(".") or not (folder / "config.json").is_file():
            continue
        try:
            found.append(Installed(describe(folder), licence_note(folder), "coqui"))
        except TTSError:
            continue
    return found


def describe(folder: Path) -> CoquiModel:
    data = read_config(folder / "config.json")
    audio = data.get("audio") or {}
    rate = audio.get("output_sample_rate") or audio.get("sample_rate") or 0
    languages = data.get("languages") or []
    language = languages[0] if languages else str(data.get("phoneme_language") or "")
    speakers = folder / "speakers.json"
    try:
        count = len(json.loads(speakers.read_text(encoding="utf-8"))) if speakers.is_file() else 1
    except (OSError, ValueError, TypeError):
        count = 1
    return CoquiModel(folder.name, language.split("-")[0].lower(), int(rate), count, data["model"])


def licence_note(folder: Path) -> str:
    """The licence line of the model's card or README, or the first line of its licence file."""
    for card in ("MODEL_CARD", "README.md"):
        path = folder / card
        if path.is_file():
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                if re.search(r"licen[cs]e", line, re.IGNORECASE) and ":" in line:
                    return line.strip(" -*#")[:200]
    for path in sorted(folder.glob("LICEN[CS]E*")):
        first = next((x.strip() for x in path.read_text(errors="replace").splitlines() if x.strip()), "")
        if first:
            return first[:200]
    return "not stated: check the model's card where you got it"
