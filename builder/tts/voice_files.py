"""Installing Piper voices into the voices folder: from a path, a URL or an upload.

Every file is held to the voice limit (`UploadLimits.voice_bytes`, UPLOAD_VOICE_MAX_MB) before it
is copied, and a download stops at it. A voice is checked exactly as the engine reads it (the
config parsed, the model loaded by onnxruntime and its inputs checked) in a staging folder inside
the voices folder, and only then moved into place, so a wrong file never replaces a working voice
and never half-installs. The voice's MODEL_CARD (where Piper states its licence) is kept beside it
when there is one.
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

from builder.limits import LimitExceeded, UploadLimits, check_size, copy_within
from builder.staging import sweep
from builder.tts.base import TTSError
from builder.tts.piper import PiperModel, PiperVoice, read_voice

VOICE_LIMIT = "UPLOAD_VOICE_MAX_MB"
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
    """Every installed voice: Piper's, then Kokoro's, then the Coqui models."""
    from builder.tts.coqui_install import installed as coqui_installed
    from builder.tts.kokoro_files import installed as kokoro_installed
    from builder.tts.piper import PiperEngine

    piper = [Installed(v, licence_note(v)) for v in PiperEngine(voices_dir).installed()]
    return piper + kokoro_installed(voices_dir) + coqui_installed(voices_dir)


def check_sizes(limits: UploadLimits, *files: tuple[Path, str]) -> None:
    """Each (path, name shown) within the voice limit, before anything is copied; TTSError if not."""
    try:
        for path, name in files:
            check_size(name, path.stat().st_size, limits.voice_bytes, VOICE_LIMIT)
    except LimitExceeded as exc:
        raise TTSError(str(exc)) from None


def install_files(
    model: Path,
    config: Path,
    voices_dir: Path,
    *,
    limits: UploadLimits,
    card: Path | None = None,
    filename: str = "",
) -> Installed:
    """Install a voice from a model and its config anywhere on disk (copied, checked, moved in);
    `filename` is the model's own name when `model` is a temporary file (an upload)."""
    filename = filename or model.name
    name = filename.removesuffix(".onnx")
    if not filename.endswith(".onnx") or not _NAME.match(name):
        raise TTSError(
            f"a Piper voice model is named <voice>.onnx (letters, digits, . _ + -), not {filename!r}"
        )
    check_sizes(limits, (model, filename), (config, f"{filename}.json"))
    if card is not None and card.is_file():
        check_sizes(limits, (card, card.name))
    with Staging(voices_dir) as staging:
        staged = staging / f"{name}.onnx"
        shutil.copyfile(model, staged)
        shutil.copyfile(config, staging / f"{name}.onnx.json")
        if card is not None and card.is_file():
            shutil.copyfile(card, staging / f"{name}{CARD}")
        return _move_in(staged, voices_dir)


def install(source: str, voices_dir: Path, *, limits: UploadLimits, timeout: float = 60.0) -> Installed:
    """`source` is a .onnx path (its .onnx.json beside it) or an http(s) URL of one; a Kokoro
    model (kokoro*.onnx, voices-v1.0.bin beside it) goes to `kokoro_files`, a Coqui model folder
    (config.json inside) to `coqui_install`."""
    from builder.tts import coqui_install, kokoro_files

    if coqui_install.is_coqui(source):
        return coqui_install.install(source, voices_dir, limits=limits)
    if kokoro_files.is_kokoro(source):
        return kokoro_files.install(source, voices_dir, limits=limits, timeout=timeout)
    if source.startswith(("http://", "https://")):
        return _download(source, voices_dir, limits, timeout)
    model = Path(source).expanduser()
    if not model.is_file():
        raise TTSError(f"no such file: {model}")
    config = model.with_name(model.name + ".json")
    if not config.is_file():
        raise TTSError(f"{config.name} is missing beside {model.name}: Piper voices come as both files")
    return install_files(model, config, voices_dir, limits=limits, card=model.parent / "MODEL_CARD")


def _download(url: str, voices_dir: Path, limits: UploadLimits, timeout: float) -> Installed:
    name = url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]
    if not name.endswith(".onnx"):
        raise TTSError(f"the URL must name the voice's .onnx file, not {name!r}")
    base = url.split("?", 1)[0]
    with Staging(voices_dir) as staging:
        model = staging / name
        fetch(url, model, timeout, limits)
        fetch(base + ".json", staging / f"{name}.json", timeout, limits)
        card = staging / (name.removesuffix(".onnx") + CARD)
        with contextlib.suppress(TTSError):  # Piper's voices state their licence in MODEL_CARD
            fetch(base.rsplit("/", 1)[0] + "/MODEL_CARD", card, timeout, limits)
        return _move_in(model, voices_dir)


def fetch(url: str, target: Path, timeout: float, limits: UploadLimits) -> None:
    """Download `url` to `target`, stopping at the voice limit: refused at once when the server
    announces a larger file, else when the bytes pass the limit (nothing past it is written)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, target.open("wb") as out:
            announced = response.headers.get("Content-Length", "")
            if announced.isdigit():
                check_size(url, int(announced), limits.voice_bytes, VOICE_LIMIT)
            chunks = iter(lambda: response.read(1 << 20), b"")
            copy_within(chunks, out, limits.voice_bytes, url, VOICE_LIMIT)
    except LimitExceeded as exc:
        target.unlink(missing_ok=True)  # the staging folder goes too; this is sooner
        raise TTSError(str(exc)) from None
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
