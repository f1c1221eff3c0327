"""Personas: list, create, edit (every save a version), diff, rollback, activate, playground.

Thin views: look up, check, call one model method, render. Who changed what is kept on each
PersonaVersion (`created_by`); activation is logged with the user.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aijesus.studio import playground
from aijesus.studio.broadcast import broadcast_on_commit
from aijesus.studio.endpoint_keys import key_state
from aijesus.studio.forms_personas import SPEED_RANGES, PersonaForm, owner_settings
from aijesus.studio.models import Avatar, EndpointKey, ModeratorAction, Persona, PersonaVersion
from aijesus.studio.persona_diff import diff_against_previous, version_diff
from aijesus.studio.roles import is_owner
from aijesus.studio.views.access import moderator_required
from aijesus.studio.views.media import serve

log = logging.getLogger(__name__)

NEW_PERSONA = {
    "language": Persona.Language.ENGLISH,
    "llm_engine": "offline",
    "temperature": 0.7,
    "max_tokens": 220,
    "voice_engine": "espeak",
    "speed": 1.0,
    "pitch": 1.0,
}
MAX_QUESTION_CHARS = 500
# The form checks the name first, but another persona can take it before the save: the database's
# unique name says so then, and the moderator is told the same thing.
NAME_TAKEN = "Another persona already has this name."


@require_GET
@moderator_required
def persona_list(request: HttpRequest) -> HttpResponse:
    from aijesus.studio.views.voices import VoiceUploadForm, installed_voices

    personas = Persona.objects.select_related("avatar").annotate(version_count=Count("versions"))
    context = {"personas": personas, "voices": installed_voices(), "voice_form": VoiceUploadForm()}
    return render(request, "studio/personas/list.html", context)


def _editor(
    request: HttpRequest, form: PersonaForm, persona: Persona | None, status: int = 200
) -> HttpResponse:
    versions = persona.versions.select_related("created_by")[:50] if persona else []
    llm = (persona.llm or {}) if persona else {}
    address_key = key_state(llm.get("base_url", ""))[1] if llm.get("engine") == "openai" else ""
    context = {
        "form": form,
        "persona": persona,
        "versions": versions,
        "speed_ranges": SPEED_RANGES,
        "address_key": address_key,
    }
    return render(request, "studio/personas/edit.html", context, status=status)


@require_http_methods(["GET", "POST"])
@moderator_required
def persona_new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _editor(request, PersonaForm(initial=NEW_PERSONA, owner=is_owner(request.user)), None)
    form = PersonaForm(request.POST, initial=NEW_PERSONA, owner=is_owner(request.user))
    if not form.is_valid():
        return _editor(request, form, None, status=400)
    persona = Persona()
    form.apply(persona)
    try:
        persona.save_version(by=request.user, note=form.cleaned_data["note"] or "created")
    except IntegrityError:
        form.add_error("name", NAME_TAKEN)
        return _editor(request, form, None, status=400)
    _save_address_key(request, form)
    messages.success(request, f"Created {persona.name} (v1).")
    return redirect("persona-edit", pk=persona.pk)


@require_http_methods(["GET", "POST"])
@moderator_required
def persona_edit(request: HttpRequest, pk: int) -> HttpResponse:
    persona = get_object_or_404(Persona.objects.select_related("avatar"), pk=pk)
    if request.method == "GET":
        return _editor(request, PersonaForm(persona=persona, owner=is_owner(request.user)), persona)
    form = PersonaForm(request.POST, persona=persona, owner=is_owner(request.user))
    if not form.is_valid():
        return _editor(request, form, persona, status=400)
    with transaction.atomic():
        # Lock the row: of two moderators saving over the same version, the second is told.
        persona = Persona.objects.select_for_update().get(pk=pk)
        latest = persona.latest_version()
        based_on = form.cleaned_data["based_on"]
        if latest is not None and based_on is not None and based_on != latest.number:
            who = latest.created_by.get_username() if latest.created_by else "someone"
            conflict = f"{who} saved v{latest.number} while you were editing v{based_on}. "
            form.add_error(None, conflict + "Reload the page to see their changes, then make yours again.")
            return _editor(request, form, persona, status=409)
        before = persona.snapshot()
        form.apply(persona)
        _save_address_key(request, form)
        if latest is not None and persona.snapshot() == before:
            messages.info(request, "Nothing changed: no new version.")
            return redirect("persona-edit", pk=pk)
        try:
            version = persona.save_version(by=request.user, note=form.cleaned_data["note"])
        except IntegrityError:
            form.add_error("name", NAME_TAKEN)
            persona.refresh_from_db()  # the page shows the persona as it is, not the refused edit
            return _editor(request, form, persona, status=400)
        if persona.is_active:
            broadcast_on_commit("persona")
    messages.success(request, f"Saved {persona.name} as v{version.number}.")
    return redirect("persona-edit", pk=pk)


def _save_address_key(request: HttpRequest, form: PersonaForm) -> None:
    """An owner's key (or "needs none") for the persona's answer-engine address, sealed; the moderator
    log names the address, never the key."""
    data = form.cleaned_data
    if not form.owner or not (data.get("llm_key") or data.get("llm_no_key")):
        return
    row = EndpointKey.put(
        EndpointKey.Kind.LLM, data["llm_base_url"], data.get("llm_key") or "", by=request.user
    )
    what = "a key" if data.get("llm_key") else "no key"
    ModeratorAction.record(ModeratorAction.Kind.KEYS, by=request.user, detail=f"{what} for {row.address}")
    messages.info(request, f"Saved {what} for {row.address}.")


@require_POST
@moderator_required
def persona_activate(request: HttpRequest, pk: int) -> HttpResponse:
    persona = get_object_or_404(Persona, pk=pk)
    # Clips record the version they were built with: a persona never saved cannot air.
    persona.ensure_version(by=request.user, note="first version, on activation")
    persona.activate()
    broadcast_on_commit("persona")
    log.info("persona %r (#%s) activated by %s", persona.name, persona.pk, request.user.get_username())
    ModeratorAction.record("persona", by=request.user, detail=f"activated {persona.name} (#{persona.pk})")
    messages.success(request, f"{persona.name} is now the active persona: new answers use it.")
    return redirect("persona-edit", pk=pk) if request.POST.get("next") == "edit" else redirect("personas")


@require_GET
@moderator_required
def version_detail(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """One version: what it changed from the one before (or from ?against=N)."""
    version = get_object_or_404(
        PersonaVersion.objects.select_related("persona", "created_by"), persona_id=pk, number=number
    )
    against = request.GET.get("against", "")
    if against.isdigit():
        base = get_object_or_404(PersonaVersion, persona_id=pk, number=int(against))
        diff = version_diff(base.data, version.data)
    else:
        base, diff = diff_against_previous(version)
    latest = version.persona.latest_version()
    others = version.persona.versions.exclude(pk=version.pk).values_list("number", flat=True)
    context = {
        "version": version,
        "persona": version.persona,
        "base": base,
        "diff": diff,
        "is_latest": latest is not None and latest.pk == version.pk,
        "others": others,
        "avatar_missing": _avatar_missing(version),
    }
    return render(request, "studio/personas/version.html", context)


def _avatar_missing(version: PersonaVersion) -> bool:
    avatar_id = version.data.get("avatar_id")
    return avatar_id is not None and not Avatar.objects.filter(pk=avatar_id).exists()


@require_POST
@moderator_required
def version_rollback(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    versions = PersonaVersion.objects.select_related("persona")
    version = get_object_or_404(versions, persona_id=pk, number=number)
    if _avatar_missing(version):
        messages.error(request, f"v{number}'s avatar was deleted: choose an avatar in the editor instead.")
        return redirect("persona-version", pk=pk, number=number)
    if not is_owner(request.user) and owner_settings(version.data) != owner_settings(
        version.persona.snapshot()
    ):
        messages.error(
            request, f"v{number} uses other engines or addresses than now: only the owner can restore it."
        )
        return redirect("persona-version", pk=pk, number=number)
    try:
        with transaction.atomic():
            restored = version.persona.rollback(version, by=request.user)
    except IntegrityError:
        # The only unique field a version holds is the name: another persona took it since.
        messages.error(request, f"Another persona is now called {version.data['name']!r}: rename it first.")
        return redirect("persona-version", pk=pk, number=number)
    if version.persona.is_active:
        broadcast_on_commit("persona")
    detail = f"rolled {version.persona.name} (#{pk}) back to v{number}, saved as v{restored.number}"
    ModeratorAction.record("persona", by=request.user, detail=detail)
    messages.success(request, f"Rolled back to v{number}: saved as v{restored.number}.")
    return redirect("persona-edit", pk=pk)


@require_GET
@moderator_required
def playground_page(request: HttpRequest, pk: int) -> HttpResponse:
    persona = get_object_or_404(Persona, pk=pk)
    context = {"persona": persona, "version": persona.latest_version(), "max_chars": MAX_QUESTION_CHARS}
    return render(request, "studio/personas/playground.html", context)


def _persona_data(pk: int) -> dict[str, Any]:
    return get_object_or_404(Persona, pk=pk).snapshot()


@require_POST
@moderator_required
def playground_answer(request: HttpRequest, pk: int) -> JsonResponse:
    data = _persona_data(pk)
    question = request.POST.get("question", "").strip()
    if not question:
        return JsonResponse({"error": "Type a question first."}, status=400)
    if len(question) > MAX_QUESTION_CHARS:
        return JsonResponse({"error": f"Questions are at most {MAX_QUESTION_CHARS} characters."}, status=400)
    try:
        answer = playground.write_answer(data, question)
    except playground.PlaygroundError as exc:
        return JsonResponse({"error": str(exc)}, status=502)
    return JsonResponse({"answer": answer.text, "filtered": answer.filtered})


@require_POST
@moderator_required
def playground_voice(request: HttpRequest, pk: int) -> JsonResponse:
    data = _persona_data(pk)
    try:
        audition = playground.voice_answer(data, request.POST.get("text", ""))
    except playground.PlaygroundError as exc:
        return JsonResponse({"error": str(exc)}, status=502)
    return JsonResponse(
        {
            "audio": reverse("playground-audio", args=[audition.name]),
            "duration": round(audition.duration, 2),
            "sentences": audition.sentences,
        }
    )


@require_GET
@moderator_required
def playground_audio(request: HttpRequest, name: str) -> HttpResponse:
    path = playground.audio_path(name)
    if path is None:
        raise Http404("no such audition")
    response = serve(request, path, "audio/wav")
    response["Cache-Control"] = "private, no-store"
    return response
