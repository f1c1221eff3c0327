"""Installing Kokoro into the voices folder: the model and its voices file (and the vocab's
config.json when it comes with them), checked as the engine reads them before they move in."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from builder.limits import LimitExceeded, UploadLimits, open_zip
from builder.tts.base import TTSError
from builder.tts.kokoro import MODEL_NAME, VOICES_NAME, KokoroEngine, KokoroModel, read_styles, read_vocab
from builder.tts.voice_files import Installed, Staging, check_sizes, fetch

LICENCE = "Apache-2.0 (Kokoro-82M weights)"


def is_kokoro(source: str) -> bool:
    name = source.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return name.startswith("kokoro") and name.endswith(".onnx")


def installed(voices_dir: Path) -> list[Installed]:
    return [Installed(voice, LICENCE, "kokoro") for voice in KokoroEngine(voices_dir).installed()]


def install(source: str, voices_dir: Path, *, limits: UploadLimits, timeout: float = 60.0) -> Installed:
    """A kokoro*.onnx path or URL; voices-v1.0.bin (and config.json, if there) from beside it."""
    if source.startswith(("http://", "https://")):
        base = source.split("?", 1)[0].rsplit("/", 1)[0]
        with Staging(voices_dir) as staging:
            fetch(source, staging / MODEL_NAME, timeout, limits)
            fetch(f"{base}/{VOICES_NAME}", staging / VOICES_NAME, timeout, limits)
            return _move_in(staging, voices_dir, limits)
    model = Path(source).expanduser()
    if not model.is_file():
        raise TTSError(f"no such file: {model}")
    styles = model.with_name(VOICES_NAME)
    if not styles.is_file():
        raise TTSError(f"{VOICES_NAME} is missing beside {model.name}: Kokoro's voices come in it")
    config = model.with_name("config.json")
    return install_files(
        model, styles, voices_dir, limits=limits, config=config if config.is_file() else None
    )


def install_files(
    model: Path, styles: Path, voices_dir: Path, *, limits: UploadLimits, config: Path | None = None
) -> Installed:
    check_sizes(limits, (model, MODEL_NAME), (styles, VOICES_NAME))
    if config is not None:
        check_sizes(limits, (config, "config.json"))
    with Staging(voices_dir) as staging:
        shutil.copyfile(model, staging / MODEL_NAME)
        shutil.copyfile(styles, staging / VOICES_NAME)
        if config is not None:
            shutil.copyfile(config, staging / "config.json")
        return _move_in(staging, voices_dir, limits)


def _move_in(staging: Path, voices_dir: Path, limits: UploadLimits) -> Installed:
    model = staging / MODEL_NAME
    # The voices file is a NumPy zip: its members' unpacked size and count within the zip limits
    # before NumPy reads an array of it.
    try:
        open_zip(staging / VOICES_NAME, limits, VOICES_NAME).close()
    except LimitExceeded as exc:
        raise TTSError(str(exc)) from None
    except zipfile.BadZipFile:
        pass  # read_styles says what the file is not
    styles = read_styles(staging / VOICES_NAME)
    KokoroModel(model, ("CPUExecutionProvider",))
    read_vocab(model)  # config.json staged beside it, else the kokoro_onnx package's copy
    # The voices file and config first, the model last: the engine looks for the model.
    for name in (VOICES_NAME, "config.json", MODEL_NAME):
        if (staging / name).exists():
            (staging / name).replace(voices_dir / name)
    voices = installed(voices_dir)
    if not voices:
        raise TTSError(
            f"{VOICES_NAME} holds no voice in a language the studio speaks ({', '.join(sorted(styles)[:8])})"
        )
    return Installed(
        voices[0].voice,
        f"{LICENCE}; {len(voices)} voices: {', '.join(v.voice.name for v in voices[:8])}",
        "kokoro",
    )
