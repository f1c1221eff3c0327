"""The live queue: dashboard page, approve/reject, stream controls, re-air."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_POST

from aijesus.studio.models import Clip, IllegalTransition, Question, StaleState
from aijesus.studio.services import SubmissionError, question_approve, question_reject
from aijesus.studio.views.access import moderator_required

log = logging.getLogger(__name__)


@require_GET
@moderator_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "studio/dashboard.html")


@require_POST
@moderator_required
def approve(request: HttpRequest, pk: int) -> JsonResponse:
    question = get_object_or_404(Question, pk=pk)
    text = request.POST.get("text")
    try:
        clip = question_approve(question=question, by=request.user, text=text)
    except (IllegalTransition, StaleState, SubmissionError) as exc:
        return JsonResponse({"ok": False, "error": str(exc)}, status=409)
    return JsonResponse({"ok": True, "status": question.status, "clip": clip.pk})


@require_POST
@moderator_required
def reject(request: HttpRequest, pk: int) -> JsonResponse:
    question = get_object_or_404(Question, pk=pk)
    reason = request.POST.get("reason", "").strip() or "rejected by a moderator"
    try:
        question_reject(question=question, by=request.user, reason=reason)
    except (IllegalTransition, StaleState) as exc:
        return JsonResponse({"ok": False, "error": str(exc)}, status=409)
    return JsonResponse({"ok": True, "status": question.status})


@require_POST
@moderator_required
def stream_command(request: HttpRequest, command: str) -> JsonResponse:
    """Skip / pause / resume, queued for the running streamer (see streamer.control)."""
    from streamer import control

    if command not in {"skip", "pause", "resume"}:
        return JsonResponse({"ok": False, "error": f"unknown command {command!r}"}, status=404)
    control.send(command)
    log.info("%s sent stream command %s", request.user, command)
    return JsonResponse({"ok": True})


@require_POST
@moderator_required
def clip_reair(request: HttpRequest, pk: int) -> JsonResponse:
    from streamer import control

    clip = get_object_or_404(Clip, pk=pk, deleted_at__isnull=True)
    if clip.status != Clip.Status.READY:
        return JsonResponse({"ok": False, "error": f"clip {clip.pk} is {clip.status}, not ready"}, status=409)
    control.send("reair", clip=clip.pk)
    log.info("%s asked to re-air clip %s", request.user, clip.pk)
    return JsonResponse({"ok": True})
