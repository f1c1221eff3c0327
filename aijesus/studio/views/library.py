"""The clip library: every answer kept, searchable, playable, re-airable, deletable (recorded)."""

from __future__ import annotations

from datetime import date

from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from aijesus.studio.models import Clip, Persona
from aijesus.studio.services import SubmissionError, clip_delete
from aijesus.studio.views.access import moderator_required

PAGE_SIZE = 24


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def search_clips(params: dict[str, str]) -> QuerySet[Clip]:
    """Ready, undeleted clips matching the library's search form (all fields optional)."""
    clips = Clip.objects.filter(status=Clip.Status.READY, deleted_at__isnull=True)
    text = params.get("q", "").strip()
    if text:
        clips = clips.filter(Q(question__text__icontains=text) | Q(answer_text__icontains=text))
    viewer = params.get("viewer", "").strip()
    if viewer:
        clips = clips.filter(question__viewer_name__icontains=viewer)
    persona = params.get("persona", "")
    if persona.isdigit():
        clips = clips.filter(persona_version__persona_id=int(persona))
    since, until = _day(params.get("since", "")), _day(params.get("until", ""))
    if since:
        clips = clips.filter(created_at__date__gte=since)
    if until:
        clips = clips.filter(created_at__date__lte=until)
    return clips.select_related("question", "persona_version__persona").order_by("-created_at")


@require_http_methods(["GET"])
@moderator_required
def library(request: HttpRequest) -> HttpResponse:
    params = {key: request.GET.get(key, "") for key in ("q", "viewer", "persona", "since", "until")}
    page = Paginator(search_clips(params), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "studio/library.html",
        {
            "page": page,
            "params": params,
            "query": query.urlencode(),
            "personas": Persona.objects.order_by("name"),
        },
    )


@require_http_methods(["GET", "POST"])
@moderator_required
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation and a reason; POST deletes (hides, keeping who and why)."""
    clip = get_object_or_404(Clip.objects.select_related("question"), pk=pk, deleted_at__isnull=True)
    error = ""
    if request.method == "POST":
        try:
            clip_delete(clip=clip, by=request.user, reason=request.POST.get("reason", "")[:300])
        except SubmissionError as exc:
            error = str(exc)
        else:
            return redirect("library")
    return render(
        request, "studio/clip_delete.html", {"clip": clip, "error": error}, status=400 if error else 200
    )
