"""``manage.py voices add PATH_OR_URL`` installs a Piper voice into VOICES_DIR (each file within
UPLOAD_VOICE_MAX_MB; a download stops at it); ``voices list`` shows the installed ones with their
language, sample rate, speakers and licence. ``voices add FOLDER`` installs a Coqui model folder
(config.json + checkpoint) into VOICES_DIR/coqui, checked as the engine loads it
(builder/tts/coqui_install.py)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from builder.limits import UploadLimits
from builder.tts import TTSError, voice_files


class Command(BaseCommand):
    help = "Install (add) or list the voices (Piper, Kokoro) and Coqui models in VOICES_DIR."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        add = commands.add_parser(
            "add",
            help="Install a voice: its .onnx path or URL (.onnx.json beside it), or a Coqui model's "
            "folder (config.json and the checkpoint inside).",
        )
        add.add_argument("source")
        commands.add_parser("list", help="The installed voices.")

    def handle(self, *args: Any, **options: Any) -> None:
        folder = settings.VOICES_DIR
        if options["action"] == "add":
            try:
                done = voice_files.install(options["source"], folder, limits=UploadLimits.of(settings))
            except TTSError as exc:
                raise CommandError(f"not installed: {exc}") from None
            self.stdout.write(self.style.SUCCESS(f"installed {describe(done)}"))
            return
        voices = voice_files.installed(folder)
        if not voices:
            self.stdout.write(
                f"no voices in {folder}: add one with `python manage.py voices add PATH_OR_URL`"
            )
        for item in voices:
            self.stdout.write(describe(item))


def describe(item: voice_files.Installed) -> str:
    voice = item.voice
    speakers = f", {voice.num_speakers} speakers" if voice.num_speakers > 1 else ""
    kind = f" (Coqui {voice.model_type} model)" if item.engine == "coqui" else ""
    language = voice.language or "language not stated"  # a VITS config may name none
    return f"{voice.name}{kind}: {language}, {voice.sample_rate} Hz{speakers}; licence: {item.licence}"
