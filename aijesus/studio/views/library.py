"""The clip library: every answer kept, searchable, playable, re-airable, deletable, starred (its
media kept from the disk budget; all recorded)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cached_property

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from aijesus.studio.models import Clip, Persona, Question
from aijesus.studio.retention import clip_star
from aijesus.studio.services import SubmissionError, clip_delete
from aijesus.studio.views.access import moderator_required

PAGE_SIZE = 24
# A count reads every match, so it stops at a cap and says so ("500+"); the pages stop there too
# (a date, persona or viewer narrows a search). A text search reads each match's answer: lower cap.
COUNT_CAP, TEXT_COUNT_CAP = 10_000, 500
NEWEST_FIRST = ("-created_at", "-pk")
# A question that has a clip is never rejected or dropped (both come only from pending, before
# any clip): question texts and viewers are searched among the others only, which partial trigram
# indexes cover on PostgreSQL (migration 0010) without the bulk of a year's chat.
ANSWERED = [s for s in Question.Status.values if s not in (Question.S.REJECTED, Question.S.DROPPED)]


class AtLeast(int):
    """A count that stopped at its cap: it reads "500+" on the page."""

    def __str__(self) -> str:
        return f"{int(self)}+"


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _midnight(day: date) -> datetime:
    """The start of `day` in the studio's time zone (the day `created_at__date` means), as a bound
    the created_at index can use."""
    return timezone.make_aware(datetime.combine(day, time.min))


def filtered_clips(params: dict[str, str]) -> QuerySet[Clip]:
    """Ready, undeleted clips matching the search form's fields other than its text."""
    clips = Clip.objects.filter(status=Clip.Status.READY, deleted_at__isnull=True)
    viewer = params.get("viewer", "").strip()
    if viewer:
        clips = clips.filter(question__status__in=ANSWERED, question__viewer_name__icontains=viewer)
    persona = params.get("persona", "")
    if persona.isdigit():
        clips = clips.filter(persona_version__persona_id=int(persona))
    since, until = _day(params.get("since", "")), _day(params.get("until", ""))
    if since:
        clips = clips.filter(created_at__gte=_midnight(since))
    if until:
        clips = clips.filter(created_at__lt=_midnight(until + timedelta(days=1)))
    return clips


class ClipSearch(Paginator):
    """The library's search form (all fields optional), paged newest first.

    A page is read as ids first, then its 24 rows. A text or viewer search reads the ids of its
    first matches once (up to its cap), for the count and every page: asked for that many, the
    planner reads a rare name through its trigram index and a common word by walking the newest
    clips. The text matches the question or the answer, any case: each half is its own query,
    merged here, because one OR across the two tables reads every clip and question."""

    def __init__(self, params: dict[str, str]) -> None:
        self.clips = filtered_clips(params)
        self.text = params.get("q", "").strip()
        self.searching = bool(self.text or params.get("viewer", "").strip())
        self.cap = TEXT_COUNT_CAP if self.searching else COUNT_CAP
        super().__init__(self.clips, PAGE_SIZE)

    def halves(self) -> list[QuerySet[Clip]]:
        """The queries whose newest matches make a search's list: the text's two, or the one."""
        if not self.text:
            return [self.clips]
        return [
            self.clips.filter(answer_text__icontains=self.text),
            self.clips.filter(question__status__in=ANSWERED, question__text__icontains=self.text),
        ]

    @cached_property
    def _matches(self) -> list[int]:
        """The first cap + 1 matches of a search (one more tells a count that stopped): the
        newest of each half, merged."""
        found: dict[int, datetime] = {}
        for half in self.halves():
            found.update(half.order_by(*NEWEST_FIRST).values_list("pk", "created_at")[: self.cap + 1])
        newest = sorted(found, key=lambda pk: (found[pk], pk), reverse=True)
        return newest[: self.cap + 1]

    @cached_property
    def count(self) -> int:
        found = len(self._matches) if self.searching else self.clips.values("pk")[: self.cap + 1].count()
        return AtLeast(self.cap) if found > self.cap else found

    def page(self, number: int | str) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.cap)
        if self.searching:
            ids = self._matches[bottom:top]
        else:
            ids = list(self.clips.order_by(*NEWEST_FIRST).values_list("pk", flat=True)[bottom:top])
        rows = self.clips.select_related("question", "persona_version__persona").in_bulk(ids)
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)


@require_http_methods(["GET"])
@moderator_required
def library(request: HttpRequest) -> HttpResponse:
    params = {key: request.GET.get(key, "") for key in ("q", "viewer", "persona", "since", "until")}
    page = ClipSearch(params).get_page(request.GET.get("page"))
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


@require_http_methods(["POST"])
@moderator_required
def star(request: HttpRequest, pk: int) -> HttpResponse:
    """Star a clip (the disk budget never removes its media) or unstar it (`starred` 1 or 0), then
    back to the same library page (`query`: its search and page)."""
    clip = get_object_or_404(Clip.objects.select_related("question"), pk=pk, deleted_at__isnull=True)
    clip_star(clip=clip, by=request.user, starred=request.POST.get("starred") == "1")
    query = QueryDict(request.POST.get("query", "")).urlencode()  # parsed again: only a query
    return redirect(reverse("library") + (f"?{query}" if query else "") + f"#clip-{clip.pk}")
