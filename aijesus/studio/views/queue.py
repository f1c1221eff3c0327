"""The live queue: dashboard page and every action on questions, clips in progress and the stream.

Each action is one POST answering JSON: {"ok": true, ...} or {"ok": false, "error": why} with 409
when someone else got there first (two moderators, or the worker), so the page can say so.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_POST

from aijesus.studio.models import Clip, IllegalTransition, ModeratorAction, Question, StaleState
from aijesus.studio.services import (
    SubmissionError,
    clip_cancel,
    clip_retry,
    question_approve,
    question_bump,
    question_reject,
    questions_bulk_reject,
)
from aijesus.studio.views.access import moderator_required
from streamer.state import STATE_TTL

log = logging.getLogger(__name__)

CONFLICTS = (IllegalTransition, StaleState, SubmissionError)


def conflict(exc: Exception) -> JsonResponse:
    return JsonResponse({"ok": False, "error": str(exc)}, status=409)


def bad_request(message: str) -> JsonResponse:
    return JsonResponse({"ok": False, "error": message}, status=400)


@require_GET
@moderator_required
def dashboard(request: HttpRequest) -> HttpResponse:
    context = {"bump_step": settings.DASHBOARD_BUMP_STEP, "stream_stale_after": STATE_TTL}
    return render(request, "studio/dashboard.html", context)


@require_POST
@moderator_required
def approve(request: HttpRequest, pk: int) -> JsonResponse:
    question = get_object_or_404(Question, pk=pk)
    try:
        clip = question_approve(question=question, by=request.user, text=request.POST.get("text"))
    except CONFLICTS as exc:
        return conflict(exc)
    return JsonResponse({"ok": True, "status": question.status, "clip": clip.pk})


@require_POST
@moderator_required
def reject(request: HttpRequest, pk: int) -> JsonResponse:
    question = get_object_or_404(Question, pk=pk)
    reason = request.POST.get("reason", "").strip() or "rejected by a moderator"
    try:
        question_reject(question=question, by=request.user, reason=reason[:500])
    except CONFLICTS as exc:
        return conflict(exc)
    return JsonResponse({"ok": True, "status": question.status})


@require_POST
@moderator_required
def bulk_reject(request: HttpRequest) -> JsonResponse:
    try:
        ids = [int(value) for value in request.POST.getlist("ids")]
    except ValueError:
        return bad_request("ids must be question numbers")
    if not ids:
        return bad_request("no questions selected")
    reason = request.POST.get("reason", "").strip() or "rejected by a moderator"
    done, refused = questions_bulk_reject(ids=ids[:500], by=request.user, reason=reason[:500])
    return JsonResponse({"ok": True, "rejected": done, "refused": {str(k): v for k, v in refused.items()}})


@require_POST
@moderator_required
def bump(request: HttpRequest, pk: int) -> JsonResponse:
    question = get_object_or_404(Question, pk=pk)
    try:
        amount = float(request.POST.get("amount", settings.DASHBOARD_BUMP_STEP))
    except ValueError:
        return bad_request("amount must be a number")
    if not 0 < amount <= 1000:
        return bad_request("amount must be between 0 and 1000")
    try:
        priority = question_bump(question=question, by=request.user, amount=amount)
    except CONFLICTS as exc:
        return conflict(exc)
    return JsonResponse({"ok": True, "priority": priority})


@require_POST
@moderator_required
def retry(request: HttpRequest, pk: int) -> JsonResponse:
    question = get_object_or_404(Question, pk=pk)
    try:
        clip = clip_retry(question=question, by=request.user)
    except CONFLICTS as exc:
        return conflict(exc)
    return JsonResponse({"ok": True, "clip": clip.pk})


@require_POST
@moderator_required
def cancel(request: HttpRequest, pk: int) -> JsonResponse:
    clip = get_object_or_404(Clip.objects.select_related("question"), pk=pk)
    try:
        clip_cancel(clip=clip, by=request.user)
    except CONFLICTS as exc:
        return conflict(exc)
    return JsonResponse({"ok": True, "status": clip.status})


@require_POST
@moderator_required
def set_mode(request: HttpRequest) -> JsonResponse:
    """Hold every chat question for a moderator, or auto-approve what passes the prescreen."""
    from aijesus.chat.models import ChatSettings

    mode = request.POST.get("mode", "")
    try:
        ChatSettings.switch_mode(mode, by=request.user)
    except ValueError as exc:
        return bad_request(str(exc))
    log.info("%s set the chat mode to %s", request.user, mode)
    return JsonResponse({"ok": True, "mode": mode})


@require_POST
@moderator_required
def stream_command(request: HttpRequest, command: str) -> JsonResponse:
    """Skip / pause / resume, queued for the running streamer (see streamer.control)."""
    from streamer import control

    if command not in {"skip", "pause", "resume"}:
        return JsonResponse({"ok": False, "error": f"unknown command {command!r}"}, status=404)
    control.send(command)
    ModeratorAction.record("stream", by=request.user, detail=command)
    log.info("%s sent stream command %s", request.user, command)
    return JsonResponse({"ok": True})


@require_POST
@moderator_required
def clip_reair(request: HttpRequest, pk: int) -> JsonResponse:
    from streamer import control

    clip = get_object_or_404(Clip, pk=pk, deleted_at__isnull=True)
    if clip.status != Clip.Status.READY:
        return conflict(IllegalTransition(f"clip {clip.pk} is {clip.status}, not ready"))
    if clip.media_removed_at is not None:  # the disk budget took its files: nothing to air
        return conflict(IllegalTransition(f"clip {clip.pk}'s media was removed (disk budget)"))
    control.send("reair", clip=clip.pk)
    ModeratorAction.record("reair", by=request.user, clip=clip, question=clip.question)
    log.info("%s asked to re-air clip %s", request.user, clip.pk)
    return JsonResponse({"ok": True})
