"""Installed voices on the Personas page: upload a Piper voice (model + config, checked as the
engine reads them: a wrong file is a form error) and audition one without airing anything."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from aijesus.studio import playground
from aijesus.studio.models import ModeratorAction
from aijesus.studio.views.access import moderator_required
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
@moderator_required
def voice_upload(request: HttpRequest) -> HttpResponse:
    form = VoiceUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose both files of the voice: <name>.onnx and <name>.onnx.json.")
        return redirect("personas")
    model, config = form.cleaned_data["model"], form.cleaned_data["config"]
    kokoro = kokoro_files.is_kokoro(model.name)
    if not kokoro and config.name != model.name + ".json":
        messages.error(request, f"The config of {model.name} is named {model.name}.json, not {config.name}.")
        return redirect("personas")
    with tempfile.TemporaryDirectory(prefix="voice-upload-") as folder:
        paths = []
        for upload, name in ((model, "model"), (config, "config")):
            path = Path(folder) / name
            with path.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            paths.append(path)
        try:
            if kokoro:
                done = kokoro_files.install_files(*paths, Path(settings.VOICES_DIR))
            else:
                done = voice_files.install_files(*paths, Path(settings.VOICES_DIR), filename=model.name)
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
