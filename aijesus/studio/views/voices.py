"""Installed voices on the Personas page: upload a Piper voice (model + config, checked as the
engine reads them: a wrong file is a form error) and audition one without airing anything.

Each file is bounded by UPLOAD_VOICE_MAX_MB: cut off while it arrives (`uploads`), checked again
before it is copied; a refused upload leaves no temporary file, no staged folder and no voice.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from aijesus.studio import playground, uploads
from aijesus.studio.models import ModeratorAction
from aijesus.studio.views.access import moderator_required, owner_required
from builder.limits import LimitExceeded, UploadLimits, check_size, copy_within
from builder.tts import TTSError, kokoro_files, voice_files

SAMPLES = {
    "fr": "Bonjour à tous, et merci d'être là ce soir. Le 25 décembre, nous fêterons Noël ensemble.",
    "en": "Hello everyone, and thank you for being here tonight. Peace be with you.",
}


class VoiceUploadForm(forms.Form):
    model = forms.FileField(help_text="Piper: <name>.onnx; Kokoro: kokoro-v1.0.onnx.")
    config = forms.FileField(
        label="Config / voices", help_text="Piper: <name>.onnx.json; Kokoro: voices-v1.0.bin."
    )


def installed_voices() -> list[voice_files.Installed]:
    return voice_files.installed(Path(settings.VOICES_DIR))


@require_POST
@owner_required
def voice_upload(request: HttpRequest) -> HttpResponse:
    refused = uploads.refusals(request)
    if refused:
        messages.error(request, f"Voice not installed: {' '.join(refused.values())}")
        return redirect("personas")
    form = VoiceUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose both files of the voice: <name>.onnx and <name>.onnx.json.")
        return redirect("personas")
    model, config = form.cleaned_data["model"], form.cleaned_data["config"]
    kokoro = kokoro_files.is_kokoro(model.name)
    if not kokoro and config.name != model.name + ".json":
        messages.error(request, f"The config of {model.name} is named {model.name}.json, not {config.name}.")
        return redirect("personas")
    limits = UploadLimits.of(settings)
    with tempfile.TemporaryDirectory(prefix="voice-upload-") as folder:
        try:
            paths = [
                _copy(upload, Path(folder) / name, limits)
                for upload, name in ((model, "model"), (config, "config"))
            ]
            voices_dir = Path(settings.VOICES_DIR)
            if kokoro:
                done = kokoro_files.install_files(*paths, voices_dir, limits=limits)
            else:
                done = voice_files.install_files(*paths, voices_dir, limits=limits, filename=model.name)
        except TTSError as exc:
            messages.error(request, f"Voice not installed: {exc}")
            return redirect("personas")
    ModeratorAction.record(
        ModeratorAction.Kind.VOICE, by=request.user, detail=f"installed {done.engine} voice {done.voice.name}"
    )
    if done.engine == "kokoro":
        messages.success(request, f"Installed Kokoro: {done.licence}.")
    else:
        messages.success(request, f"Installed the voice {done.voice.name} ({done.voice.language}).")
    return redirect("personas")


def _copy(upload: UploadedFile, path: Path, limits: UploadLimits) -> Path:
    """The upload written to `path`, within the voice limit (TTSError naming it, if over)."""
    name = upload.name or path.name
    try:
        check_size(name, upload.size or 0, limits.voice_bytes, voice_files.VOICE_LIMIT)
        with path.open("wb") as out:
            copy_within(upload.chunks(), out, limits.voice_bytes, name, voice_files.VOICE_LIMIT)
    except LimitExceeded as exc:
        raise TTSError(str(exc)) from None
    return path


@require_POST
@moderator_required
def voice_audition(request: HttpRequest, name: str) -> JsonResponse:
    item = next((v for v in installed_voices() if v.voice.name == name), None)
    if item is None:
        return JsonResponse({"error": f"No installed voice called {name!r}."}, status=404)
    voice = item.voice
    persona = {
        "name": "audition",
        "language": voice.language,
        "llm": {},
        "voice": {"engine": item.engine, "voice": voice.name, "speed": 1.0, "pitch": 1.0},
    }
    try:
        audition = playground.voice_answer(persona, SAMPLES.get(voice.language, SAMPLES["en"]))
    except playground.PlaygroundError as exc:
        return JsonResponse({"error": str(exc)}, status=502)
    return JsonResponse(
        {"audio": reverse("playground-audio", args=[audition.name]), "duration": round(audition.duration, 2)}
    )
