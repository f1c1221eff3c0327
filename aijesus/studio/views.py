"""Dashboard pages and queue actions. Thin: look up, check permission, call a service, answer."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_POST

from aijesus.studio.models import IllegalTransition, Question, StaleState
from aijesus.studio.roles import is_moderator
from aijesus.studio.services import SubmissionError, question_approve, question_reject

View = Callable[..., HttpResponse]


def moderator_required(view: View) -> View:
    """Anonymous → login page; logged in without the moderator role → 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_moderator(request.user):
            raise PermissionDenied("moderators only")
        return view(request, *args, **kwargs)

    return wrapper


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
