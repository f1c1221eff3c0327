"""Installing Piper voices into the voices folder: from a path, a URL or an upload.

A voice is checked exactly as the engine reads it (the config parsed, the model loaded by
onnxruntime and its inputs checked) in a staging folder inside the voices folder, and only then
moved into place, so a wrong file never replaces a working voice and never half-installs.
The voice's MODEL_CARD (where Piper states its licence) is kept beside it when there is one.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.staging import sweep
from builder.tts.base import TTSError
from builder.tts.piper import PiperModel, PiperVoice, read_voice

MAX_BYTES = 500 * 1024 * 1024  # the largest Piper voices are ~120 MB
_NAME = re.compile(r"^[\w.+-]{1,120}$")
CARD = ".MODEL_CARD"


@dataclass(frozen=True)
class Installed:
    voice: Any  # PiperVoice or KokoroVoice: name, language, sample_rate, num_speakers
    licence: str
    engine: str = "piper"


def check(model: Path) -> PiperVoice:
    """Read the config and load the model as the engine would; TTSError says what is wrong."""
    voice = read_voice(model)
    PiperModel(model, ("CPUExecutionProvider",))
    return voice


def licence_note(voice: PiperVoice) -> str:
    """The licence line of the voice's model card, or where to look."""
    card = voice.model.with_name(voice.name + CARD)
    if card.is_file():
        for line in card.read_text(encoding="utf-8", errors="replace").splitlines():
            if re.search(r"licen[cs]e", line, re.IGNORECASE) and ":" in line:
                return line.strip(" -*#")[:200]
        return f"see {card.name}"
    return "not stated: check the voice's MODEL_CARD where you got it"


def installed(voices_dir: Path) -> list[Installed]:
    """Every installed voice: Piper's, then Kokoro's."""
    from builder.tts.kokoro_files import installed as kokoro_installed
    from builder.tts.piper import PiperEngine

    piper = [Installed(v, licence_note(v)) for v in PiperEngine(voices_dir).installed()]
    return piper + kokoro_installed(voices_dir)


def install_files(
    model: Path, config: Path, voices_dir: Path, *, card: Path | None = None, filename: str = ""
) -> Installed:
    """Install a voice from a model and its config anywhere on disk (copied, checked, moved in);
    `filename` is the model's own name when `model` is a temporary file (an upload)."""
    filename = filename or model.name
    name = filename.removesuffix(".onnx")
    if not filename.endswith(".onnx") or not _NAME.match(name):
        raise TTSError(
            f"a Piper voice model is named <voice>.onnx (letters, digits, . _ + -), not {filename!r}"
        )
    with Staging(voices_dir) as staging:
        staged = staging / f"{name}.onnx"
        shutil.copyfile(model, staged)
        shutil.copyfile(config, staging / f"{name}.onnx.json")
        if card is not None and card.is_file():
            shutil.copyfile(card, staging / f"{name}{CARD}")
        return _move_in(staged, voices_dir)


def install(source: str, voices_dir: Path, *, timeout: float = 60.0) -> Installed:
    """`source` is a .onnx path (its .onnx.json beside it) or an http(s) URL of one; a Kokoro
    model (kokoro*.onnx, voices-v1.0.bin beside it) goes to `kokoro_files`."""
    from builder.tts import kokoro_files

    if kokoro_files.is_kokoro(source):
        return kokoro_files.install(source, voices_dir, timeout=timeout)
    if source.startswith(("http://", "https://")):
        return _download(source, voices_dir, timeout)
    model = Path(source).expanduser()
    if not model.is_file():
        raise TTSError(f"no such file: {model}")
    config = model.with_name(model.name + ".json")
    if not config.is_file():
        raise TTSError(f"{config.name} is missing beside {model.name}: Piper voices come as both files")
    return install_files(model, config, voices_dir, card=model.parent / "MODEL_CARD")


def _download(url: str, voices_dir: Path, timeout: float) -> Installed:
    name = url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]
    if not name.endswith(".onnx"):
        raise TTSError(f"the URL must name the voice's .onnx file, not {name!r}")
    base = url.split("?", 1)[0]
    with Staging(voices_dir) as staging:
        model = staging / name
        fetch(url, model, timeout)
        fetch(base + ".json", staging / f"{name}.json", timeout)
        card = staging / (name.removesuffix(".onnx") + CARD)
        with contextlib.suppress(TTSError):  # Piper's voices state their licence in MODEL_CARD
            fetch(base.rsplit("/", 1)[0] + "/MODEL_CARD", card, timeout)
        return _move_in(model, voices_dir)


def fetch(url: str, target: Path, timeout: float) -> None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, target.open("wb") as out:
            total = 0
            while chunk := response.read(1 << 20):
                total += len(chunk)
                if total > MAX_BYTES:
                    raise TTSError(f"{url} is larger than {MAX_BYTES >> 20} MB: not a voice")
                out.write(chunk)
    except urllib.error.HTTPError as exc:
        raise TTSError(f"{url} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise TTSError(f"could not download {url}: {getattr(exc, 'reason', exc)}") from None


class Staging:
    """A private folder inside the voices folder (same file system: the final move is a rename),
    removed whatever happens."""

    def __init__(self, voices_dir: Path) -> None:
        self.voices_dir = voices_dir

    def __enter__(self) -> Path:
        self.voices_dir.mkdir(parents=True, exist_ok=True)
        sweep(self.voices_dir, ".incoming-*")  # what an install cut off by a crash left behind
        self.path = Path(tempfile.mkdtemp(prefix=".incoming-", dir=self.voices_dir))
        return self.path

    def __exit__(self, *_: object) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def _move_in(staged_model: Path, voices_dir: Path) -> Installed:
    check(staged_model)
    name = staged_model.name.removesuffix(".onnx")
    # The config first, the model last: a reader that finds the model finds its config too.
    for suffix in (".onnx.json", CARD, ".onnx"):
        source = staged_model.with_name(name + suffix)
        if source.exists():
            source.replace(voices_dir / (name + suffix))
    final = read_voice(voices_dir / f"{name}.onnx")
    return Installed(final, licence_note(final))
